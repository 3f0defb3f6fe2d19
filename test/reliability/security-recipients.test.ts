import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config';
import { requestOrigin } from '../../lib/http';
import { ticketKey, type TicketRecord } from '../../lib/tickets/ticket';
import { ticketToken } from '../../lib/tickets/tokens';
import insertRecord from '../fixtures/events/dynamodb-stream-insert-send-mail.json';
import * as overHttp from '../support/enroll';
import { codeFor } from '../support/enroll';
import { httpEvent } from '../support/events';
import { guardianClient, promised, type GuardianConfirmationStep, type GuardianTransaction } from '../support/guardian';
import { emailsTo, eventually } from '../support/lambda';
import { api, stack, uniqueUser } from '../support/stack';
import { call, captureOutput, expectHtmlSecurityHeaders, importHandlers, localDocumentClient, tokenOfUrl, useDedicatedTable, type Handler } from './harness';
import { figureLog } from './figures';

vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * Who holds a working link. A ticket sent to a wrong address and then corrected must leave the first recipient with
 * nothing: every earlier link dead (410 on the API, the polite "no longer valid" page), the new address the only one
 * with a working link, whatever order the mailer sees the records in and however sends race. And the links we mint
 * point at our origin only, never at the Host header a client sent.
 */
const TABLE = 'tickets-rel-recipients';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
const context = { functionName: 'recipients', awsRequestId: 'req-recipients', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const h = {} as Record<'create' | 'get' | 'send' | 'page' | 'start' | 'confirm', Handler>;
let mailer: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
const run = `${Date.now()}`;

beforeAll(async () => {
  await useDedicatedTable(TABLE, { POWERTOOLS_LOG_LEVEL: 'WARN' });
  const handlers = await importHandlers();
  Object.assign(h, handlers);
  mailer = handlers.mailer;
});

async function ticketItem(ticketId: string): Promise<TicketRecord> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: ticketKey(ticketId), ConsistentRead: true }));
  return Item as TicketRecord;
}

/** The stream record the table emits for the ticket as it is now: INSERT, or MODIFY for a send request. */
async function streamEvent(ticketId: string, eventName: 'INSERT' | 'MODIFY', sequence: string): Promise<DynamoDBStreamEvent> {
  const item = await ticketItem(ticketId);
  const record = structuredClone(insertRecord.Records[0]!) as unknown as DynamoDBRecord;
  record.eventName = eventName;
  record.dynamodb!.Keys = marshall(ticketKey(ticketId)) as never;
  record.dynamodb!.NewImage = marshall(item, { removeUndefinedValues: true }) as never;
  if (eventName === 'MODIFY') record.dynamodb!.OldImage = marshall({ ...item, email_delivery: { request_id: 'older', status: 'sent' } }, { removeUndefinedValues: true }) as never;
  record.dynamodb!.SequenceNumber = sequence;
  return { Records: [record] };
}

/** The ticket URLs mailed to `address` so far, oldest first. */
async function linksMailedTo(address: string, count: number): Promise<string[]> {
  const mails = await eventually(async () => {
    const found = await emailsTo(address);
    return found.length >= count ? found : undefined;
  }, 5000, `${count} email(s) to ${address}`);
  return mails.map((m) => /https?:\/\/[^\s"<>]+enroll\?ticket=[^\s"<>]+/.exec(m.body.text ?? '')![0]);
}

const send = (ticketId: string, body?: Record<string, unknown>) =>
  call(h.send, { headers: { ...auth, ...(body ? json : {}) }, pathParameters: { ticket_id: ticketId }, body: body && JSON.stringify(body) });
const page = (token: string) => call(h.page, { method: 'GET', path: '/enroll', queryStringParameters: { ticket: token } });
const start = (token: string) => call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) });
const confirm = (token: string, code: string, transactionToken = 'not-started') =>
  call(h.confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: token, transaction_token: transactionToken, code }) });

