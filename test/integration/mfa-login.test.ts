import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { signRequestToken } from '../../lib/mfa/request-token';
import { codeFor, createTicket, enrollUser, expectSecurityHeaders } from '../support/enroll';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { createChallenge, enroll, nextCode, pageVerify, RESULT_URL, userVerify, verifyWithJwks } from '../support/mfa';
import { api, db, stack, uniqueUser } from '../support/stack';
import { base32Decode, wrongCode } from '../support/totp';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const challengeItem = async (id: string) =>
  (await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `CHALLENGE#${id}`, sk: 'CHALLENGE' }, ConsistentRead: true }))).Item;

const openPage = async (requestToken: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${stack.apiUrl}/mfa?request_token=${encodeURIComponent(requestToken)}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
};

const wrongFor = (secret: string) => wrongCode(base32Decode(secret), Date.now());

describe('challenges (admin API)', () => {
  it('a challenge for an enrolled user: request token, challenge URL, factors; the admin view never shows a token', async () => {
    const user = await enroll(uniqueUser('mfa-create'));
    const created = await createChallenge({ user_id: user.userId, state: 'st-1', nonce: 'n-1' });
    expect(created).toEqual({
      challenge_id: expect.stringMatching(/^chl_[\w-]{22}$/),
      request_token: expect.any(String),
      challenge_url: `${stack.apiUrl}/mfa?request_token=${encodeURIComponent(created.request_token)}`,
      expires_at: expect.any(String),
      factors: ['otp', 'recovery-code'],
    });
    const claims = decodeJwt(created.request_token);
    expect(claims).toMatchObject({ sub: user.userId, txid: created.challenge_id, aud: 'mfa-challenge', iss: stack.apiUrl });
    expect(claims.exp! * 1000).toBe(Date.parse(created.expires_at));
    expect(claims.exp! - claims.iat!).toBeGreaterThanOrEqual(599);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(600);

    const view = await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ challenge_id: created.challenge_id, user_id: user.userId, status: 'pending', attempts_remaining: 5 });
    expect(JSON.stringify(view.body)).not.toContain(created.request_token.split('.')[2]);
    expect((await api('GET', '/api/v2/mfa/challenges/chl_AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`, { auth: null })).status).toBe(401);
  });

  it('refuses bad input with a 400 naming the field, users without an authenticator with 409, and no key with 401', async () => {
    const user = await enroll(uniqueUser('mfa-bad'));
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ user_id: user.userId }, 400, 'invalid_result_url'],
      [{ user_id: user.userId, result_url: 'https://evil.example/cb' }, 400, 'result_url_not_allowed'],
      [{ user_id: user.userId, result_url: RESULT_URL, ttl_sec: 30 }, 400, 'invalid_ttl_sec'],
      [{ user_id: user.userId, result_url: RESULT_URL, ttl_sec: 901 }, 400, 'invalid_ttl_sec'],
      [{ user_id: user.userId, result_url: RESULT_URL, state: 'x'.repeat(513) }, 400, 'invalid_state'],
      [{ user_id: user.userId, result_url: RESULT_URL, nonce: 'x'.repeat(257) }, 400, 'invalid_nonce'],
      [{ user_id: user.userId, result_url: RESULT_URL, extra: 1 }, 400, 'unknown_field'],
      [{ user_id: uniqueUser('never-enrolled'), result_url: RESULT_URL }, 409, 'not_enrolled'],
    ];
    for (const [body, status, error] of cases) {
      const res = await api('POST', '/api/v2/mfa/challenges', { body });
      expect([res.status, res.body.error], JSON.stringify(body).slice(0, 80)).toEqual([status, error]);
    }
    expect((await api('POST', '/api/v2/mfa/challenges', { body: { user_id: user.userId, result_url: RESULT_URL }, auth: null })).status).toBe(401);
  });
});

