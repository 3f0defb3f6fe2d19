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
/** The MFA-at-login handlers: admin, the login page, the device protocol. */
const mfa = {} as Record<
  | 'createChallenge' | 'getChallenge' | 'mfaPage' | 'mfaVerify' | 'verifyUser' | 'regenerate' | 'deleteAuthenticators' | 'verifyResult'
  | 'startFlow' | 'verifyOtp' | 'recoverAccount' | 'transactionState',
  Handler
>;
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
  mfa.createChallenge = (await import('../../functions/create-mfa-challenge')).handler as Handler;
  mfa.getChallenge = (await import('../../functions/get-mfa-challenge')).handler as Handler;
  mfa.mfaPage = (await import('../../functions/mfa-page')).handler as Handler;
  mfa.mfaVerify = (await import('../../functions/mfa-verify')).handler as Handler;
  mfa.verifyUser = (await import('../../functions/verify-user-mfa')).handler as Handler;
  mfa.regenerate = (await import('../../functions/regenerate-recovery-code')).handler as Handler;
  mfa.deleteAuthenticators = (await import('../../functions/delete-user-authenticators')).handler as Handler;
  mfa.verifyResult = (await import('../../functions/verify-mfa-result')).handler as Handler;
  mfa.startFlow = (await import('../../functions/guardian-start-flow')).handler as Handler;
  mfa.verifyOtp = (await import('../../functions/guardian-verify-otp')).handler as Handler;
  mfa.recoverAccount = (await import('../../functions/guardian-recover-account')).handler as Handler;
  mfa.transactionState = (await import('../../functions/guardian-transaction-state')).handler as Handler;
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

  it('MFA at login at DEBUG: request and transaction tokens, OTP and recovery codes, signatures never appear in any captured output', async () => {
    const user = `logs-mfa-${Date.now()}`;
    const resultUrl = `${stack.functionEnv.PUBLIC_BASE_URL}/result`;
    const secrets: Array<[what: string, forms: string[]]> = [];
    /** A JWT: whole, and its signature alone (the part that makes it usable). */
    const jwt = (what: string, token: string) => secrets.push([what, [...encodings(token), token.split('.')[2]!]]);
    /** A 6-digit code is short: searched in the forms a log line would carry it (a JSON string, escaped or not, or a value). */
    const otp = (what: string, code: string) => secrets.push([what, [`"${code}"`, `\\"${code}\\"`, `:${code},`, `:${code}}`, `=${code}`]]);
    const recovery = (what: string, code: string) => secrets.push([what, [...encodings(code), code.toLowerCase(), code.replace(/(.{4})(?!$)/g, '$1-')]]);
    const post = (handler: Handler, body: unknown, headers: Record<string, string> = {}, extra: Parameters<typeof call>[1] = {}) =>
      call(handler, { headers: { ...json, ...headers }, body: JSON.stringify(body), ...extra });
    const device = (handler: Handler, token: string, body?: unknown) => post(handler, body ?? {}, { authorization: `Bearer ${token}` });
    const challenge = async () => {
      const res = await post(mfa.createChallenge, { user_id: user, result_url: resultUrl, state: 'st', nonce: 'nn' }, auth);
      expect(res.status, res.body).toBe(200);
      const body = JSON.parse(res.body);
      jwt('request token', body.request_token);
      secrets.push(['challenge URL', encodings(body.challenge_url)]);
      return body as { challenge_id: string; request_token: string };
    };

    const { output } = await captureOutput(async () => {
      // Enrolled from a ticket on the page's API.
      const created = JSON.parse((await post(h.create, { user_id: user }, auth)).body);
      const token = tokenOfUrl(created.ticket_url);
      const started = JSON.parse((await post(h.start, { ticket: token })).body);
      const secret = started.secret as string;
      const confirmed = await post(h.confirm, { ticket: token, transaction_token: started.transaction_token, code: codeFor(secret) });
      expect(confirmed.status, confirmed.body).toBe(200);
      let recoveryCode = JSON.parse(confirmed.body).recovery_code as string;
      secrets.push(['TOTP secret', encodings(secret, base32Decode(secret))]);
      recovery('recovery code at enrollment', recoveryCode);
      const rawSecret = base32Decode(secret);

      // 1. The hosted page: opened, a wrong code, the right one → a signature, verified by the app (twice: 409).
      const first = await challenge();
      expect((await call(mfa.mfaPage, { method: 'GET', path: '/mfa', queryStringParameters: { request_token: first.request_token } })).status).toBe(200);
      const wrong = wrongCode(rawSecret, Date.now());
      otp('wrong OTP code', wrong);
      expect((await post(mfa.mfaVerify, { request_token: first.request_token, code: wrong })).status).toBe(400);
      const right = codeFor(secret, Date.now() + 30_000);
      otp('OTP code', right);
      const passed = await post(mfa.mfaVerify, { request_token: first.request_token, code: right });
      expect(passed.status, passed.body).toBe(200);
      const signature = JSON.parse(passed.body).signature as string;
      jwt('result signature', signature);
      expect((await post(mfa.verifyResult, { signature }, auth)).status).toBe(200);
      expect((await post(mfa.verifyResult, { signature }, auth)).status).toBe(409);
      expect((await call(mfa.getChallenge, { method: 'GET', headers: auth, pathParameters: { id: first.challenge_id } })).status).toBe(200);

      // 2. The device protocol: start, a wrong code, a recovery code (the next one comes back), the polled result.
      const second = await challenge();
      const loginFlow = await device(mfa.startFlow, second.request_token, { state_transport: 'polling' });
      expect(loginFlow.status).toBe(200);
      const loginTransaction = JSON.parse(loginFlow.body).transaction_token as string;
      jwt('login transaction token', loginTransaction);
      expect((await device(mfa.transactionState, loginTransaction)).status).toBe(200);
      const wrongDevice = wrongCode(rawSecret, Date.now() + 60_000);
      otp('wrong OTP code on the device API', wrongDevice);
      expect((await device(mfa.verifyOtp, loginTransaction, { type: 'manual_input', code: wrongDevice })).status).toBe(400);
      const recovered = await device(mfa.recoverAccount, loginTransaction, { recovery_code: recoveryCode });
      expect(recovered.status, recovered.body).toBe(200);
      recoveryCode = JSON.parse(recovered.body).recovery_code;
      recovery('recovery code issued by the device API', recoveryCode);
      const polled = JSON.parse((await device(mfa.transactionState, loginTransaction)).body);
      expect(polled.state).toBe('accepted');
      jwt('result signature polled by the device', polled.token);

      // 3. The page with a recovery code; the app's own verify API (wrong code, recovery code); regeneration.
      const third = await challenge();
      const viaPage = await post(mfa.mfaVerify, { request_token: third.request_token, recovery_code: recoveryCode.toLowerCase() });
      expect(viaPage.status, viaPage.body).toBe(200);
      recoveryCode = JSON.parse(viaPage.body).recovery_code;
      recovery('recovery code issued by the page', recoveryCode);
      jwt('result signature of a recovery-code login', JSON.parse(viaPage.body).signature);
      const wrongAdmin = wrongCode(rawSecret, Date.now() - 30_000);
      otp('wrong OTP code on the verify API', wrongAdmin);
      const userPath = { pathParameters: { user_id: user } };
      expect((await post(mfa.verifyUser, { code: wrongAdmin }, auth, userPath)).status).toBe(400);
      const viaAdmin = await post(mfa.verifyUser, { recovery_code: recoveryCode }, auth, userPath);
      expect(viaAdmin.status, viaAdmin.body).toBe(200);
      recovery('recovery code issued by the verify API', JSON.parse(viaAdmin.body).recovery_code);
      const regenerated = await call(mfa.regenerate, { headers: auth, ...userPath });
      expect(regenerated.status).toBe(200);
      recovery('regenerated recovery code', JSON.parse(regenerated.body).recovery_code);

      // 4. Enrolling a second authenticator through the device protocol, and a forged request token on every route.
      const another = JSON.parse((await post(h.create, { user_id: user, allow_multiple_enrollments: true }, auth)).body);
      const ticket = tokenOfUrl(another.ticket_url);
      secrets.push(['second ticket token', encodings(ticket)]);
      const flow = await post(mfa.startFlow, { state_transport: 'polling' }, { authorization: `Ticket id="${ticket}"` });
      expect(flow.status, flow.body).toBe(200);
      const { transaction_token: transaction, device_account: account } = JSON.parse(flow.body);
      jwt('enrollment transaction token', transaction);
      secrets.push(['device OTP secret', encodings(account.otp_secret, base32Decode(account.otp_secret))]);
      recovery('device recovery code', account.recovery_code);
      const enrollCode = codeFor(account.otp_secret);
      otp('enrollment OTP code', enrollCode);
      expect((await device(mfa.verifyOtp, transaction, { type: 'manual_input', code: enrollCode })).status).toBe(200);
      const enrolled = JSON.parse((await device(mfa.transactionState, transaction)).body);
      expect(enrolled.state).toBe('accepted');
      jwt('enrollment result signature', enrolled.token);
      const forged = `${first.request_token.split('.').slice(0, 2).join('.')}.${'A'.repeat(43)}`;
      jwt('forged request token', forged);
      expect((await call(mfa.mfaPage, { method: 'GET', path: '/mfa', queryStringParameters: { request_token: forged } })).status).toBe(404);
      expect((await post(mfa.mfaVerify, { request_token: forged, code: '123456' })).status).toBe(404);
      expect((await device(mfa.verifyOtp, forged, { type: 'manual_input', code: '123456' })).status).toBe(401);
      expect((await call(mfa.deleteAuthenticators, { method: 'DELETE', headers: auth, ...userPath })).status).toBe(204);
    });

    for (const line of ['mfa challenge created', 'mfa wrong code', 'mfa login accepted', 'mfa verified', 'recovery code regenerated', 'authenticators deleted']) {
      expect(output, line).toContain(line);
    }
    let forms = 0;
    for (const [what, variants] of secrets) {
      for (const form of variants) {
        forms += 1;
        expect(output.includes(form), `${what} (${form.slice(0, 12)}…) found in the logs`).toBe(false);
      }
    }
    expect(output).not.toMatch(/request_token=/);
    recordFigure('MFA at login at DEBUG, 12 handlers', { cases: secrets.length, secrets: secrets.length, log_messages_seen: 6, violations: 0 });
    console.info(`searched ${output.split('\n').length} log lines for ${forms} forms of ${secrets.length} MFA secrets`);
  });
});
