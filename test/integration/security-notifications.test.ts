import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamPoller, type FilterPattern, type InvokeResult } from '../../infra/local/stream-poller';
import securityFilter from '../../infra/security-notification-stream-filter.json';
import { getConfig } from '../../lib/config';
import { sesClient } from '../../lib/email/ses';
import { NotificationMarkerStore } from '../../lib/notify/marker-store';
import { notifyRecord, type NotifyDeps } from '../../lib/notify/notifications';
import { createTicket, enrollUser } from '../support/enroll';
import { confirmEmail, latestCode, sendCode, startEmail } from '../support/email-enroll';
import { emailsTo, eventually } from '../support/lambda';
import { api, db, stack, uniqueUser } from '../support/stack';

/**
 * Security notifications over the local stack: the real table and its stream (DynamoDB Local), the stream poller the
 * stack uses with this consumer's filter file, the SES emulator. The handler runs in this process with the stack's
 * configuration. The stack's table is shared with other test files, so each poller here hands the handler only the
 * records of this file's users (their ids carry a prefix of this run).
 */
const RUN = `secnotif${Date.now().toString(36)}`;
const context = { functionName: 'sendSecurityNotification', awsRequestId: 'local', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const userOf = (r: DynamoDBRecord) => JSON.stringify(r.dynamodb?.NewImage ?? r.dynamodb?.OldImage ?? {});
const ours = (tag: string) => (r: DynamoDBRecord) => userOf(r).includes(`${RUN}${tag}`);

const delivered: DynamoDBRecord[] = [];
const pollers: StreamPoller[] = [];
let handler: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
const deadLog: string[] = [];
let deadFailures = 0;

function poller(keep: (r: DynamoDBRecord) => boolean, run: (records: DynamoDBRecord[]) => Promise<InvokeResult>, log?: (m: string) => void) {
  const p = new StreamPoller({
    dynamodbEndpoint: stack.dynamodbEndpoint,
    tableName: stack.tableName,
    filterPatterns: securityFilter as unknown as FilterPattern[],
    maxRetries: 2,
    log,
    invoke: async (event) => {
      const records = event.Records.filter(keep);
      return records.length === 0 ? { ok: true, failures: [] } : run(records);
    },
  });
  pollers.push(p.start());
}

/** A port nothing listens on: SES "down". */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  Object.assign(process.env, stack.functionEnv, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  ({ handler } = await import('../../functions/send-security-notification'));
  poller(ours('live'), async (records) => {
    delivered.push(...records);
    try {
      const res = await handler({ Records: records }, context);
      return { ok: true, failures: res.batchItemFailures.map((f) => f.itemIdentifier) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  });

  // The same consumer with SES unreachable.
  const config = getConfig('encryptionKeys');
  const deadSes: NotifyDeps = {
    db,
    tableName: stack.tableName,
    identityLookup: undefined,
    keys: config.encryptionKeys,
    ses: sesClient({ sesEndpoint: `http://127.0.0.1:${await closedPort()}` }),
    markers: new NotificationMarkerStore(db, stack.tableName),
    config: { ...config.securityNotifications, emailFrom: config.emailFrom!, sesConfigurationSet: undefined },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: { addMetric: () => undefined },
    now: () => Date.now(),
  };
  poller(ours('dead'), async (records) => {
    const failures: string[] = [];
    for (const r of records) {
      try {
        await notifyRecord(deadSes, r);
      } catch {
        deadFailures += 1;
        failures.push(r.dynamodb!.SequenceNumber!);
        break;
      }
    }
    return { ok: true, failures };
  }, (m) => deadLog.push(m));
}, 60_000);

afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
});

const subjects = async (to: string) => (await emailsTo(to)).map((e) => e.subject);

describe('security notifications through the stream', () => {
  it('an authenticator added, then removed by the admin: one mail each, in the ticket\'s locale, even when the records are delivered again', async () => {
    const to = `${RUN}live-fr@example.com`;
    const enrolled = await enrollUser(uniqueUser(`${RUN}live`), { email: to, email_locale: 'fr' });
    const added = 'Une méthode de connexion a été ajoutée à votre compte';
    await eventually(async () => ((await subjects(to)).includes(added) ? true : undefined), 20_000, 'the "added" notification');

    expect((await api('DELETE', `/api/v2/guardian/enrollments/${enrolled.enrollment_id}`)).status).toBe(204);
    const removed = 'Une méthode de connexion a été retirée de votre compte';
    await eventually(async () => ((await subjects(to)).includes(removed) ? true : undefined), 20_000, 'the "removed" notification');

    // Lambda delivering the same records again (a retry, a replay): nothing more is sent.
    const again = await handler({ Records: structuredClone(delivered.filter(ours('live'))) }, context);
    expect(again.batchItemFailures).toEqual([]);
    const mails = await emailsTo(to);
    expect(mails.map((m) => m.subject).sort()).toEqual([added, removed].sort());
    const text = mails.find((m) => m.subject === added)!.body.text ?? '';
    expect(text).toContain('Application d’authentification');
    expect(text).toMatch(/Quand : .* UTC/);
    expect(text).not.toMatch(/https?:/);
  }, 60_000);

  it("a user with an email factor is told at that address, not at the enrolling ticket's", async () => {
    const user = uniqueUser(`${RUN}live`);
    const ticketAddress = `${RUN}live-ticket@example.com`;
    const factorAddress = `${RUN}live-factor@example.com`;
    const added = 'A sign-in method was added to your account';
    const removed = 'A sign-in method was removed from your account';
    const otp = await enrollUser(user, { email: ticketAddress, send_mail: false });
    await eventually(async () => ((await subjects(ticketAddress)).includes(added) ? true : undefined), 20_000, 'the "added" notification (app)');

    // The email factor, enrolled from a ticket as a user does: the code read from the inbox.
    const ticket = await createTicket({ user_id: user, email: factorAddress, factor: 'email', send_mail: false, allow_multiple_enrollments: true });
    const started = await startEmail(ticket.token);
    expect((await sendCode(ticket.token, started.body.transaction_token)).status).toBe(200);
    const confirmed = await confirmEmail(ticket.token, started.body.transaction_token, await latestCode(factorAddress, 1));
    expect(confirmed.status).toBe(200);
    await eventually(async () => ((await subjects(factorAddress)).includes(added) ? true : undefined), 20_000, 'the "added" notification (email)');

    expect((await api('DELETE', `/api/v2/guardian/enrollments/${otp.enrollment_id}`)).status).toBe(204);
    await eventually(async () => ((await subjects(factorAddress)).includes(removed) ? true : undefined), 20_000, 'the "removed" notification');
    expect(await subjects(ticketAddress)).toEqual([added]);
  }, 60_000);

  it('SES unreachable: the admin delete still answers 204 at once; the notification is retried and given up to the failure queue, never sent', async () => {
    const to = `${RUN}dead@example.com`;
    const enrolled = await enrollUser(uniqueUser(`${RUN}dead`), { email: to });
    await eventually(async () => (deadFailures > 0 ? true : undefined), 20_000, 'a failed notification attempt');

    const startedAt = performance.now();
    const res = await api('DELETE', `/api/v2/guardian/enrollments/${enrolled.enrollment_id}`);
    const took = performance.now() - startedAt;
    expect(res.status).toBe(204);
    expect(took).toBeLessThan(2_000);

    await eventually(async () => (deadLog.some((m) => m.includes('gave up')) ? true : undefined), 30_000, 'the poller giving up (deployed: the failure queue)');
    expect(await emailsTo(to)).toEqual([]);
  }, 90_000);
});
