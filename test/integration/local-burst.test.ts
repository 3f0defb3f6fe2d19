import { describe, expect, it } from 'vitest';
import { api, uniqueUser } from '../support/stack';
import { codeFor, confirm, createTicket, page, start } from '../support/enroll';

/**
 * The local API under a burst (docs/LOCAL-STACK.md): every concurrent answer is the one its request gets alone, no
 * invocation times out, and a failure is never answered as a 2xx. The worker-per-request runner answered most of these
 * with a 200 carrying a Lambda timeout.
 */

/** A page differs between two renders only by its per-response CSP nonce. */
const withoutNonce = (html: string) => html.replace(/nonce(-|=")[\w+/=-]+/g, 'nonce');

describe('a burst of 200 concurrent requests over mixed routes', () => {
  it('answers every request as it is answered alone: admin GET/POST, the page, enroll start', async () => {
    const tickets = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const userId = uniqueUser(`burst-${i}`);
        const email = `${userId}@example.com`;
        const ticket = await createTicket({ user_id: userId, email });
        const alone = { get: await api('GET', `/tickets/${ticket.ticket_id}`), page: await page(ticket.token) };
        return { ...ticket, userId, email, alone };
      }),
    );

    const kinds = ['get', 'create', 'page', 'start'] as const;
    const requests = Array.from({ length: 200 }, (_, i) => ({ kind: kinds[i % kinds.length]!, ticket: tickets[i % tickets.length]! }));
    const answers = await Promise.all(
      requests.map(async ({ kind, ticket }) => {
        switch (kind) {
          case 'get':
            return api('GET', `/tickets/${ticket.ticket_id}`);
          case 'create':
            return api('POST', '/tickets', { body: { user_id: `${ticket.userId}-again` } });
          case 'page':
            return page(ticket.token);
          case 'start':
            return start(ticket.token);
        }
      }),
    );

    const created: Array<{ id: string; userId: string }> = [];
    requests.forEach(({ kind, ticket }, i) => {
      const answer = answers[i]!;
      const label = `${kind} #${i}`;
      if (kind === 'get') expect({ status: answer.status, body: answer.body }, label).toEqual({ status: ticket.alone.get.status, body: ticket.alone.get.body });
      if (kind === 'page') {
        expect(answer.status, label).toBe(200);
        expect(withoutNonce(answer.body as string), label).toBe(withoutNonce(ticket.alone.page.body));
      }
      if (kind === 'start') {
        expect(answer.status, label).toBe(200);
        expect((answer.body as { account_name: string }).account_name, label).toBe(ticket.email);
      }
      if (kind === 'create') {
        expect(answer.status, label).toBe(200);
        created.push({ id: (answer.body as { ticket_id: string }).ticket_id, userId: `${ticket.userId}-again` });
      }
    });
    // Each create wrote its own ticket for its own user.
    expect(new Set(created.map((c) => c.id)).size).toBe(created.length);
    for (const { id, userId } of created.slice(0, 10)) {
      expect((await api('GET', `/tickets/${id}`)).body).toMatchObject({ ticket_id: id, user_id: userId, status: 'pending' });
    }
  }, 120_000);

  it('100 racing confirms with the right code: exactly one 200 with an enrollment_id, the other 99 are 410', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('burst-race') });
    const started = await start(ticket.token);
    const code = codeFor(started.body.secret);
    const answers = await Promise.all(Array.from({ length: 100 }, () => confirm(ticket.token, code, started.body.transaction_token)));

    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    expect(won[0]!.body.enrollment_id).toMatch(/\S/);
    const lost = answers.filter((a) => a.status !== 200);
    expect(lost.map((a) => a.status)).toEqual(Array(99).fill(410));
    expect(new Set(lost.map((a) => a.body.error))).toEqual(new Set(['ticket_redeemed']));
  }, 120_000);
});
