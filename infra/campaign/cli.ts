import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { campaignApi } from './api';
import { invalidResult, JournalError, readJournal, resultFields, RESULT_COLUMNS, runCampaign, type JournalEntry, type ResultRow } from './campaign';
import { csvLine, parseCsv } from './csv';
import { Progress, formatDuration, type ProgressStream } from './progress';
import { DEFAULT_RETRY, systemClock, type Clock, type RetryPolicy } from './retry';
import { readUsersCsv, UsersFileError } from './rows';

export const USAGE = `npm run campaign -- <users.csv> [--api URL] [--out results.csv] [--campaign NAME] [options]

Creates an enrollment ticket for every user of <users.csv> and has the API email it (send_mail). Safe to run again:
users already enrolled, and users holding a pending ticket of the same campaign (read back from --out), are skipped.

<users.csv>          a header line, then user_id,email[,locale] rows (RFC 4180: quotes, commas in quotes, CRLF, BOM)

Options:
  --api URL          the API's base URL (default http://localhost:3000, the local stack)
  --out FILE         the results CSV, also the campaign's journal (default <users>.results.csv)
  --campaign NAME    the campaign's name, stored in the results (default: the name in --out, else the users file's name)
  --concurrency N    requests under way at once (default 5)
  --rate N           tickets created per second at most, 0 for no limit (default: none locally; else 80 % of the
                     SES sending rate the account reports, or 1 when it cannot be asked)
  --dry-run          check the file and the API, create nothing, write no results
  --strict           abort before sending anything when a row is invalid
  --help

Environment:
  ADMIN_API_KEY      the admin key (the local stack's is read from .local/data/admin-key when unset)

Exit status: 0 no row failed, 1 some rows failed, 2 bad arguments or file, 130 interrupted (run again to continue).`;

const LOCAL_API = 'http://localhost:3000';
const REPO_DIR = join(__dirname, '..', '..');

export interface CliIo {
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
  /** Where relative paths start (npm runs scripts in the package folder, INIT_CWD is where the command was typed). */
  cwd: string;
  clock?: Clock;
  retry?: RetryPolicy;
  fetch?: typeof fetch;
  /** Ctrl-C: `onInterrupt(handler)` installs the handler and returns its removal. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Asks SES for the account's sending rate (per second); undefined when it cannot. */
  sesMaxSendRate?: () => Promise<number | undefined>;
}

class UsageError extends Error {}

const isLocal = (api: string) => {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(api).hostname);
  } catch {
    return false;
  }
};