describe('a changed recipient gets a new link, and every earlier link dies', () => {
  it('wrong address, then corrected: the first link answers 410 / "no longer valid" everywhere, the new one enrolls', async () => {
    const wrong = `wrong-${run}@example.com`;
    const right = `right-${run}@example.com`;
    const user = `recipient-user-${run}`;
    const { output } = await captureOutput(async () => {
      const created = await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user, email: wrong, send_mail: true }) });
      expect(created.status, created.body).toBe(200);
      const { ticket_id: ticketId, ticket_url: firstUrl } = JSON.parse(created.body);
      expect((await mailer(await streamEvent(ticketId, 'INSERT', '1'), context)).batchItemFailures).toEqual([]);
      expect(await linksMailedTo(wrong, 1)).toEqual([firstUrl]);

      // A resend to the same address: same link, the first recipient keeps it.
      const same = await send(ticketId, { email: wrong });
      expect(same.status, same.body).toBe(202);
      expect(JSON.parse(same.body).link_generation).toBe(0);
      const staleRecord = await streamEvent(ticketId, 'MODIFY', '2');
      expect((await mailer(staleRecord, context)).batchItemFailures).toEqual([]);
      expect(await linksMailedTo(wrong, 2)).toEqual([firstUrl, firstUrl]);

      // The address is corrected: a new generation, the history says who got which link.
      const pendingForWrong = await send(ticketId);
      expect(pendingForWrong.status).toBe(202);
      const wrongRequest = await streamEvent(ticketId, 'MODIFY', '3'); // not yet handled when the correction lands
      const corrected = await send(ticketId, { email: right });
      expect(corrected.status, corrected.body).toBe(202);
      const view = JSON.parse(corrected.body);
      expect(view).toMatchObject({ email: right, link_generation: 1 });
      expect(view.recipients.map((r: { email: string; generation: number }) => [r.email, r.generation])).toEqual([[wrong, 0], [right, 1]]);

      // The request for the wrong address, delivered late, sends nothing; the correction's sends the new link.
      expect((await mailer(wrongRequest, context)).batchItemFailures).toEqual([]);
      expect((await mailer(await streamEvent(ticketId, 'MODIFY', '4'), context)).batchItemFailures).toEqual([]);
      const [newUrl] = await linksMailedTo(right, 1);
      expect(newUrl).not.toBe(firstUrl);
      expect(await emailsTo(wrong)).toHaveLength(2);

      // Every way the first recipient could use the old link: refused, nothing written.
      const oldToken = tokenOfUrl(firstUrl);
      const before = await ticketItem(ticketId);
      const oldPage = await page(oldToken);
      expect(oldPage.status).toBe(410);
      expectHtmlSecurityHeaders(oldPage);
      expect(oldPage.body).toContain('This link is no longer valid');
      expect(oldPage.body).not.toContain(oldToken);
      for (const res of [await start(oldToken), await confirm(oldToken, '000000')]) {
        expect(res.status, res.body).toBe(410);
        expect(JSON.parse(res.body)).toMatchObject({ error: 'ticket_superseded' });
      }
      expect(await ticketItem(ticketId)).toEqual(before);

      // The admin view: the history, never a link or a token.
      const got = await call(h.get, { method: 'GET', headers: auth, pathParameters: { ticket_id: ticketId } });
      expect(JSON.parse(got.body).recipients).toHaveLength(2);
      for (const secretPart of [tokenOfUrl(newUrl!).split('.')[1]!, oldToken.split('.')[1]!]) expect(got.body).not.toContain(secretPart);

      // The new recipient enrolls with the new link.
      const newToken = tokenOfUrl(newUrl!);
      expect((await page(newToken)).status).toBe(200);
      const started = await start(newToken);
      expect(started.status, started.body).toBe(200);
      const { secret, transaction_token } = JSON.parse(started.body);
      const confirmed = await confirm(newToken, codeFor(secret), transaction_token);
      expect(confirmed.status, confirmed.body).toBe(200);
      // And afterwards the old link still says "replaced", not "used": it tells the first recipient nothing more.
      expect((await page(oldToken)).status).toBe(410);
      expect((await page(oldToken)).body).toContain('This link is no longer valid');
    });
    expect(output).not.toContain('enroll?ticket=');
    recordFigure('recipient corrected: old link refused on page, start, confirm', { cases: 4, violations: 0 });
  });

  it('racing sends to different addresses (12 tickets × 3 at once): the history is consecutive and only its last link works', async () => {
    const TICKETS = 12;
    let changes = 0;
    await captureOutput(async () => {
      for (let t = 0; t < TICKETS; t += 1) {
        const first = `race-${t}-a-${run}@example.com`;
        const created = JSON.parse((await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: `race-${t}-${run}`, email: first }) })).body);
        const targets = [`race-${t}-b-${run}@example.com`, `race-${t}-c-${run}@example.com`, t % 2 === 0 ? first : `race-${t}-d-${run}@example.com`];
        const answers = await Promise.all(targets.map((email) => send(created.ticket_id, { email })));
        for (const res of answers) {
          expect([202, 409], res.body).toContain(res.status);
          if (res.status === 409) expect(JSON.parse(res.body).error).toBe('ticket_changed');
        }
        const item = await ticketItem(created.ticket_id);
        const history = item.recipients!;
        // Consecutive generations, the last entry is the ticket's address and generation, no address twice in a row.
        expect(history.map((r) => r.generation)).toEqual(history.map((_, i) => i));
        expect(history.at(-1)).toMatchObject({ email: item.email, generation: item.generation });
        for (let i = 1; i < history.length; i += 1) expect(history[i]!.email).not.toBe(history[i - 1]!.email);
        changes += history.length - 1;
        // Only the current generation's link opens the page; the creation link is dead once the address moved.
        const createdToken = tokenOfUrl(created.ticket_url);
        expect((await page(createdToken)).status).toBe(item.generation === 0 ? 200 : 410);
      }
    });
    console.info(`racing sends: ${changes} recipient changes over ${TICKETS} tickets`);
    recordFigure('racing recipient changes: consecutive history, only the last link works', { rounds: TICKETS, requests: 3 * TICKETS, violations: 0 });
  });
});

