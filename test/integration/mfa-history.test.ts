import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { HistoryPage } from '../../lib/history/list';
import { codeFor, confirm, createTicket, start } from '../support/enroll';
import { base32Decode, wrongCode } from '../support/totp';
import { eventually, invoke } from '../support/lambda';
import { record, ticket as ticketFixture } from '../support/lifecycle-records';
import { createChallenge, nextCode, pageVerify } from '../support/mfa';
import { api, db, stack, uniqueUser } from '../support/stack';

/**
 * A user's MFA history on the local stack: API calls write the table, the stream poller hands the records to the
 * history recorder (serverless-offline), and the admin route reads them back, newest first.
 */
const history = (userId: string, query = '') =>
  api<HistoryPage>('GET', `/api/v2/users/${encodeURIComponent(userId)}/mfa/events${query}`);

async function waitForHistory(userId: string, count: number): Promise<HistoryPage> {
  // The recorder reads the one table stream in order, behind every other suite's writes in a full run: generous.
  return eventually(async () => {
    const page = await history(userId, '?per_page=100');
    return page.status === 200 && page.body.events.length >= count ? page.body : undefined;
  }, 120_000, `${count} history events for ${userId}`);
}

describe('MFA history on the local stack', () => {
  it('tells one user\'s story, newest first: enrolled, signed in with the app, then with a recovery code, then removed', { timeout: 240_000 }, async () => {
    const userId = uniqueUser('history');
    const ticket = await createTicket({ user_id: userId });
    const started = await start(ticket.token);
    const confirmed = await confirm(ticket.token, codeFor(started.body.secret), started.body.transaction_token);
    expect(confirmed.status).toBe(200);
    const enrollmentId = confirmed.body.enrollment_id;

    const first = await createChallenge({ user_id: userId });
    expect((await pageVerify({ request_token: first.request_token, code: nextCode(started.body.secret) })).status).toBe(200);
    const second = await createChallenge({ user_id: userId });
    expect((await pageVerify({ request_token: second.request_token, recovery_code: confirmed.body.recovery_code })).status).toBe(200);
    // A removal is dated when the stream saw it, which DynamoDB gives to the second and DynamoDB Local to the minute
    // (docs/HISTORY.md "Order"): one in the same minute as the logins would sort before them here, so the story
    // waits for the next minute before the removal.
    await new Promise((r) => setTimeout(r, 60_100 - (Date.now() % 60_000)));
    expect((await api('DELETE', `/api/v2/guardian/enrollments/${enrollmentId}`)).status).toBe(204);

    const { events } = await waitForHistory(userId, 6);
    // Give a duplicate, if the stack produced one, the time to arrive before counting.
    await new Promise((r) => setTimeout(r, 1500));
    const final = (await history(userId, '?per_page=100')).body.events;
    expect(final).toHaveLength(6);
    expect(final.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));

    const times = final.map((e) => e.occurred_at);
    expect([...times].sort().reverse()).toEqual(times);
    const [deleted, byRecovery, byApp, ...enrolled] = final;
    expect(deleted).toMatchObject({ type: 'Enrollment Deleted', enrollment_id: enrollmentId, factor: 'otp', via: 'admin' });
    expect(byRecovery).toMatchObject({ type: 'MFA Challenge Accepted', factor: 'recovery-code', challenge_id: second.challenge_id, enrollment_id: enrollmentId, via: 'page' });
    expect(byApp).toMatchObject({ type: 'MFA Challenge Accepted', factor: 'otp', challenge_id: first.challenge_id, enrollment_id: enrollmentId, via: 'page' });
    // The redemption writes the enrollment and redeems the ticket in one transaction: the same millisecond.
    expect(enrolled.slice(0, 2).map((e) => e.type).sort()).toEqual(['Enrollment Created', 'Ticket Redeemed']);
    expect(enrolled.slice(0, 2).map((e) => e.via)).toEqual(['page', 'page']);
    expect(enrolled[2]).toMatchObject({ type: 'Ticket Created', ticket_id: ticket.ticket_id, factor: 'otp', via: 'admin', user_agent: 'Node.js' });
    expect(enrolled[2]!.ip).toMatch(/^[0-9a-f.:]+$/);

    // Paged: two at a time, the cursor carrying on where the last page stopped, no event twice, none left out.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await history(userId, `?per_page=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((e) => e.event_id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(final.map((e) => e.event_id));
    expect(pages).toBe(3);

    // Filtered by type (a short name and a detail-type), and from a time on.
    const logins = await history(userId, `?type=${encodeURIComponent('mfa_challenge_accepted,Enrollment Deleted')}`);
    expect(logins.body.events.map((e) => e.type)).toEqual(['Enrollment Deleted', 'MFA Challenge Accepted', 'MFA Challenge Accepted']);
    const since = await history(userId, `?from=${encodeURIComponent(byApp!.occurred_at)}`);
    expect(since.body.events.map((e) => e.event_id)).toEqual([deleted!.event_id, byRecovery!.event_id, byApp!.event_id]);

    // Stored under the history's own partition, with a TTL: the login path's USER# Query never reads it.
    const stored = await db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `HISTORY#${userId}` } }));
    expect(stored.Items).toHaveLength(6);
    for (const item of stored.Items!) expect(item.ttl).toBe(Math.ceil(Date.parse(item.occurred_at) / 1000) + 90 * 86_400);
    const userItems = await db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `USER#${userId}` } }));
    expect(userItems.Items!.every((i) => i.type !== 'history')).toBe(true);
  });

  it('says where each event came from: the hosted pages, the device API, a lockout, with the address and a browser summary', { timeout: 240_000 }, async () => {
    const asBrowser = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' };
    const asDevice = { 'user-agent': 'okhttp/4.12.0' };
    const post = (path: string, body: unknown, headers: Record<string, string>, auth: string | null = null) =>
      api<Record<string, any>>('POST', path, { body, headers, auth });

    // On the pages: enrolled, signed in, then a challenge locked by 5 wrong codes.
    const pageUser = uniqueUser('history-page');
    const ticket = await createTicket({ user_id: pageUser });
    const started = await post('/enroll/start', { ticket: ticket.token }, asBrowser);
    const confirmed = await post('/enroll/confirm', { ticket: ticket.token, transaction_token: started.body.transaction_token, code: codeFor(started.body.secret) }, asBrowser);
    expect(confirmed.status).toBe(200);
    const signIn = await createChallenge({ user_id: pageUser });
    expect((await post('/mfa/verify', { request_token: signIn.request_token, code: nextCode(started.body.secret) }, asBrowser)).status).toBe(200);
    const locked = await createChallenge({ user_id: pageUser });
    const wrong = wrongCode(base32Decode(started.body.secret), Date.now());
    for (let i = 0; i < 5; i += 1) await post('/mfa/verify', { request_token: locked.request_token, code: wrong }, asBrowser);

    // A ticket locked on the page by 5 wrong codes.
    const lockedUser = uniqueUser('history-ticket-locked');
    const lockedTicket = await createTicket({ user_id: lockedUser });
    const lockedStart = await post('/enroll/start', { ticket: lockedTicket.token }, asBrowser);
    const wrongForTicket = wrongCode(base32Decode(lockedStart.body.secret), Date.now());
    for (let i = 0; i < 5; i += 1) await post('/enroll/confirm', { ticket: lockedTicket.token, transaction_token: lockedStart.body.transaction_token, code: wrongForTicket }, asBrowser);

    // Through the device protocol: enrolled, signed in, then locked out (10 wrong codes spend the user's budget).
    const deviceUser = uniqueUser('history-device');
    const deviceTicket = await createTicket({ user_id: deviceUser });
    const flow = await post('/guardian/api/start-flow', { state_transport: 'polling' }, asDevice, `Ticket id="${deviceTicket.token}"`);
    const secret = flow.body.device_account.otp_secret as string;
    expect((await post('/guardian/api/verify-otp', { type: 'manual_input', code: codeFor(secret) }, asDevice, `Bearer ${flow.body.transaction_token}`)).status).toBe(200);
    const deviceSignIn = await createChallenge({ user_id: deviceUser });
    const loginFlow = await post('/guardian/api/start-flow', { state_transport: 'polling' }, asDevice, `Bearer ${deviceSignIn.request_token}`);
    expect((await post('/guardian/api/verify-otp', { type: 'manual_input', code: nextCode(secret) }, asDevice, `Bearer ${loginFlow.body.transaction_token}`)).status).toBe(200);
    const deviceWrong = wrongCode(base32Decode(secret), Date.now());
    for (const _ of [1, 2]) {
      const challenge = await createChallenge({ user_id: deviceUser });
      for (let i = 0; i < 5; i += 1) await post('/guardian/api/verify-otp', { type: 'manual_input', code: deviceWrong }, asDevice, `Bearer ${challenge.request_token}`);
    }

    // The app's verify API (an admin-key route): a user locked out there.
    const apiUser = uniqueUser('history-verify-api');
    const apiTicket = await createTicket({ user_id: apiUser });
    const apiStart = await start(apiTicket.token);
    expect((await confirm(apiTicket.token, codeFor(apiStart.body.secret), apiStart.body.transaction_token)).status).toBe(200);
    const apiWrong = wrongCode(base32Decode(apiStart.body.secret), Date.now());
    for (let i = 0; i < 10; i += 1) await api('POST', `/api/v2/users/${encodeURIComponent(apiUser)}/mfa/verify`, { body: { code: apiWrong }, headers: { 'user-agent': 'curl/8.7.1' } });

    // Page user: Ticket Created, Ticket Redeemed, Enrollment Created, Challenge Accepted, Challenge Locked.
    const pageEvents = (await waitForHistory(pageUser, 5)).events;
    const byType = (events: HistoryPage['events'], type: string) => events.filter((e) => e.type === type);
    for (const type of ['Ticket Redeemed', 'Enrollment Created', 'MFA Challenge Accepted', 'MFA Challenge Locked']) {
      expect(byType(pageEvents, type), type).toEqual([expect.objectContaining({ via: 'page', user_agent: 'Chrome on macOS', ip: expect.stringMatching(/^[0-9a-f.:]+$/) })]);
    }
    const [ticketLocked] = byType((await waitForHistory(lockedUser, 2)).events, 'Ticket Locked');
    expect(ticketLocked).toMatchObject({ ticket_id: lockedTicket.ticket_id, via: 'page', user_agent: 'Chrome on macOS', ip: expect.stringMatching(/^[0-9a-f.:]+$/) });
    // Device user: Ticket Created, Ticket Redeemed, Enrollment Created, Challenge Accepted, 2 × Challenge Locked, User Locked Out.
    const deviceEvents = (await waitForHistory(deviceUser, 7)).events;
    for (const type of ['Ticket Redeemed', 'Enrollment Created', 'MFA Challenge Accepted', 'MFA Challenge Locked', 'MFA User Locked Out']) {
      const events = byType(deviceEvents, type);
      expect(events.length, type).toBeGreaterThan(0);
      for (const event of events) expect(event, type).toMatchObject({ via: 'device', user_agent: 'okhttp', ip: expect.stringMatching(/^[0-9a-f.:]+$/) });
    }
    const [lockedOut] = byType((await waitForHistory(apiUser, 4)).events, 'MFA User Locked Out');
    expect(lockedOut).toMatchObject({ via: 'admin', user_agent: 'curl', ip: expect.stringMatching(/^[0-9a-f.:]+$/) });
    // Only the summary is kept: the header's own text is nowhere in the history.
    expect(JSON.stringify([pageEvents, deviceEvents])).not.toMatch(/Mozilla|AppleWebKit|4\.12\.0/);
  });

  it('a stream record delivered twice writes its event once', async () => {
    const userId = uniqueUser('history-redelivered');
    const rec = record('INSERT', { after: { ...ticketFixture, user_id: userId } });
    const batch = { Records: [rec] };
    expect(await invoke('recordMfaHistory', batch)).toEqual({ batchItemFailures: [] });
    expect(await invoke('recordMfaHistory', { Records: [rec, rec] })).toEqual({ batchItemFailures: [] });
    const page = await history(userId);
    expect(page.body.events.map((e) => e.type)).toEqual(['Ticket Created']);
  });

  it('answers the admin only, and names a bad parameter', async () => {
    expect((await api('GET', '/api/v2/users/someone/mfa/events', { auth: null })).status).toBe(401);
    const bad = await history('someone', '?per_page=1000');
    expect([bad.status, (bad.body as unknown as { error: string }).error]).toEqual([400, 'invalid_per_page']);
  });
});
