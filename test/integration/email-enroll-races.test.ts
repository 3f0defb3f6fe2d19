import { describe, expect, it } from 'vitest';
import { createTicket } from '../support/enroll';
import { confirmEmail, freshAddress, inbox, latestCode, sendCode, startEmail } from '../support/email-enroll';
import { scanTable, uniqueUser } from '../support/stack';

/** Concurrent requests on one email ticket, through the local stack: the conditional writes decide, once. */
describe('email enrollment races', () => {
  it('two sends at once: one is taken and mailed, the other refused (429) and mails nothing', async () => {
    const to = freshAddress('ee-race-send');
    const ticket = await createTicket({ user_id: uniqueUser('ee-race-send'), email: to, factor: 'email' });
    const started = await startEmail(ticket.token);
    const answers = await Promise.all([0, 1].map(() => sendCode(ticket.token, started.body.transaction_token)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 429]);
    expect(answers.find((a) => a.status === 429)!.body).toMatchObject({ error: 'too_many_sends', retry_after_sec: expect.any(Number) });
    await latestCode(to, 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await inbox(to)).toHaveLength(1);
  });

  it('the right code from 8 places at once: one redeem, one enrollment', async () => {
    const to = freshAddress('ee-race-confirm');
    const user = uniqueUser('ee-race-confirm');
    const ticket = await createTicket({ user_id: user, email: to, factor: 'email' });
    const started = await startEmail(ticket.token);
    expect((await sendCode(ticket.token, started.body.transaction_token)).status).toBe(200);
    const code = await latestCode(to, 1);
    const answers = await Promise.all(Array.from({ length: 8 }, () => confirmEmail(ticket.token, started.body.transaction_token, code)));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(['ticket_redeemed', 'too_many_attempts', 'temporarily_unavailable']).toContain(refused.body.error);
    }
    const enrollments = (await scanTable()).filter((i) => i.user_id === user && i.type === 'enrollment');
    expect(enrollments).toHaveLength(1);
    expect(enrollments[0]).toMatchObject({ enrollment_id: ok[0]!.body.enrollment_id, factor: 'email' });
  });
});