describe('logging in on the hosted page with a TOTP code', () => {
  it('the page renders the enrollment template in login mode and changes nothing; a right code answers a signature the JWKS verifies', async () => {
    const user = await enroll(uniqueUser('mfa-login'));
    const created = await createChallenge({ user_id: user.userId, state: 'st-42', nonce: 'nonce-42' });
    const before = await challengeItem(created.challenge_id);

    const page = await openPage(created.request_token, { 'accept-language': 'de' });
    expect(page.status).toBe(200);
    expectSecurityHeaders(page);
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${new URL(RESULT_URL).origin}`);
    expect(page.body).toContain('data-ticket=""');
    expect(page.body).toContain(`data-request-token="${created.request_token.replace(/[=/]/g, (c) => `&#${c.charCodeAt(0)};`)}"`);
    expect(page.body).toContain('Willkommen zurück');
    expect(await challengeItem(created.challenge_id)).toEqual(before);

    const wrong = await pageVerify({ request_token: created.request_token, code: wrongFor(user.secret) });
    expect([wrong.status, wrong.body.error, wrong.body.attempts_remaining]).toEqual([400, 'invalid_code', 4]);

    const ok = await pageVerify({ request_token: created.request_token, code: nextCode(user.secret) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ state: 'st-42', post_action_url: RESULT_URL, mfa_method: 'totp', enrollment_id: user.enrollmentId });
    expect(ok.body.recovery_code).toBeUndefined();
    const { payload, protectedHeader } = await verifyWithJwks(ok.body.signature);
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      sub: user.userId, nonce: 'nonce-42', state: 'st-42', amr: ['otp'], txid: created.challenge_id, mfa_method: 'totp',
      enrollment_id: user.enrollmentId, acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
    });
    expect(payload.exp! - payload.iat!).toBe(300);

    const view = await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`);
    expect(view.body).toMatchObject({ status: 'accepted', mfa_method: 'totp', enrollment_id: user.enrollmentId });
    // The challenge ends once: a second right code and a second page view are refused politely.
    const again = await pageVerify({ request_token: created.request_token, code: codeFor(user.secret, Date.now() + 60_000) });
    expect([again.status, again.body.error]).toEqual([410, 'challenge_accepted']);
    const used = await openPage(created.request_token);
    expect(used.status).toBe(410);
    expect(used.body).toContain('already used');
  });

  it('a TOTP time step is accepted once per enrollment: the same code on a new challenge is refused', async () => {
    const user = await enroll(uniqueUser('mfa-replay'));
    const code = nextCode(user.secret);
    const first = await createChallenge({ user_id: user.userId });
    expect((await pageVerify({ request_token: first.request_token, code })).status).toBe(200);
    const second = await createChallenge({ user_id: user.userId });
    const replay = await pageVerify({ request_token: second.request_token, code });
    expect([replay.status, replay.body.error]).toEqual([400, 'invalid_code']);
    // The app's verify API shares the rule.
    expect((await userVerify(user.userId, { code })).body.error).toBe('invalid_code');
  });

  it('a challenge locks after 5 wrong codes, even for a right one after', async () => {
    const user = await enroll(uniqueUser('mfa-lock'));
    const created = await createChallenge({ user_id: user.userId });
    const statuses: Array<[number, string, number]> = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await pageVerify({ request_token: created.request_token, code: wrongFor(user.secret) });
      statuses.push([res.status, res.body.error, res.body.attempts_remaining]);
    }
    expect(statuses).toEqual([[400, 'invalid_code', 4], [400, 'invalid_code', 3], [400, 'invalid_code', 2], [400, 'invalid_code', 1], [410, 'challenge_locked', 0]]);
    const right = await pageVerify({ request_token: created.request_token, code: nextCode(user.secret) });
    expect([right.status, right.body.error]).toEqual([410, 'challenge_locked']);
    expect((await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`)).body.status).toBe('locked');
    expect((await openPage(created.request_token)).status).toBe(410);
  });

  it('an expired request token, an expired challenge and a forged token are refused, with a polite page', async () => {
    const user = await enroll(uniqueUser('mfa-expired'));
    const created = await createChallenge({ user_id: user.userId });
    const { signingKeys } = loadConfig({ ...stack.functionEnv });
    const past = Date.now() - 3_600_000;
    const expiredToken = await signRequestToken({ sub: user.userId, txid: created.challenge_id, issuedAt: past, expiresAt: past + 60_000 }, signingKeys, stack.apiUrl);
    const byToken = await pageVerify({ request_token: expiredToken, code: nextCode(user.secret) });
    expect([byToken.status, byToken.body.error]).toEqual([410, 'challenge_expired']);
    const page = await openPage(expiredToken, { 'accept-language': 'fr' });
    expect(page.status).toBe(410);
    expect(page.body).toContain('a expiré');

    // The token is fine but the challenge is past its expiry (TTL deletion lags): expiry is enforced in code.
    await db.send(new UpdateCommand({ TableName: stack.tableName, Key: { pk: `CHALLENGE#${created.challenge_id}`, sk: 'CHALLENGE' }, UpdateExpression: 'SET expires_at = :past', ExpressionAttributeValues: { ':past': Date.now() - 1000 } }));
    const byClock = await pageVerify({ request_token: created.request_token, code: nextCode(user.secret) });
    expect([byClock.status, byClock.body.error]).toEqual([410, 'challenge_expired']);
    expect((await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`)).body.status).toBe('expired');

    const [h, , s] = created.request_token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(created.request_token), sub: 'someone-else' })).toString('base64url')}.${s}`;
    expect((await pageVerify({ request_token: forged, code: '123456' })).status).toBe(404);
    expect((await openPage(forged)).status).toBe(404);
    expect((await openPage('')).status).toBe(404);
  });
});

describe('recovery codes', () => {
  it('log in once, rotate to a new code shown once, and the old one is refused on every path', async () => {
    const user = await enroll(uniqueUser('mfa-recovery'));
    expect(user.recoveryCode).toMatch(/^[0-9A-Z]{24}$/);
    const created = await createChallenge({ user_id: user.userId, state: 's' });
    // Accepted as people type it: grouped, lower case.
    const typed = user.recoveryCode.toLowerCase().replace(/(.{4})(?=.)/g, '$1-');
    const ok = await pageVerify({ request_token: created.request_token, recovery_code: typed });
    expect(ok.status).toBe(200);
    expect(ok.body.mfa_method).toBe('recovery-code');
    expect(ok.body.recovery_code).toMatch(/^[0-9A-Z]{24}$/);
    expect(ok.body.recovery_code).not.toBe(user.recoveryCode);
    const { payload } = await verifyWithJwks(ok.body.signature);
    expect(payload).toMatchObject({ sub: user.userId, mfa_method: 'recovery-code' });

    const second = await createChallenge({ user_id: user.userId });
    const old = await pageVerify({ request_token: second.request_token, recovery_code: user.recoveryCode });
    expect([old.status, old.body.error]).toEqual([400, 'invalid_code']);
    expect((await userVerify(user.userId, { recovery_code: user.recoveryCode })).body.error).toBe('invalid_code');

    const viaApi = await userVerify(user.userId, { recovery_code: ok.body.recovery_code });
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toEqual({ verified: true, enrollment_id: user.enrollmentId, mfa_method: 'recovery-code', recovery_code: expect.stringMatching(/^[0-9A-Z]{24}$/) });
  });

  it('one live code per user: each further enrollment (a code, then a security key) retires the older code and shows its own', async () => {
    const userId = uniqueUser('mfa-recovery-again');
    const first = await enrollUser(userId);
    const second = await enrollUser(userId, { allow_multiple_enrollments: true });
    expect(second.recovery_code).toMatch(/^[0-9A-Z]{24}$/);
    const created = await createChallenge({ user_id: userId });
    const old = await pageVerify({ request_token: created.request_token, recovery_code: first.recovery_code });
    expect([old.status, old.body.error]).toEqual([400, 'invalid_code']);
    expect((await userVerify(userId, { recovery_code: first.recovery_code })).body.error).toBe('invalid_code');
    // The second code works, and spending it issues the next one on the second enrollment.
    const spent = await userVerify(userId, { recovery_code: second.recovery_code });
    expect(spent.body).toMatchObject({ verified: true, enrollment_id: second.enrollment_id, recovery_code: expect.stringMatching(/^[0-9A-Z]{24}$/) });

    const ticket = await createTicket({ user_id: userId, factor: 'webauthn-roaming', allow_multiple_enrollments: true });
    const started = await api<{ public_key: { challenge: string } }>('POST', '/enroll/start', { body: { ticket: ticket.token }, auth: null });
    const key = new SoftAuthenticator({ origin: stack.apiUrl, rpId: 'localhost' });
    const registered = await api<Record<string, any>>('POST', '/enroll/webauthn', { body: { ticket: ticket.token, credential: key.register(started.body.public_key.challenge) }, auth: null });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    for (const code of [first.recovery_code, second.recovery_code, spent.body.recovery_code]) {
      expect((await userVerify(userId, { recovery_code: code })).body.error).toBe('invalid_code');
    }
    expect((await userVerify(userId, { recovery_code: registered.body.recovery_code })).body).toMatchObject({ verified: true, enrollment_id: registered.body.enrollment_id });
  });

  it('regeneration gives a new code and the old one stops working', async () => {
    const user = await enroll(uniqueUser('mfa-regen'));
    const res = await api('POST', `/api/v2/users/${user.userId}/recovery-code-regeneration`);
    expect(res.status).toBe(200);
    expect(res.body.recovery_code).toMatch(/^[0-9A-Z]{24}$/);
    expect((await userVerify(user.userId, { recovery_code: user.recoveryCode })).body.error).toBe('invalid_code');
    expect((await userVerify(user.userId, { recovery_code: res.body.recovery_code as string })).status).toBe(200);
    expect((await api('POST', `/api/v2/users/${uniqueUser('nobody')}/recovery-code-regeneration`)).body.error).toBe('not_enrolled');
  });
});

describe('the failure budget shared by every path', () => {
  it('10 wrong codes → 429 too_many_attempts with retry_after_sec, and then a right code is refused too, on the page as well', async () => {
    const user = await enroll(uniqueUser('mfa-budget'));
    const answers: Array<[number, string]> = [];
    const profile = async () =>
      (await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `USER#${user.userId}`, sk: 'PROFILE' }, ConsistentRead: true }))).Item!;
    for (let i = 0; i < 10; i += 1) {
      if (i === 9) expect((await profile()).locked_out_at).toBeUndefined();
      const before = Date.now();
      const res = await userVerify(user.userId, { code: wrongFor(user.secret) });
      answers.push([res.status, res.body.error]);
      // The tenth failure is the lockout: the profile records when (the `MFA User Locked Out` event).
      if (i === 9) expect((await profile()).locked_out_at).toBeGreaterThanOrEqual(before);
    }
    expect(answers.slice(0, 9).every(([s, e]) => s === 400 && e === 'invalid_code')).toBe(true);
    expect(answers[9]).toEqual([429, 'too_many_attempts']);
    const right = await userVerify(user.userId, { code: nextCode(user.secret) });
    expect([right.status, right.body.error]).toEqual([429, 'too_many_attempts']);
    expect(right.body.retry_after_sec).toBeGreaterThan(300);
    expect(right.body.retry_after_sec).toBeLessThanOrEqual(360);
    const created = await createChallenge({ user_id: user.userId });
    const page = await pageVerify({ request_token: created.request_token, code: nextCode(user.secret) });
    expect([page.status, page.body.error]).toEqual([429, 'too_many_attempts']);
    // A refused attempt does not count against the challenge.
    expect((await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`)).body.attempts_remaining).toBe(5);
  });
});

describe('results, keys and the app’s own verify API', () => {
  it('POST /api/v2/mfa/results/verify answers the claims once, then 409; garbage is 400 invalid_signature', async () => {
    const user = await enroll(uniqueUser('mfa-result'));
    const created = await createChallenge({ user_id: user.userId, nonce: 'nn' });
    const ok = await pageVerify({ request_token: created.request_token, code: nextCode(user.secret) });
    const first = await api('POST', '/api/v2/mfa/results/verify', { body: { signature: ok.body.signature } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ sub: user.userId, nonce: 'nn', txid: created.challenge_id, jti: `res_${created.challenge_id}` });
    const second = await api('POST', '/api/v2/mfa/results/verify', { body: { signature: ok.body.signature } });
    expect([second.status, second.body.error]).toEqual([409, 'result_already_used']);
    const bad = await api('POST', '/api/v2/mfa/results/verify', { body: { signature: created.request_token } });
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_signature']);
    expect((await api('POST', '/api/v2/mfa/results/verify', { body: { signature: ok.body.signature }, auth: null })).status).toBe(401);
  });

  it('the JWKS is public, cacheable, and holds public keys only', async () => {
    const res = await fetch(`${stack.apiUrl}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const set = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(set.keys.length).toBeGreaterThan(0);
    for (const key of set.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('verify from the app’s UI: 200 verified, 400 invalid_code with attempts_remaining, 400 for a malformed body, 409 not enrolled', async () => {
    const user = await enroll(uniqueUser('mfa-app'));
    const wrong = await userVerify(user.userId, { code: wrongFor(user.secret) });
    expect([wrong.status, wrong.body.error, wrong.body.attempts_remaining]).toEqual([400, 'invalid_code', 9]);
    const ok = await userVerify(user.userId, { code: nextCode(user.secret) });
    expect([ok.status, ok.body]).toEqual([200, { verified: true, enrollment_id: user.enrollmentId, mfa_method: 'totp' }]);
    for (const body of [{}, { code: '12345' }, { code: '123456', recovery_code: 'x' }, { pin: 1 }]) {
      expect((await userVerify(user.userId, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await userVerify(uniqueUser('nobody'), { code: '123456' })).body.error).toBe('not_enrolled');
  });

  it('DELETE /api/v2/users/{id}/authenticators removes every enrollment: 204, then no challenge can be made', async () => {
    const user = await enroll(uniqueUser('mfa-delete'));
    const res = await api('DELETE', `/api/v2/users/${user.userId}/authenticators`);
    expect(res.status).toBe(204);
    expect((await api('GET', `/api/v2/users/${user.userId}/enrollments`)).body).toEqual([]);
    const create = await api('POST', '/api/v2/mfa/challenges', { body: { user_id: user.userId, result_url: RESULT_URL } });
    expect([create.status, create.body.error]).toEqual([409, 'not_enrolled']);
    expect((await userVerify(user.userId, { code: nextCode(user.secret) })).body.error).toBe('not_enrolled');
    expect((await api('DELETE', `/api/v2/users/${user.userId}/authenticators`)).status).toBe(204);
  });
});
