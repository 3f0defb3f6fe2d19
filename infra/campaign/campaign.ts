import type { Answer, CampaignApi } from './api';
import { parseCsv } from './csv';
import type { Clock } from './retry';
import type { CampaignRow, InvalidRow } from './rows';

export type RowStatus = 'created' | 'skipped_enrolled' | 'skipped_pending' | 'failed' | 'invalid';
/** `--dry-run` reports what a run would do: `would_create` where it would create and email a ticket. */
export type DryRunStatus = RowStatus | 'would_create';

/** One line of the results file (and of the campaign's journal: a later run reads it back). */
export interface ResultRow {
  campaign: string;
  line: number | '';
  user_id: string;
  email: string;
  status: DryRunStatus;
  ticket_id: string;
  expires_at: string;
  error: string;
}

export const RESULT_COLUMNS = ['campaign', 'line', 'user_id', 'email', 'status', 'ticket_id', 'expires_at', 'error'] as const;
export const resultFields = (row: ResultRow): string[] => RESULT_COLUMNS.map((name) => String(row[name]));

export const invalidResult = (campaign: string, row: InvalidRow): ResultRow => ({
  campaign,
  line: row.line,
  user_id: row.user_id,
  email: row.email,
  status: 'invalid',
  ticket_id: '',
  expires_at: '',
  error: row.error,
});

/** What the journal remembers of a user: the last ticket a run of this campaign recorded for them. */
export interface JournalEntry {
  row: ResultRow;
  ticket_id: string;
}

export class JournalError extends Error {}

/**
 * A previous run's results, read back: user id → its last record with a ticket. A file written for another campaign
 * is refused rather than mixed in (its tickets would be taken for this campaign's).
 */
export function readJournal(text: string, campaign: string): Map<string, JournalEntry> {
  const journal = new Map<string, JournalEntry>();
  const [header, ...records] = parseCsv(text);
  if (!header) return journal;
  const at = (name: string) => header.fields.indexOf(name);
  if (RESULT_COLUMNS.some((name) => at(name) < 0)) {
    throw new JournalError(`it is not a results file of this tool (expected the header "${RESULT_COLUMNS.join(',')}")`);
  }
  for (const { fields } of records) {
    const get = (name: (typeof RESULT_COLUMNS)[number]) => fields[at(name)] ?? '';
    if (get('campaign') !== campaign) {
      throw new JournalError(`it holds campaign "${get('campaign')}", not "${campaign}": pass --campaign "${get('campaign')}" to continue it, or another --out`);
    }
    const ticketId = get('ticket_id');
    if (!ticketId) continue;
    const line = Number(get('line'));
    journal.set(get('user_id'), {
      ticket_id: ticketId,
      row: {
        campaign,
        line: Number.isInteger(line) && line > 0 ? line : '',
        user_id: get('user_id'),
        email: get('email'),
        status: get('status') as RowStatus,
        ticket_id: ticketId,
        expires_at: get('expires_at'),
        error: get('error'),
      },
    });
  }
  return journal;
}

export interface CampaignOptions {
  campaign: string;
  api: CampaignApi;
  clock: Clock;
  concurrency: number;
  /** Tickets created per second at most (0: no limit), to stay under the account's SES sending rate. */
  rate: number;
  dryRun: boolean;
  journal: Map<string, JournalEntry>;
  /** Each row's result, as soon as it is known (the CLI appends it to the results file at once). */
  onResult: (row: ResultRow) => void;
  /** Set by Ctrl-C: no further row is started; the rows under way finish and are recorded. */
  stopped?: () => boolean;
}

export interface CampaignOutcome {
  counts: Record<DryRunStatus, number>;
  /** Rows never started because the run was stopped. */
  notStarted: number;
  /** Users of this run, for the caller to carry the journal's other records over. */
  handled: Set<string>;
}

/**
 * Sends the campaign: for each user, in up to `concurrency` at once, skips a pending ticket this campaign recorded and a
 * user already enrolled, else creates a ticket with `send_mail` (the API emails it). Never throws for one row: a row
 * the API refuses or that stays unanswered after the retries is `failed` with the API's code.
 */
export async function runCampaign(rows: readonly CampaignRow[], options: CampaignOptions): Promise<CampaignOutcome> {
  const counts: Record<DryRunStatus, number> = { created: 0, skipped_enrolled: 0, skipped_pending: 0, failed: 0, invalid: 0, would_create: 0 };
  const handled = new Set<string>();
  const pace = pacer(options.rate, options.clock);
  let next = 0;

  const worker = async () => {
    while (next < rows.length && !options.stopped?.()) {
      const row = rows[next++]!;
      handled.add(row.user_id);
      const result = await processRow(row, options, pace);
      counts[result.status]++;
      options.onResult(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, rows.length)) }, worker));
  return { counts, notStarted: rows.length - next, handled };
}

async function processRow(row: CampaignRow, options: CampaignOptions, pace: () => Promise<void>): Promise<ResultRow> {
  const result = (status: DryRunStatus, extra: Partial<ResultRow> = {}): ResultRow => ({
    campaign: options.campaign,
    line: row.line,
    user_id: row.user_id,
    email: row.email,
    status,
    ticket_id: '',
    expires_at: '',
    error: '',
    ...extra,
  });
  const failed = (answer: Answer<unknown>, extra: Partial<ResultRow> = {}) => result('failed', { error: answer.error ?? `http_${answer.status}`, ...extra });

  const previous = options.journal.get(row.user_id);
  if (previous) {
    const ticket = await options.api.getTicket(previous.ticket_id);
    if (ticket.status === 200 && ticket.body?.status === 'pending') {
      return result('skipped_pending', { ticket_id: previous.ticket_id, expires_at: ticket.body.expires_at });
    }
    if (ticket.status === 200 && ticket.body?.status === 'redeemed') {
      return result('skipped_enrolled', { ticket_id: previous.ticket_id, expires_at: ticket.body.expires_at });
    }
    // Unknown whether it is still pending: creating another would email the user twice. The next run asks again.
    if (ticket.status !== 200 && ticket.status !== 404) return failed(ticket, { ticket_id: previous.ticket_id });
    // Expired, revoked, locked or gone: the user gets a new ticket below.
  }

  const enrollments = await options.api.listEnrollments(row.user_id);
  if (enrollments.status !== 200) return failed(enrollments);
  if (Array.isArray(enrollments.body) && enrollments.body.length > 0) return result('skipped_enrolled');
  if (options.dryRun) return result('would_create');

  await pace();
  const created = await options.api.createTicket({
    user_id: row.user_id,
    email: row.email,
    send_mail: true,
    ...(row.locale ? { email_locale: row.locale } : {}),
  });
  if (created.status === 200 && typeof created.body?.ticket_id === 'string') {
    return result('created', { ticket_id: created.body.ticket_id, expires_at: String(created.body.expires_at ?? '') });
  }
  // Enrolled between the list and the create (the API refuses a second enrollment).
  if (created.status === 409 && created.error === 'already_enrolled') return result('skipped_enrolled');
  return failed(created.status === 200 ? { ...created, error: 'invalid_answer' } : created);
}

/** At most `rate` calls per second, spaced evenly: each caller waits for the next free slot. */
export function pacer(rate: number, clock: Clock): () => Promise<void> {
  if (!(rate > 0)) return async () => {};
  const spacingMs = 1000 / rate;
  let nextSlot = 0;
  return async () => {
    const now = clock.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + spacingMs;
    if (slot > now) await clock.sleep(slot - now);
  };
}
