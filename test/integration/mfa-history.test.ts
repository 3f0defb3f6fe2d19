import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { HistoryPage } from '../../lib/history/list';
import { codeFor, confirm, createTicket, start } from '../support/enroll';
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
    expect(byRecovery).toMatchObject({ type: 'MFA Challenge Accepted', factor: 'recovery-code', challenge_id: second.challenge_id, enrollment_id: enrollmentId });
    expect(byApp).toMatchObject({ type: 'MFA Challenge Accepted', factor: 'otp', challenge_id: first.challenge_id, enrollment_id: enrollmentId });
    // The redemption writes the enrollment and redeems the ticket in one transaction: the same millisecond.
    expect(enrolled.slice(0, 2).map((e) => e.type).sort()).toEqual(['Enrollment Created', 'Ticket Redeemed']);
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
