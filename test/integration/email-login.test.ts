import { describe, expect, it } from 'vitest';
import { emailsTo } from '../support/lambda';
import { createChallenge, pageVerify, userVerify, verifyWithJwks } from '../support/mfa';
import { patchChallenge, seedEmailEnrollment } from '../support/mfa-fixtures';
import { api, db, stack, uniqueUser } from '../support/stack';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Signing in with a code by email, through the local stack as the page drives it: "Email me a code"
 * (POST /mfa/email/send), the code read from the SES emulator as the user reads their inbox, then POST /mfa/verify.
 */
const address = (label: string) => `${uniqueUser(label).toLowerCase()}@example.com`;
const send = (requestToken: string, extra: Record<string, unknown> = {}) =>
  api<Record<string, any>>('POST', '/mfa/email/send', { body: { request_token: requestToken, ...extra }, auth: null });

/** The code in the newest email to `to`, as a person copies it from the message. */
async function latestCode(to: string, count?: number): Promise<string> {
  const emails = await emailsTo(to);
  if (count !== undefined) expect(emails).toHaveLength(count);
  const text = emails.at(-1)?.body.text ?? '';
  const code = /^\s+(\d{6})\s*$/m.exec(text)?.[1];
  if (!code) throw new Error(`no code in the email to ${to}`);
  return code;
}

async function emailUser(label: string) {
  const userId = uniqueUser(label);
  const to = address(label);
  const enrollment = await seedEmailEnrollment(userId, to);
  return { userId, to, enrollment };
}

const tally = (list: number[]) => list.reduce<Record<number, number>>((acc, x) => ({ ...acc, [x]: (acc[x] ?? 0) + 1 }), {});