function positiveInteger(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be a whole number of at least ${min}`);
  return Number(value);
}

function adminKey(env: NodeJS.ProcessEnv, api: string): string {
  if (env.ADMIN_API_KEY) return env.ADMIN_API_KEY;
  const file = join(REPO_DIR, '.local', 'data', 'admin-key');
  if (isLocal(api) && existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new UsageError(isLocal(api) ? `set ADMIN_API_KEY (no ${file}: has the local stack been started?)` : 'set ADMIN_API_KEY to the admin key of the stage');
}

/** The account's SES sending rate (GetSendQuota), with the credentials and region the AWS CLI would use. */
async function askSes(): Promise<number | undefined> {
  try {
    const { SESClient, GetSendQuotaCommand } = await import('@aws-sdk/client-ses');
    const quota = await new SESClient({}).send(new GetSendQuotaCommand({}), { abortSignal: AbortSignal.timeout(5_000) });
    return quota.MaxSendRate;
  } catch {
    return undefined;
  }
}

/** Runs the campaign CLI and answers its exit status; only the entry file touches `process`. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  try {
    return await campaign(argv, io, say);
  } catch (err) {
    if (err instanceof UsageError || err instanceof UsersFileError) {
      say(`campaign: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

async function campaign(argv: string[], io: CliIo, say: (text: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        api: { type: 'string' },
        out: { type: 'string' },
        campaign: { type: 'string' },
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    say(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`name one users file\n\n${USAGE}`);
  const path = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  const usersPath = path(positionals[0]!);
  const outPath = path(values.out ?? `${usersPath.slice(0, usersPath.length - extname(usersPath).length)}.results.csv`);
  const partialPath = `${outPath}.partial`;
  const api = (values.api ?? LOCAL_API).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(api)) throw new UsageError('--api must be an http(s) URL');
  const concurrency = positiveInteger(values.concurrency, 'concurrency', 5);
  const dryRun = values['dry-run'];
  const clock = io.clock ?? systemClock;
  const key = adminKey(io.env, api);

  if (!existsSync(usersPath)) throw new UsageError(`no such users file: ${usersPath}`);
  const users = readUsersCsv(readFileSync(usersPath, 'utf8'));
  for (const row of users.invalid) say(`line ${row.line}: ${row.error} (${row.message})`);
  if (users.invalid.length > 0 && values.strict) {
    throw new UsageError(`${users.invalid.length} invalid row(s) and --strict: nothing sent`);
  }

  // The journal: the results of earlier runs (and of one that was killed before it could finish its file).
  const journalFiles = [outPath, partialPath].filter((file) => existsSync(file));
  const name = values.campaign ?? journalCampaign(journalFiles) ?? basename(usersPath, extname(usersPath));
  const journal = new Map<string, JournalEntry>();
  for (const file of journalFiles) {
    try {
      for (const [user, entry] of readJournal(readFileSync(file, 'utf8'), name)) journal.set(user, entry);
    } catch (err) {
      if (err instanceof JournalError) throw new UsageError(`${file}: ${err.message}`);
      throw err;
    }
  }

  let rate = 0;
  if (values.rate !== undefined) {
    rate = Number(values.rate);
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new UsageError('--rate must be a number of tickets per second (0: no limit)');
  } else if (!isLocal(api) && !dryRun) {
    const sesRate = await (io.sesMaxSendRate ?? askSes)();
    // Headroom for the mail the service sends meanwhile (login codes, resends).
    rate = sesRate ? Math.max(1, Math.floor(sesRate * 0.8)) : 1;
    say(sesRate ? `rate: ${rate} tickets/s (80 % of SES's ${sesRate}/s for this account)` : 'rate: 1 ticket/s (SES could not be asked for the sending rate; set --rate)');
  }

  say(
    `campaign "${name}": ${users.rows.length} users (${users.invalid.length} invalid rows skipped), ${journal.size} tickets in the journal, ` +
      `${api}, concurrency ${concurrency}${rate > 0 ? `, ${rate}/s` : ''}${dryRun ? ', dry run: nothing is created' : ''}`,
  );

  // Results go to <out>.partial, one line written (to the OS) as each row ends, and become <out> when the run ends.
  const fd = dryRun ? undefined : openSync(partialPath, 'w');
  const write = (row: ResultRow) => {
    if (fd !== undefined) writeSync(fd, csvLine(resultFields(row)));
  };
  if (fd !== undefined) writeSync(fd, csvLine(RESULT_COLUMNS));
  for (const row of users.invalid) write(invalidResult(name, row));

  let retries = 0;
  const counts = { done: 0, created: 0, skipped: 0, failed: 0, retries: 0 };
  const progress = new Progress(io.stderr, users.rows.length, () => clock.now());
  const failures: ResultRow[] = [];
  let stopping = false;
  const removeInterrupt = io.onInterrupt?.(() => {
    stopping = true;
    say('\nstopping: the rows under way finish and are recorded (Ctrl-C again to quit at once; run again to continue)');
  });
  const started = clock.now();
  let outcome;
  try {
    outcome = await runCampaign(users.rows, {
      campaign: name,
      api: campaignApi({ baseUrl: api, adminApiKey: key, clock, retry: io.retry ?? DEFAULT_RETRY, fetch: io.fetch, onRetry: () => retries++ }),
      clock,
      concurrency,
      rate,
      dryRun,
      journal,
      stopped: () => stopping,
      onResult(row) {
        write(row);
        counts.done++;
        if (row.status === 'created' || row.status === 'would_create') counts.created++;
        else if (row.status === 'failed') {
          counts.failed++;
          failures.push(row);
        } else counts.skipped++;
        counts.retries = retries;
        progress.update(counts);
      },
    });
  } finally {
    removeInterrupt?.();
    if (fd !== undefined) {
      // Users this run did not reach keep the tickets earlier runs recorded, so the next run still finds them.
      for (const [user, entry] of journal) if (!outcome?.handled.has(user)) write(entry.row);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(partialPath, outPath);
    }
  }
  counts.retries = retries;
  progress.finish(counts);

  const c = outcome.counts;
  for (const row of failures.slice(0, 20)) say(`line ${row.line}: failed, ${row.error}`);
  if (failures.length > 20) say(`… and ${failures.length - 20} more failed rows (status "failed" in the results)`);
  say(
    `${dryRun ? 'would create' : 'created'} ${dryRun ? c.would_create : c.created} · skipped: enrolled ${c.skipped_enrolled}, pending ${c.skipped_pending} · ` +
      `failed ${c.failed} · invalid ${users.invalid.length}${retries > 0 ? ` · ${retries} retries` : ''} · ${formatDuration(Math.round((clock.now() - started) / 1000))}`,
  );
  if (!dryRun) say(`results: ${outPath}`);
  if (outcome.notStarted > 0) {
    say(`interrupted: ${outcome.notStarted} users not reached; run the same command again to continue`);
    return 130;
  }
  return c.failed > 0 ? 1 : 0;
}

/** The campaign a journal file names, for a run again without --campaign (a file that is no journal is refused later). */
function journalCampaign(files: string[]): string | undefined {
  for (const file of files) {
    const [header, first] = parseCsv(readFileSync(file, 'utf8'));
    const at = header?.fields.indexOf('campaign') ?? -1;
    if (first && at >= 0 && first.fields[at]) return first.fields[at];
  }
  return undefined;
}
