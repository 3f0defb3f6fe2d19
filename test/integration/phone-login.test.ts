import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createChallenge, pageVerify, verifyWithJwks } from '../support/mfa';
import { seedPhoneEnrollment } from '../support/mfa-fixtures';
import { freshNumber, latestPhoneCode as latestCode } from '../support/phone';
import { api, db, phoneMessages, stack, uniqueUser } from '../support/stack';

/**
 * Signing in with a code by text or by call, through the local stack as the page drives it: "Text me a code" /
 * "Call me" (POST /mfa/phone/send), the code read from the local phone as the user reads their phone, then
 * POST /mfa/verify with `phone_code`.
 */
const send = (requestToken: string, extra: Record<string, unknown> = {}) =>
  api<Record<string, any>>('POST', '/mfa/phone/send', { body: { request_token: requestToken, ...extra }, auth: null });

describe('signing in with a texted or called code', () => {
  it('a challenge lists phone; one click texts a code; it signs in once as sms, amr ["sms"], with a result the JWKS verifies', async () => {
    const userId = uniqueUser('phone-login');
    const number = freshNumber();
    const enrollment = await seedPhoneEnrollment(userId, number);
    const challenge = await createChallenge({ user_id: userId, nonce: 'n-1' });
    expect(challenge.factors).toEqual(['phone']);
    expect(await phoneMessages(number)).toEqual([]);

    const sent = await send(challenge.request_token);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ sent_to: enrollment.masked_phone, enrollment_id: enrollment.enrollment_id, resend_after_sec: 30, sends_left: 4 });
    const { code, channel } = await latestCode(number, 1);
    expect(channel).toBe('sms');

    const { Item } = await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `CHALLENGE#${challenge.challenge_id}`, sk: 'CHALLENGE' } }));
    expect(Item!.pending_code).toMatchObject({ factor: 'phone', enrollment_id: enrollment.enrollment_id, method: 'sms', sends: 1 });
    expect(JSON.stringify(Item)).not.toContain(code);
    expect(JSON.stringify(Item)).not.toContain(number.slice(3));

    const verified = await pageVerify({ request_token: challenge.request_token, phone_code: code });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ mfa_method: 'sms', enrollment_id: enrollment.enrollment_id });
    const { payload } = await verifyWithJwks(verified.body.signature);
    expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce: 'n-1', mfa_method: 'sms', amr: ['sms'] });
    expect((await pageVerify({ request_token: challenge.request_token, phone_code: code })).body.error).toBe('challenge_accepted');
  });

  it('"Call me": the code is read out; the login is voice, amr ["tel"]', async () => {
    const userId = uniqueUser('phone-call');
    const number = freshNumber();
    await seedPhoneEnrollment(userId, number);
    const challenge = await createChallenge({ user_id: userId });
    expect((await send(challenge.request_token, { channel: 'voice' })).status).toBe(200);
    const { code, channel } = await latestCode(number, 1);
    expect(channel).toBe('voice');
    const verified = await pageVerify({ request_token: challenge.request_token, phone_code: code });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ mfa_method: 'voice' });
    expect((await verifyWithJwks(verified.body.signature)).payload).toMatchObject({ mfa_method: 'voice', amr: ['tel'] });
  });

  it('a second send within 30 s is refused: 429 too_many_sends with retry_after_sec, nothing sent', async () => {
    const userId = uniqueUser('phone-cooldown');
    const number = freshNumber();
    await seedPhoneEnrollment(userId, number);
    const challenge = await createChallenge({ user_id: userId });
    expect((await send(challenge.request_token)).status).toBe(200);
    const again = await send(challenge.request_token, { channel: 'voice' });
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ error: 'too_many_sends' });
    expect(again.body.retry_after_sec).toBeGreaterThan(0);
    expect(await phoneMessages(number)).toHaveLength(1);
  });

  it('the number\'s hourly cap (3) refuses the fourth send across challenges: 429 with retry_after_sec, nothing sent', async () => {
    const userId = uniqueUser('phone-cap');
    const number = freshNumber();
    await seedPhoneEnrollment(userId, number);
    for (let i = 0; i < 3; i += 1) {
      expect((await send((await createChallenge({ user_id: userId })).request_token)).status).toBe(200);
    }
    const refused = await send((await createChallenge({ user_id: userId })).request_token);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'too_many_sends' });
    expect(refused.body.retry_after_sec).toBeGreaterThan(0);
    expect(refused.body.retry_after_sec).toBeLessThanOrEqual(3600);
    expect(await phoneMessages(number)).toHaveLength(3);
  });

  it('bad input names the field; two proofs at once are refused', async () => {
    const userId = uniqueUser('phone-bad');
    await seedPhoneEnrollment(userId, freshNumber());
    const challenge = await createChallenge({ user_id: userId });
    const bad = await send(challenge.request_token, { channel: 'fax' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/channel/);
    const both = await pageVerify({ request_token: challenge.request_token, phone_code: '123456', code: '123456' });
    expect(both.status).toBe(400);
  });
});
