import { describe, expect, it } from 'vitest';
import { createTicket, page, patchTicket, ticketItem } from '../support/enroll';
import { codeIn, confirmEmail, endCooldown, freshAddress, inbox, latestCode, sendCode, startEmail, waitForEmails } from '../support/email-enroll';
import { api, scanTable, stack, uniqueUser } from '../support/stack';

/**
 * Enrolling an email address from a ticket on the local stack: the page's calls over HTTP (serverless-offline),
 * DynamoDB Local, and the code read from the SES emulator's store as the user reads their inbox.
 */
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('email enrollment over HTTP, the code read from the inbox', () => {
  it('start shows the address masked and sends nothing; "Send code" mails one; the code redeems the ticket once', async () => {
    const to = freshAddress('ee-happy');
    const user = uniqueUser('ee-happy');
    const ticket = await createTicket({ user_id: user, email: to, factor: 'email', result_url: `${stack.apiUrl}/done`, email_locale: 'fr' });

    // The page and the start (what a link scanner that runs the page does) send nothing.
    expect((await page(ticket.token)).status).toBe(200);
    const started = await startEmail(ticket.token);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ factor: 'email', masked_email: `${to[0]}•••@example.com`, address_required: false, attempts_remaining: 5 });
    expect(JSON.stringify(started.body)).not.toContain(to);
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ pending: { factor: 'email', tx: expect.stringMatching(/^[\w-]{43}$/), generation: 0 } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await inbox(to)).toEqual([]);

    const sent = await sendCode(ticket.token, started.body.transaction_token);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ sent_to: `${to[0]}•••@example.com`, retry_after_sec: 30, sends_remaining: 4 });
    const [email, ...extra] = await waitForEmails(to, 1);
    expect(extra).toEqual([]);
    expect(email!.subject).not.toMatch(/\d{6}/);
    expect(email!.body.html).toContain('<html lang="fr">');
    const code = codeIn(email!);
    const stored = await ticketItem(ticket.ticket_id);
    expect(stored!.pending_code).toMatchObject({ hash: expect.stringMatching(/^dc1\$/), sends: 1, tx: stored!.pending.tx, destination: expect.stringMatching(/^v2\./) });
    expect(JSON.stringify(stored!.pending_code)).not.toContain(code);

    const wrong = await confirmEmail(ticket.token, started.body.transaction_token, otherCode(code));
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_code', attempts_remaining: 4 } });

    const confirmed = await confirmEmail(ticket.token, started.body.transaction_token, `${code.slice(0, 3)} ${code.slice(3)}`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({
      enrollment_id: expect.stringMatching(/^enr_[\w-]{22}$/),
      recovery_code: expect.stringMatching(/^[0-9A-Z]{24}$/),
      redirect_url: `${stack.apiUrl}/done`,
    });
    const redeemed = await ticketItem(ticket.ticket_id);
    expect(redeemed).toMatchObject({ status: 'redeemed', redeemed_tx: stored!.pending.tx });
    expect(redeemed).not.toHaveProperty('pending');
    expect(redeemed).not.toHaveProperty('pending_code');

    // The enrollment holds the address sealed and masked; the admin list shows it masked.
    const items = (await scanTable()).filter((i) => i.user_id === user && i.type === 'enrollment');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ factor: 'email', masked_email: `${to[0]}•••@example.com`, email: expect.stringMatching(/^v2\./), recovery_code_hash: expect.any(String) });
    expect(JSON.stringify(items[0])).not.toContain(to);
    const listed = await api<Array<Record<string, unknown>>>('GET', `/api/v2/users/${encodeURIComponent(user)}/enrollments`);
    expect(listed.body).toEqual([expect.objectContaining({ type: 'email', auth_method: 'email', name: 'Email' })]);

    // Once: the same code again, and a new start, are refused.
    expect(await confirmEmail(ticket.token, started.body.transaction_token, code)).toMatchObject({ status: 410, body: { error: 'ticket_redeemed' } });
    expect(await startEmail(ticket.token)).toMatchObject({ status: 410, body: { error: 'ticket_redeemed' } });
  });

  it('a ticket without an address: the start asks for one, the send needs it, and the address the code went to is enrolled', async () => {
    const user = uniqueUser('ee-typed');
    const ticket = await createTicket({ user_id: user, factor: 'email' });
    const started = await startEmail(ticket.token);
    expect(started.body).toMatchObject({ factor: 'email', address_required: true });
    expect(started.body).not.toHaveProperty('masked_email');

    expect(await sendCode(ticket.token, started.body.transaction_token)).toMatchObject({ status: 400, body: { error: 'email_required' } });
    expect(await sendCode(ticket.token, started.body.transaction_token, 'not an address')).toMatchObject({ status: 400, body: { error: 'invalid_email' } });

    const to = freshAddress('ee-typed');
    const sent = await sendCode(ticket.token, started.body.transaction_token, to);
    expect(sent.status).toBe(200);
    const code = await latestCode(to, 1);
    const confirmed = await confirmEmail(ticket.token, started.body.transaction_token, code);
    expect(confirmed.status).toBe(200);
    const enrollment = (await scanTable()).find((i) => i.user_id === user && i.type === 'enrollment');
    expect(enrollment).toMatchObject({ factor: 'email', masked_email: `${to[0]}•••@example.com` });
  });

  it("the ticket's address only: another address is a 400 and mails no one", async () => {
    const to = freshAddress('ee-other');
    const other = freshAddress('ee-intruder');
    const ticket = await createTicket({ user_id: uniqueUser('ee-other'), email: to, factor: 'email' });
    const started = await startEmail(ticket.token);
    expect(await sendCode(ticket.token, started.body.transaction_token, other)).toMatchObject({ status: 400, body: { error: 'invalid_email' } });
    // The same address, written otherwise, is the ticket's.
    expect((await sendCode(ticket.token, started.body.transaction_token, to.toUpperCase())).status).toBe(200);
    await waitForEmails(to, 1);
    expect(await inbox(other)).toEqual([]);
  });

  it('one send per 30 s and 5 per ticket, whatever the start: a refused send is 429 with retry_after_sec and mails nothing', async () => {
    const to = freshAddress('ee-cooldown');
    const ticket = await createTicket({ user_id: uniqueUser('ee-cooldown'), email: to, factor: 'email' });
    let started = await startEmail(ticket.token);
    expect((await sendCode(ticket.token, started.body.transaction_token)).status).toBe(200);
    const again = await sendCode(ticket.token, started.body.transaction_token);
    expect(again).toMatchObject({ status: 429, body: { error: 'too_many_sends', retry_after_sec: expect.any(Number) } });
    expect(again.body.retry_after_sec as unknown as number).toBeGreaterThan(25);
    expect(again.body.retry_after_sec as unknown as number).toBeLessThanOrEqual(30);
    // A new start does not reset the ticket's sends or their cooldown.
    started = await startEmail(ticket.token);
    expect(await sendCode(ticket.token, started.body.transaction_token)).toMatchObject({ status: 429, body: { error: 'too_many_sends' } });
    for (let n = 2; n <= 5; n += 1) {
      await endCooldown(ticket.ticket_id);
      expect((await sendCode(ticket.token, started.body.transaction_token)).status, `send ${n}`).toBe(200);
    }
    await endCooldown(ticket.ticket_id);
    const sixth = await sendCode(ticket.token, started.body.transaction_token);
    expect(sixth).toMatchObject({ status: 429, body: { error: 'too_many_sends' } });
    expect(sixth.body.retry_after_sec as unknown as number).toBeGreaterThan(3600);
    await waitForEmails(to, 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(await inbox(to)).toHaveLength(5);
  });

  it('a cap per mailbox and hour across tickets (sub-addresses and case count as the mailbox)', async () => {
    const local = uniqueUser('ee-cap').toLowerCase();
    const sent: number[] = [];
    for (let n = 0; n < 6; n += 1) {
      const address = n % 2 === 0 ? `${local}+t${n}@example.com` : `${local.toUpperCase()}@EXAMPLE.com`;
      const ticket = await createTicket({ user_id: uniqueUser('ee-cap'), email: address, factor: 'email' });
      const started = await startEmail(ticket.token);
      const res = await sendCode(ticket.token, started.body.transaction_token);
      sent.push(res.status);
      if (n === 5) expect(res.body).toMatchObject({ error: 'too_many_sends', retry_after_sec: expect.any(Number) });
    }
    expect(sent).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("a code of an earlier start never works: the new start has its own, and the earlier transaction is superseded", async () => {
    const to = freshAddress('ee-restart');
    const ticket = await createTicket({ user_id: uniqueUser('ee-restart'), email: to, factor: 'email' });
    const first = await startEmail(ticket.token);
    expect((await sendCode(ticket.token, first.body.transaction_token)).status).toBe(200);
    const firstCode = await latestCode(to, 1);

    const second = await startEmail(ticket.token);
    expect(await confirmEmail(ticket.token, first.body.transaction_token, firstCode)).toMatchObject({ status: 409, body: { error: 'transaction_superseded' } });
    // No code sent for the second start yet: the first's is refused (and counted).
    expect(await confirmEmail(ticket.token, second.body.transaction_token, firstCode)).toMatchObject({ status: 400, body: { error: 'invalid_code', attempts_remaining: 4 } });
    await endCooldown(ticket.ticket_id);
    expect((await sendCode(ticket.token, second.body.transaction_token)).status).toBe(200);
    const secondCode = await latestCode(to, 2);
    if (secondCode !== firstCode) {
      expect(await confirmEmail(ticket.token, second.body.transaction_token, firstCode)).toMatchObject({ status: 400, body: { error: 'invalid_code', attempts_remaining: 3 } });
    }
    expect((await confirmEmail(ticket.token, second.body.transaction_token, secondCode)).status).toBe(200);
  });

  it('a change of recipient ends the start made under the old link: its code never works', async () => {
    const to = freshAddress('ee-readdress');
    const ticket = await createTicket({ user_id: uniqueUser('ee-readdress'), email: to, factor: 'email' });
    const started = await startEmail(ticket.token);
    expect((await sendCode(ticket.token, started.body.transaction_token)).status).toBe(200);
    const code = await latestCode(to, 1);
    const moved = await api('POST', `/tickets/${ticket.ticket_id}/send`, { body: { email: freshAddress('ee-newrecipient') } });
    expect(moved.status).toBe(202);
    expect(await ticketItem(ticket.ticket_id)).not.toHaveProperty('pending');
    const refused = await confirmEmail(ticket.token, started.body.transaction_token, code);
    expect(refused.status).toBe(410);
    expect(refused.body.error).toBe('ticket_superseded');
  });

  it('5 wrong codes lock the ticket as for every factor', async () => {
    const to = freshAddress('ee-lock');
    const ticket = await createTicket({ user_id: uniqueUser('ee-lock'), email: to, factor: 'email' });
    const started = await startEmail(ticket.token);
    expect((await sendCode(ticket.token, started.body.transaction_token)).status).toBe(200);
    const code = await latestCode(to, 1);
    const answers = [];
    for (let n = 0; n < 5; n += 1) answers.push((await confirmEmail(ticket.token, started.body.transaction_token, otherCode(code))).body);
    expect(answers.map((a) => a.error)).toEqual(['invalid_code', 'invalid_code', 'invalid_code', 'invalid_code', 'ticket_locked']);
    expect(await confirmEmail(ticket.token, started.body.transaction_token, code)).toMatchObject({ status: 410, body: { error: 'ticket_locked' } });
    const locked = await ticketItem(ticket.ticket_id);
    expect(locked).toMatchObject({ status: 'locked' });
    expect(locked).not.toHaveProperty('pending_code');
  });

  it('an expired code is refused and says so', async () => {
    const to = freshAddress('ee-expired');
    const ticket = await createTicket({ user_id: uniqueUser('ee-expired'), email: to, factor: 'email' });
    const started = await startEmail(ticket.token);
    expect((await sendCode(ticket.token, started.body.transaction_token)).status).toBe(200);
    const code = await latestCode(to, 1);
    const item = await ticketItem(ticket.ticket_id);
    await patchTicket(ticket.ticket_id, { pending_code: { ...item!.pending_code, expires_at: Date.now() - 1 } });
    const refused = await confirmEmail(ticket.token, started.body.transaction_token, code);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_code', attempts_remaining: 4 } });
    expect(String((refused.body as { message?: string }).message)).toContain('expired');
  });
});
