import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ticketKey } from '../../lib/tickets/ticket';
import eventBridgeSignup from '../fixtures/events/eventbridge-user-signed-up.json';
import insertRecord from '../fixtures/events/dynamodb-stream-insert-send-mail.json';
import { codeFor } from '../support/enroll';
import { emailsTo, eventually } from '../support/lambda';
import { stack } from '../support/stack';
import { base32Decode, wrongCode } from '../support/totp';
import { call, captureOutput, localDocumentClient, tokenOfUrl, useDedicatedTable, type Handler, importHandlers } from './harness';
import { figureLog } from './figures';

vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * Everything every handler logs during a full flow — create → email (the real SES emulator) → page → start → wrong
 * code → confirm, and resend, revoke, list, delete, the sweep and a signup around it — at POWERTOOLS_LOG_LEVEL=DEBUG
 * (with event logging asked for too), captured and searched for every secret the flow handled, in every encoding.
 */
const TABLE = 'tickets-rel-logs';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
const context = { functionName: 'logs', awsRequestId: 'req-logs', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const h = {} as Record<'create' | 'get' | 'revoke' | 'send' | 'page' | 'start' | 'confirm' | 'list' | 'remove', Handler>;
let mailer: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
let signup: <E>(event: E, context: Context) => Promise<E>;
let sweep: (event: unknown, context: Context) => Promise<unknown>;

beforeAll(async () => {
  // SIGNUP_TRUST_EVENT_EMAIL: the flow includes an EventBridge signup that issues (and mails) a ticket.
  await useDedicatedTable(TABLE, {
    POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_LOGGER_LOG_EVENT: 'true', POWERTOOLS_METRICS_DISABLED: 'true', SIGNUP_TRUST_EVENT_EMAIL: 'true',
  });
  const { mailer: m, signup: sg, sweep: sw, ...http } = await importHandlers();
  Object.assign(h, http);
  mailer = m;
  signup = sg as never;
  sweep = sw as never;
});

/** The stream record the table would emit for the ticket as it is now (INSERT, or MODIFY for a resend). */
async function streamEvent(ticketId: string, eventName: 'INSERT' | 'MODIFY', sequence: string): Promise<DynamoDBStreamEvent> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: ticketKey(ticketId), ConsistentRead: true }));
  const record = structuredClone(insertRecord.Records[0]!) as unknown as DynamoDBRecord;
  record.eventName = eventName;
  record.dynamodb!.Keys = marshall(ticketKey(ticketId)) as never;
  record.dynamodb!.NewImage = marshall(Item!, { removeUndefinedValues: true }) as never;
  if (eventName === 'MODIFY') record.dynamodb!.OldImage = marshall({ ...Item!, email_delivery: { request_id: 'older', status: 'sent' } }, { removeUndefinedValues: true }) as never;
  record.dynamodb!.SequenceNumber = sequence;
  return { Records: [record] };
}

