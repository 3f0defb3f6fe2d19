import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import type { SinkEvent } from '../../infra/local/event-sink';
import { LIFECYCLE_RULES } from '../../lib/events/catalog';
import { TicketStore } from '../../lib/tickets/ticket-store';
import { codeFor, confirm, createTicket, patchTicket, start } from '../support/enroll';
import { eventually } from '../support/lambda';
import { api, db, stack, uniqueUser } from '../support/stack';

/**
 * Lifecycle events end to end on the local stack: API calls and the mailer write the table, the stream poller hands
 * the records to the publisher function (serverless-offline), and its EventBridge client puts them on the local
 * EventBridge (EVENTBRIDGE_ENDPOINT), read back here as `npm run events` reads them.
 */
async function eventsFor(userId: string): Promise<SinkEvent[]> {
  const res = await fetch(`${stack.eventsUrl}/events`);
  const { events } = (await res.json()) as { events: SinkEvent[] };
  return events.filter((e) => e.detail.user_id === userId);
}

/** Waits until the user's events include every detail-type in `expected` (as many times as listed). */
async function waitForEvents(userId: string, expected: string[]): Promise<SinkEvent[]> {
  return eventually(async () => {
    const events = await eventsFor(userId);
    const types = events.map((e) => e['detail-type']);
    return expected.every((t) => types.filter((x) => x === t).length >= expected.filter((x) => x === t).length) ? events : undefined;
    // The publisher reads the one table stream in order, behind every other suite's writes in a full run (thousands
    // of tickets): the wait bounds correctness, not latency, so it is generous.
  }, 120_000, `events ${expected.join(', ')} for ${userId}`);
}

const schemaOf = (detailType: string) => LIFECYCLE_RULES.find((r) => r.detailType === detailType)!.schema;

describe('lifecycle events on the local stack', () => {
  it('publishes each ticket and enrollment state change once, valid against its schema, with no secret in it', async () => {
    const userId = uniqueUser('events');
    const email = `${userId}@example.com`;

    // Created and emailed; then started and locked by five wrong codes.
    const mailed = await createTicket({ user_id: userId, email, send_mail: true });
    await waitForEvents(userId, ['Ticket Email Sent']);
    const locking = await start(mailed.token);
    const wrong = [];
    for (let i = 0; i < 5; i += 1) wrong.push((await confirm(mailed.token, '000000', locking.body.transaction_token)).body.error);
    expect(wrong).toEqual([...Array(4).fill('invalid_code'), 'ticket_locked']);

    // Revoked by the admin.
    const revoked = await createTicket({ user_id: userId });
    expect((await api('DELETE', `/tickets/${revoked.ticket_id}`)).status).toBe(200);

    // Expired by the sweep's own conditional write.
    const expired = await createTicket({ user_id: userId });
    await patchTicket(expired.ticket_id, { expires_at: Date.now() - 1000 });
    expect(await new TicketStore(db, stack.tableName).expire(expired.ticket_id, Date.now())).toBe(true);

    // A resend the mailer cannot make: the ticket's signing key is no longer configured.
    const unsendable = await createTicket({ user_id: userId });
    await patchTicket(unsendable.ticket_id, { key_id: 'retired' });
    expect((await api('POST', `/tickets/${unsendable.ticket_id}/send`, { body: { email } })).status).toBe(202);

    // Enrolled, then the enrollment removed.
    const enrolled = await createTicket({ user_id: userId, allow_multiple_enrollments: true });
    const started = await start(enrolled.token);
    const confirmed = await confirm(enrolled.token, codeFor(started.body.secret), started.body.transaction_token);
    expect(confirmed.status).toBe(200);
    expect((await api('DELETE', `/api/v2/guardian/enrollments/${confirmed.body.enrollment_id}`)).status).toBe(204);

    const events = await waitForEvents(userId, [
      ...Array(5).fill('Ticket Created'), 'Ticket Email Sent', 'Ticket Locked', 'Ticket Revoked', 'Ticket Expired',
      'Ticket Email Failed', 'Ticket Redeemed', 'Enrollment Created', 'Enrollment Deleted',
    ]);
    // Give a duplicate, if the stack produced one, the time to arrive before counting.
    await new Promise((r) => setTimeout(r, 1500));
    const final = await eventsFor(userId);
    expect(final.length).toBe(events.length);

    const byType = (type: string) => final.filter((e) => e['detail-type'] === type);
    expect(byType('Ticket Created').map((e) => e.detail.ticket_id).sort()).toEqual(
      [mailed, revoked, expired, unsendable, enrolled].map((t) => t.ticket_id).sort(),
    );
    expect(byType('Ticket Locked')[0]!.detail).toMatchObject({ ticket_id: mailed.ticket_id, attempts: 5 });
    expect(byType('Ticket Revoked')[0]!.detail.ticket_id).toBe(revoked.ticket_id);
    expect(byType('Ticket Expired')[0]!.detail).toMatchObject({ ticket_id: expired.ticket_id, removed: false });
    expect(byType('Ticket Email Failed')[0]!.detail).toMatchObject({ ticket_id: unsendable.ticket_id, error_code: 'signing_key_unavailable' });
    expect(byType('Ticket Redeemed')[0]!.detail).toMatchObject({ ticket_id: enrolled.ticket_id, enrollment_id: confirmed.body.enrollment_id });
    expect(byType('Enrollment Created')[0]!.detail).toMatchObject({ enrollment_id: confirmed.body.enrollment_id, ticket_id: enrolled.ticket_id, factor: 'otp' });
    expect(byType('Enrollment Deleted')[0]!.detail.enrollment_id).toBe(confirmed.body.enrollment_id);

    for (const event of final) {
      expect(event).toMatchObject({ 'source': 'mfa-tickets', 'event-bus-name': 'default' });
      expect(event.resources).toEqual([expect.stringMatching(/:table\/tickets-test$/)]);
      const parsed = v.safeParse(schemaOf(event['detail-type']), event.detail);
      expect(parsed.success, `${event['detail-type']}: ${JSON.stringify(parsed.issues)}`).toBe(true);
      const text = JSON.stringify(event);
      for (const secret of [mailed.token, enrolled.token, started.body.secret, confirmed.body.recovery_code, email]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(new Set(final.map((e) => e.detail.event_id)).size).toBe(final.length);
  }, 180_000);
});