describe('signing in with an emailed code', () => {
  it('a challenge lists email; one click emails a code; the code signs in once, with a result the JWKS verifies', async () => {
    const { userId, to, enrollment } = await emailUser('email-login');
    const challenge = await createChallenge({ user_id: userId, nonce: 'n-1', email_locale: 'fr' });
    expect(challenge.factors).toEqual(['email']);
    // Creating the challenge (and opening the page) sends nothing.
    const page = await fetch(challenge.challenge_url);
    expect(page.status).toBe(200);
    expect(await emailsTo(to)).toEqual([]);

    const sent = await send(challenge.request_token);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ sent_to: enrollment.masked_email, enrollment_id: enrollment.enrollment_id, resend_after_sec: 30, sends_left: 4 });
    const [email] = await emailsTo(to);
    expect(email!.subject).not.toMatch(/\d{6}/);
    const code = await latestCode(to, 1);

    // What the table keeps: the code's keyed hash on the challenge, never the code or the address.
    const { Item } = await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `CHALLENGE#${challenge.challenge_id}`, sk: 'CHALLENGE' } }));
    expect(Item!.pending_code).toMatchObject({ factor: 'email', enrollment_id: enrollment.enrollment_id, sends: 1 });
    expect(JSON.stringify(Item)).not.toContain(code);
    expect(JSON.stringify(Item)).not.toContain(to);

    const verified = await pageVerify({ request_token: challenge.request_token, email_code: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ mfa_method: 'email', enrollment_id: enrollment.enrollment_id });
    const { payload } = await verifyWithJwks(verified.body.signature);
    expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce: 'n-1', purpose: 'mfa-login', mfa_method: 'email', amr: ['otp'] });

    // The same code again: the challenge is over.
    expect((await pageVerify({ request_token: challenge.request_token, email_code: code })).body.error).toBe('challenge_accepted');
  });

  it('a second send within 30 s is 429 too_many_sends with retry_after_sec, and sends nothing', async () => {
    const { userId, to } = await emailUser('email-cooldown');
    const challenge = await createChallenge({ user_id: userId });
    expect((await send(challenge.request_token)).status).toBe(200);
    const again = await send(challenge.request_token);
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ error: 'too_many_sends' });
    expect(again.body.retry_after_sec).toBeGreaterThan(0);
    expect(again.body.retry_after_sec).toBeLessThanOrEqual(30);
    expect(await emailsTo(to)).toHaveLength(1);
  });

  it('a code of another challenge, an expired one and one replaced by a newer send are wrong codes', async () => {
    const { userId, to } = await emailUser('email-refused');
    const first = await createChallenge({ user_id: userId });
    const second = await createChallenge({ user_id: userId });
    expect((await send(first.request_token)).status).toBe(200);
    const firstCode = await latestCode(to, 1);

    // Another challenge of the same user: its own code only.
    expect((await send(second.request_token)).status).toBe(200);
    const secondCode = await latestCode(to, 2);
    const crossed = await pageVerify({ request_token: second.request_token, email_code: firstCode });
    expect(crossed.status).toBe(400);
    expect(crossed.body).toMatchObject({ error: 'invalid_code', attempts_remaining: 4 });

    // A newer send replaces the code: the older one no longer works (the cooldown moved back by the fixture).
    await patchChallenge(second.challenge_id, { 'pending_code': { ...(await pending(second.challenge_id)), sent_at: Date.now() - 31_000 } });
    expect((await send(second.request_token)).status).toBe(200);
    const thirdCode = await latestCode(to, 3);
    if (thirdCode !== secondCode) expect((await pageVerify({ request_token: second.request_token, email_code: secondCode })).body.error).toBe('invalid_code');

    // Expired: ten minutes after its send, the right code verifies nothing.
    await patchChallenge(first.challenge_id, { pending_code: { ...(await pending(first.challenge_id)), expires_at: Date.now() - 1 } });
    expect((await pageVerify({ request_token: first.request_token, email_code: firstCode })).body.error).toBe('invalid_code');

    // The newest code still signs the second challenge in.
    expect((await pageVerify({ request_token: second.request_token, email_code: thirdCode })).status).toBe(200);
  });

  it('two sends at once: one email; one code verified from 8 places at once: one login', async () => {
    const { userId, to } = await emailUser('email-races');
    const challenge = await createChallenge({ user_id: userId });
    const sends = await Promise.all([send(challenge.request_token), send(challenge.request_token)]);
    expect(sends.map((s) => s.status).sort()).toEqual([200, 429]);
    const code = await latestCode(to, 1);

    const verifies = await Promise.all(Array.from({ length: 8 }, () => pageVerify({ request_token: challenge.request_token, email_code: code })));
    expect(tally(verifies.map((v) => v.status))).toEqual({ 200: 1, 410: 7 });
    expect(verifies.filter((v) => v.status === 410).every((v) => v.body.error === 'challenge_accepted')).toBe(true);
  });

  it('the admin list shows the enrollment as the vendor does (type and auth_method email) with the address masked', async () => {
    const { userId, to, enrollment } = await emailUser('email-admin');
    const listed = await api<Array<Record<string, unknown>>>('GET', `/api/v2/users/${encodeURIComponent(userId)}/enrollments`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      expect.objectContaining({ id: enrollment.enrollment_id, type: 'email', auth_method: 'email', name: 'Email', identifier: enrollment.masked_email }),
    ]);
    expect(enrollment.masked_email).toMatch(/^e•••@example\.com$/);
    expect(JSON.stringify(listed.body)).not.toContain(to);
    expect(JSON.stringify(listed.body)).not.toContain(enrollment.email);
  });

  it('the app\'s verify API refuses an emailed code with a clear 400: such a code belongs to a challenge', async () => {
    const { userId } = await emailUser('email-app-api');
    const refused = await userVerify(userId, { email_code: '123456' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'email_code_needs_challenge', message: expect.stringMatching(/^email_code: /) });
  });

  it('a challenge that does not offer email sends none: 409 factor_not_offered', async () => {
    const { userId, to } = await emailUser('email-other');
    const challenge = await createChallenge({ user_id: userId });
    await patchChallenge(challenge.challenge_id, { factors: ['otp'] });
    const refused = await send(challenge.request_token);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('factor_not_offered');
    expect(await emailsTo(to)).toEqual([]);
  });
});

async function pending(challengeId: string): Promise<Record<string, unknown>> {
  const { Item } = await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `CHALLENGE#${challengeId}`, sk: 'CHALLENGE' }, ConsistentRead: true }));
  return Item!.pending_code as Record<string, unknown>;
}