/** Every way a secret could be written down: as is, URL-encoded, in JSON, and its raw bytes in hex and base64. */
function encodings(secret: string, raw?: Buffer): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  if (raw) for (const form of [raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')]) forms.add(form);
  return [...forms].filter((f) => f.length >= 8);
}

describe('no secret reaches the logs', () => {
  it('a full flow at DEBUG: tokens, ticket URLs, TOTP secrets and recovery codes never appear in any captured output', async () => {
    const address = `logs-${Date.now()}@example.com`;
    const user = `logs-user-${Date.now()}`;
    const secrets: Array<[what: string, forms: string[]]> = [];
    const { output } = await captureOutput(async () => {
      // Create with an email → the mailer (real SES emulator) → the URL the user receives.
      const created = await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user, email: address, send_mail: true }) });
      expect(created.status, created.body).toBe(200);
      const { ticket_id: ticketId, ticket_url: ticketUrl } = JSON.parse(created.body);
      const token = tokenOfUrl(ticketUrl);
      expect((await mailer(await streamEvent(ticketId, 'INSERT', '1'), context)).batchItemFailures).toEqual([]);
      const [mail] = await eventually(async () => ((await emailsTo(address)).length > 0 ? emailsTo(address) : undefined), 5000, 'the ticket email');
      const mailedUrl = /https?:\/\/[^\s"<>]+enroll\?ticket=[^\s"<>]+/.exec(mail!.body.text ?? '')![0];
      expect(mailedUrl).toBe(ticketUrl);
      secrets.push(['ticket URL', encodings(ticketUrl)], ['token', encodings(token)], ['ticket secret', encodings(token.split('.')[1]!, Buffer.from(token.split('.')[1]!, 'base64url'))]);

      // The admin looks, resends (the mailer again), the user opens the page, starts, mistypes, confirms.
      expect((await call(h.get, { method: 'GET', headers: auth, pathParameters: { ticket_id: ticketId } })).status).toBe(200);
      expect((await call(h.send, { headers: auth, pathParameters: { ticket_id: ticketId } })).status).toBe(202);
      expect((await mailer(await streamEvent(ticketId, 'MODIFY', '2'), context)).batchItemFailures).toEqual([]);
      expect((await call(h.page, { method: 'GET', path: '/enroll', queryStringParameters: { ticket: token }, headers: { 'accept-language': 'fr' } })).status).toBe(200);
      // Started twice (a scanner, then the user): each start's secret and transaction are secrets.
      let secret = '';
      let transaction = '';
      for (const who of ['scanner', 'user']) {
        const started = await call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) });
        expect(started.status, `${who}: ${started.body}`).toBe(200);
        const body = JSON.parse(started.body);
        ({ secret, transaction_token: transaction } = body);
        const txid = JSON.parse(Buffer.from(transaction.split('.')[1]!, 'base64url').toString()).txid as string;
        secrets.push(
          ['TOTP secret', [...encodings(secret, base32Decode(secret)), secret.toLowerCase()]],
          ['otpauth URI', encodings(body.otpauth_uri)],
          ['QR code', [body.qr_code.slice(-64)]],
          ['transaction token', encodings(transaction)],
          ['transaction id', encodings(txid)],
        );
      }
      const rawSecret = base32Decode(secret);
      const wrong = await call(h.confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: token, transaction_token: transaction, code: wrongCode(rawSecret, Date.now()) }) });
      expect(wrong.status).toBe(400);
      const confirmed = await call(h.confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: token, transaction_token: transaction, code: codeFor(secret) }) });
      expect(confirmed.status, confirmed.body).toBe(200);
      const { recovery_code: recoveryCode, enrollment_id: enrollmentId } = JSON.parse(confirmed.body);
      secrets.push(['recovery code', [...encodings(recoveryCode), recoveryCode.replace(/-/g, ''), recoveryCode.toLowerCase()]]);
      // The used link, again: the "already used" page.
      expect((await call(h.page, { method: 'GET', path: '/enroll', queryStringParameters: { ticket: token } })).status).toBe(410);
      expect((await call(h.confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: token, transaction_token: transaction, code: codeFor(secret) }) })).status).toBe(410);

      // Around it: a second ticket revoked, a third expired and swept, a signup, the enrollment listed and deleted.
      const other = JSON.parse((await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: `${user}-2`, allow_multiple_enrollments: true }) })).body);
      secrets.push(['second token', encodings(tokenOfUrl(other.ticket_url))]);
      expect((await call(h.revoke, { method: 'DELETE', headers: auth, pathParameters: { ticket_id: other.ticket_id } })).status).toBe(200);
      const third = JSON.parse((await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: `${user}-3` }) })).body);
      secrets.push(['third token', encodings(tokenOfUrl(third.ticket_url))]);
      await db.send(new UpdateCommand({ TableName: TABLE, Key: ticketKey(third.ticket_id), UpdateExpression: 'SET expires_at = :past', ExpressionAttributeValues: { ':past': Date.now() - 1000 } }));
      await sweep({}, context);
      expect((await call(h.page, { method: 'GET', path: '/enroll', queryStringParameters: { ticket: tokenOfUrl(third.ticket_url) } })).status).toBe(410);
      const signupEvent = structuredClone(eventBridgeSignup);
      signupEvent.detail.user_id = `${user}-signup`;
      await signup(signupEvent, context);
      expect((await call(h.list, { method: 'GET', headers: auth, pathParameters: { user_id: user } })).status).toBe(200);
      expect((await call(h.remove, { method: 'DELETE', headers: auth, pathParameters: { id: enrollmentId } })).status).toBe(204);
      // And a forged token on every public route.
      const forged = `${ticketId}.${'A'.repeat(43)}`;
      secrets.push(['forged token', encodings(forged)]);
      expect((await call(h.page, { method: 'GET', path: '/enroll', queryStringParameters: { ticket: forged } })).status).toBe(404);
      expect((await call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: forged }) })).status).toBe(404);
    });

    // The capture saw the handlers' logs (so an empty capture cannot pass), including the steps that handle secrets.
    for (const line of ['ticket created', 'email sent', 'ticket email requested', 'enrollment started', 'wrong enrollment code', 'enrollment confirmed', 'ticket revoked', 'sweep finished', 'signup ticket issued', 'enrollment deleted']) {
      expect(output, line).toContain(line);
    }
    let forms = 0;
    for (const [what, variants] of secrets) {
      for (const form of variants) {
        forms += 1;
        expect(output.includes(form), `${what} (${form.slice(0, 12)}…) found in the logs`).toBe(false);
      }
    }
    expect(output).not.toMatch(/enroll\?ticket=/);
    recordFigure('full flow at DEBUG, 12 handlers', { cases: secrets.length, secrets: secrets.length, log_messages_seen: 10, violations: 0 });
    console.info(`searched ${output.split('\n').length} log lines for ${forms} forms of ${secrets.length} secrets`);
  });
});