/**
 * Enrollments started before the address was corrected, over the local stack's HTTP API (the device route needs it):
 * the wrong recipient already holds a transaction (a secret and its token) when the link is replaced.
 */
describe('a recipient change ends every enrollment started before it', () => {
  const deviceServiceUrl = () => `${stack.apiUrl}/guardian`;
  const verifyOtp = (transactionToken: string, code: string) =>
    api<Record<string, unknown>>('POST', '/guardian/api/verify-otp', { auth: `Bearer ${transactionToken}`, body: { type: 'manual_input', code } });
  const correct = (ticketId: string, email: string) => api<Record<string, unknown>>('POST', `/tickets/${ticketId}/send`, { body: { email } });
  /** The new link, as the corrected address receives it (the mail carries exactly this token). */
  const linkOf = (ticketId: string, generation: number) => ticketToken(ticketId, generation, loadConfig(stack.functionEnv).signingKeys.current);
  /** The wrong recipient was refused and nothing was enrolled: the ticket is pending, no attempt counted, no enrollment. */
  async function expectNothingEnrolled(ticketId: string, user: string) {
    expect(await overHttp.ticketItem(ticketId)).toMatchObject({ status: 'pending', attempts: 0 });
    const enrollments = await api<unknown[]>('GET', `/api/v2/users/${encodeURIComponent(user)}/enrollments`);
    expect(enrollments.body).toEqual([]);
  }

  async function deviceStart(ticket: string): Promise<{ tx: GuardianTransaction; step: GuardianConfirmationStep }> {
    const tx = await promised<GuardianTransaction>((cb) => guardianClient(deviceServiceUrl(), { ticket }).start(cb));
    tx.on('error', () => {}); // a refused confirm is also emitted as 'error'
    const step = await promised<GuardianConfirmationStep>((cb) => tx.enroll('otp', null, cb));
    return { tx, step };
  }

  it('the vendor device client: started by the wrong recipient, then corrected: their code is refused (410 ticket_superseded); the new link enrolls', async () => {
    const user = uniqueUser('recipient-device');
    const ticket = await overHttp.createTicket({ user_id: user, email: `wrong-device-${run}@example.com` });
    const wrong = await deviceStart(ticket.token);
    expect((await overHttp.ticketItem(ticket.ticket_id))!.pending_totp).toBeDefined();

    const corrected = await correct(ticket.ticket_id, `right-device-${run}@example.com`);
    expect(corrected.status, JSON.stringify(corrected.body)).toBe(202);
    expect(corrected.body.link_generation).toBe(1);
    // The correction took the started enrollment off the ticket in the same write.
    const after = await overHttp.ticketItem(ticket.ticket_id);
    expect(after!.pending_totp).toBeUndefined();
    expect(after!.pending_webauthn).toBeUndefined();

    const refused = await promised((cb) => wrong.step.confirm({ otpCode: codeFor(wrong.step.getData().otpSecret) }, cb)).catch((err) => err);
    expect(refused).toMatchObject({ statusCode: 410, errorCode: 'ticket_superseded' });
    // Its listeners stay: the client's polling ends by itself on transaction-state's 401.
    await expectNothingEnrolled(ticket.ticket_id, user);

    // The corrected recipient enrolls through the same client with the new link.
    const right = await deviceStart(linkOf(ticket.ticket_id, 1));
    const accepted = await promised<{ recoveryCode: string }>((cb) => right.step.confirm({ otpCode: codeFor(right.step.getData().otpSecret) }, cb));
    expect(accepted.recoveryCode).toMatch(/^[0-9A-Z]{24}$/);
    right.tx.removeAllListeners();
    expect(await overHttp.ticketItem(ticket.ticket_id)).toMatchObject({ status: 'redeemed', generation: 1 });
    recordFigure('recipient corrected after the wrong recipient started (device client)', { cases: 1, violations: 0 });
  }, 60_000);

  it('the hosted page: started by the wrong recipient, then corrected: their transaction completes nowhere (page or device route); the new link enrolls', async () => {
    const user = uniqueUser('recipient-page');
    const ticket = await overHttp.createTicket({ user_id: user, email: `wrong-page-${run}@example.com` });
    const started = await overHttp.start(ticket.token);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const { secret, transaction_token: transaction } = started.body;

    expect((await correct(ticket.ticket_id, `right-page-${run}@example.com`)).status).toBe(202);
    expect((await overHttp.ticketItem(ticket.ticket_id))!.pending_totp).toBeUndefined();

    // The page with the old link, and the same transaction sent to the device route (the token is its only credential).
    expect(await overHttp.confirm(ticket.token, codeFor(secret), transaction)).toMatchObject({ status: 410, body: { error: 'ticket_superseded' } });
    expect(await verifyOtp(transaction, codeFor(secret))).toMatchObject({ status: 410, body: { error_code: 'ticket_superseded' } });
    expect(await api('POST', '/guardian/api/transaction-state', { auth: `Bearer ${transaction}`, body: {} })).toMatchObject({
      status: 401,
      body: { error_code: 'ticket_superseded' },
    });
    await expectNothingEnrolled(ticket.ticket_id, user);

    const newLink = linkOf(ticket.ticket_id, 1);
    const restarted = await overHttp.start(newLink);
    expect(restarted.status, JSON.stringify(restarted.body)).toBe(200);
    const confirmed = await overHttp.confirm(newLink, codeFor(restarted.body.secret), restarted.body.transaction_token);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    recordFigure('recipient corrected after the wrong recipient started (page, and its transaction on the device route)', { cases: 3, violations: 0 });
  });

  it('a transaction of an older generation left on the ticket (a start that read the ticket before the change and wrote after it) cannot redeem', async () => {
    const user = uniqueUser('recipient-late-start');
    const ticket = await overHttp.createTicket({ user_id: user, email: `late-${run}@example.com` });
    const started = await overHttp.start(ticket.token);
    // What a start racing the correction leaves: the new generation, the old generation's pending enrollment still there.
    await overHttp.patchTicket(ticket.ticket_id, { generation: 1 });
    const code = codeFor(started.body.secret);
    expect(await verifyOtp(started.body.transaction_token, code)).toMatchObject({ status: 410, body: { error_code: 'ticket_superseded' } });
    expect(await overHttp.confirm(linkOf(ticket.ticket_id, 1), code, started.body.transaction_token)).toMatchObject({ status: 410, body: { error: 'ticket_superseded' } });
    await expectNothingEnrolled(ticket.ticket_id, user);
    recordFigure('transaction of an older link generation refused (device route, page)', { cases: 2, violations: 0 });
  });
});

describe('ticket URLs point at our origin, never at the Host header', () => {
  it('for any Host header (300 generated), the origin is PUBLIC_BASE_URL, or else the API Gateway domain', () => {
    let cases = 0;
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.string(), fc.webUrl()), (host) => {
        const event = httpEvent({ headers: { host, 'x-forwarded-host': host } });
        const deployed = requestOrigin(event, { publicBaseUrl: undefined, localMode: false });
        expect(deployed).toBe(`https://${event.requestContext.domainName}`);
        expect(requestOrigin(event, { publicBaseUrl: 'https://mfa.example.com', localMode: false })).toBe('https://mfa.example.com');
        cases += 1;
      }),
      { numRuns: 300, seed: 20261201 },
    );
    recordFigure('ticket URL origin ignores Host', { cases, violations: 0 });
  });
});
