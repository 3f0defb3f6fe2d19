/**
 * `npx tsx bench/campaign-scale.ts [rows]` (default 10,000): the enrollment campaign CLI against a fresh local stack
 * (DynamoDB Local, SES emulator, serverless-offline, the mailer on the table's stream), then checked from the outside:
 * every row has exactly one ticket in the table and exactly one email in the SES emulator, the results file names
 * each one, and a second run over the same file creates and sends nothing. Prints one summary line for
 * docs/CAMPAIGN.md; exits 1 when a row is lost or doubled.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { runCli } from '../infra/campaign/cli';
import { csvLine, parseCsv } from '../infra/campaign/csv';
import { freePort } from '../infra/local/processes';
import { startStack } from '../infra/local/stack';

const ROWS = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = '16';
const RUN = Date.now().toString(36);

const say = (text: string) => process.stderr.write(`${text}\n`);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'campaign-scale-'));
  const adminApiKey = `bench-${RUN}-admin-key-0123456789abcdef`;
  say(`Starting the local stack on free ports, in memory ...`);
  const stack = await startStack({
    apiPort: await freePort(),
    lambdaPort: await freePort(),
    dynamodbPort: await freePort(),
    sesPort: await freePort(),
    adminApiKey,
    tableName: 'campaign-scale-tickets',
  });
  try {
    const users = Array.from({ length: ROWS }, (_, i) => ({ id: `scale-${RUN}-${i}`, email: `scale-${RUN}-${i}@example.com` }));
    writeFileSync(join(dir, 'users.csv'), csvLine(['user_id', 'email']) + users.map((u) => csvLine([u.id, u.email])).join(''));

    const run = async (label: string) => {
      const started = Date.now();
      let log = '';
      const code = await runCli(['users.csv', '--api', stack.apiUrl, '--out', 'results.csv', '--concurrency', CONCURRENCY, '--rate', '0'], {
        stderr: { write: (chunk: string) => ((log += chunk), true), isTTY: false },
        env: { ADMIN_API_KEY: adminApiKey },
        cwd: dir,
      });
      const seconds = (Date.now() - started) / 1000;
      say(`${label}: exit ${code} in ${seconds.toFixed(0)} s\n${log.split('\n').slice(-4).join('\n')}`);
      const [header, ...rows] = parseCsv(readFileSync(join(dir, 'results.csv'), 'utf8'));
      const col = (name: string) => header!.fields.indexOf(name);
      return { code, seconds, rows: rows.map(({ fields }) => ({ user: fields[col('user_id')]!, status: fields[col('status')]!, ticket: fields[col('ticket_id')]! })) };
    };

    const first = await run('first run');
    // The mailer sends from the table's stream a moment after each create: wait until the count stops growing.
    const emails = await settledEmails(stack.sesEndpoint, `scale-${RUN}-`, ROWS);
    const tickets = await ticketsOf(stack.dynamodbEndpoint, stack.tableName, `scale-${RUN}-`);
    const second = await run('second run');
    const emailsAfter = await settledEmails(stack.sesEndpoint, `scale-${RUN}-`, ROWS, 5_000);
    const ticketsAfter = await ticketsOf(stack.dynamodbEndpoint, stack.tableName, `scale-${RUN}-`);

    const created = first.rows.filter((r) => r.status === 'created');
    // Rows are written as they end, so the two files' orders differ: compare by user.
    const ticketOf = new Map(first.rows.map((r) => [r.user, r.ticket]));
    const problems = [
      first.code !== 0 && `first run exited ${first.code}`,
      first.rows.length !== ROWS && `first run: ${first.rows.length} result rows for ${ROWS} users`,
      created.length !== ROWS && `first run: ${created.length} created of ${ROWS}`,
      new Set(created.map((r) => r.ticket)).size !== ROWS && 'first run: a ticket id appears twice',
      tickets.size !== ROWS && `table: ${tickets.size} users hold tickets, ${ROWS} expected`,
      [...tickets.values()].some((n) => n !== 1) && 'table: a user holds more than one ticket',
      emails.size !== ROWS && `SES: ${emails.size} addresses got mail, ${ROWS} expected`,
      [...emails.values()].some((n) => n !== 1) && 'SES: an address got more than one email',
      second.code !== 0 && `second run exited ${second.code}`,
      second.rows.some((r) => r.status !== 'skipped_pending') && 'second run: a row was not skipped as pending',
      second.rows.some((r) => r.ticket !== ticketOf.get(r.user)) && 'second run: a row names another ticket than the first run gave its user',
      ticketsAfter.size !== tickets.size || [...ticketsAfter.values()].some((n) => n !== 1) ? 'second run created tickets' : false,
      [...emailsAfter.values()].some((n) => n !== 1) && 'second run sent email',
    ].filter((p): p is string => typeof p === 'string');

    const rate = ROWS / first.seconds;
    say('');
    console.log(
      `${ROWS} rows, --concurrency ${CONCURRENCY}: first run ${first.seconds.toFixed(0)} s (${rate.toFixed(0)} tickets/s), ` +
        `${tickets.size} tickets and ${emails.size} emails (none doubled); second run ${second.seconds.toFixed(0)} s, ` +
        `${second.rows.filter((r) => r.status === 'skipped_pending').length} skipped, nothing created or sent` +
        (problems.length ? ` — FAILED: ${problems.join('; ')}` : ''),
    );
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Emails per recipient with the prefix, once the count has not grown for `quietMs` (or every one of `expected` arrived and stayed). */
async function settledEmails(sesEndpoint: string, prefix: string, expected: number, quietMs = 15_000): Promise<Map<string, number>> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const res = await fetch(`${sesEndpoint}/store`);
    const { emails } = (await res.json()) as { emails: Array<{ destination: { to: string[] } }> };
    const counts = new Map<string, number>();
    for (const email of emails) for (const to of email.destination.to) if (to.startsWith(prefix)) counts.set(to, (counts.get(to) ?? 0) + 1);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total !== last) {
      last = total;
      since = Date.now();
      say(`  emails so far: ${total}`);
    } else if (Date.now() - since > (total >= expected ? Math.min(quietMs, 5_000) : quietMs)) {
      return counts;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Tickets per user with the prefix, read from the table (a full scan: the table holds only this run). */
async function ticketsOf(endpoint: string, tableName: string, prefix: string): Promise<Map<string, number>> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const counts = new Map<string, number>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey, FilterExpression: '#type = :ticket', ExpressionAttributeNames: { '#type': 'type' }, ExpressionAttributeValues: { ':ticket': 'ticket' } }));
    for (const item of page.Items ?? []) {
      const user = String(item.user_id);
      if (user.startsWith(prefix)) counts.set(user, (counts.get(user) ?? 0) + 1);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  db.destroy();
  return counts;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
