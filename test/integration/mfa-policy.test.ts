import { describe, expect, it } from 'vitest';
import { createTicket } from '../support/enroll';
import { createChallenge, enroll, nextCode, pageVerify, RESULT_URL, verifyWithJwks } from '../support/mfa';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { api, stack, uniqueUser } from '../support/stack';

/** Login policy: a step-up challenge (`factors`, `acr_values`) offers and accepts only the factors it allows. */
const PHISHING_RESISTANT = 'http://schemas.openid.net/pape/policies/2007/06/phishing-resistant';
const MULTI_FACTOR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

/** A user with an authenticator app (and its recovery code) and a security key. */
async function withKey(userId: string) {
  const app = await enroll(userId);
  const ticket = await createTicket({ user_id: userId, factor: 'webauthn-roaming', allow_multiple_enrollments: true });
  const started = await api<{ public_key: { challenge: string } }>('POST', '/enroll/start', { body: { ticket: ticket.token }, auth: null });
  const key = new SoftAuthenticator({ origin: stack.apiUrl, rpId: 'localhost' });
  const registered = await api<Record<string, any>>('POST', '/enroll/webauthn', { body: { ticket: ticket.token, credential: key.register(started.body.public_key.challenge) }, auth: null });
  expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  return { userId, secret: app.secret, recoveryCode: registered.body.recovery_code as string, key };
}

async function keyLogin(requestToken: string, key: SoftAuthenticator) {
  const options = await api<Record<string, any>>('POST', '/mfa/webauthn/options', { body: { request_token: requestToken }, auth: null });
  expect(options.status, JSON.stringify(options.body)).toBe(200);
  return api<Record<string, any>>('POST', '/mfa/webauthn', { body: { request_token: requestToken, credential: key.assert(options.body.public_key.challenge) }, auth: null });
}

describe('step-up challenges', () => {
  it('bad factors or acr_values: 400 naming the field; none in common: 400', async () => {
    const user = await enroll(uniqueUser('policy-bad'));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ factors: [] }, 'invalid_factors'],
      [{ factors: ['sms'] }, 'invalid_factors'],
      [{ factors: 'otp' }, 'invalid_factors'],
      [{ factors: [1] }, 'invalid_factors'],
      [{ acr_values: 'urn:mace:incommon:iap:silver' }, 'invalid_acr_values'],
      [{ acr_values: `${PHISHING_RESISTANT} nope` }, 'invalid_acr_values'],
      [{ acr_values: ' ' }, 'invalid_acr_values'],
      [{ acr_values: 7 }, 'invalid_acr_values'],
      [{ acr_values: 'x'.repeat(600) }, 'invalid_acr_values'],
      [{ factors: ['otp'], acr_values: PHISHING_RESISTANT }, 'invalid_factors'],
    ];
    for (const [extra, error] of cases) {
      const res = await api('POST', '/api/v2/mfa/challenges', { body: { user_id: user.userId, result_url: RESULT_URL, ...extra } });
      expect([res.status, res.body.error], JSON.stringify(extra).slice(0, 80)).toEqual([400, error]);
      expect(res.body.message).toMatch(/^(factors|acr_values)/);
    }
  });

  it('a user with none of the allowed factors: 409 no_allowed_factor listing what they have', async () => {
    const user = await enroll(uniqueUser('policy-none'));
    for (const extra of [{ acr_values: PHISHING_RESISTANT }, { factors: ['webauthn-platform', 'webauthn-roaming'] }]) {
      const res = await api('POST', '/api/v2/mfa/challenges', { body: { user_id: user.userId, result_url: RESULT_URL, ...extra } });
      expect([res.status, res.body.error, res.body.available_factors]).toEqual([409, 'no_allowed_factor', ['otp', 'recovery-code']]);
    }
  });

  it('phishing-resistant: only the key is offered and accepted; a TOTP or recovery code is a counted wrong proof; acr says so', async () => {
    const user = await withKey(uniqueUser('policy-pr'));
    const created = await createChallenge({ user_id: user.userId, acr_values: PHISHING_RESISTANT });
    expect(created.factors).toEqual(['webauthn-roaming']);
    const view = await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`);
    expect(view.body).toMatchObject({ factors: ['webauthn-roaming'], allowed_factors: ['webauthn-roaming', 'webauthn-platform'] });

    const totp = await pageVerify({ request_token: created.request_token, code: nextCode(user.secret) });
    expect([totp.status, totp.body.error, totp.body.attempts_remaining]).toEqual([400, 'invalid_code', 4]);
    const recovery = await pageVerify({ request_token: created.request_token, recovery_code: user.recoveryCode });
    expect([recovery.status, recovery.body.error, recovery.body.attempts_remaining]).toEqual([400, 'invalid_code', 3]);
    // The device protocol offers no code either.
    const flow = await api<Record<string, any>>('POST', '/guardian/api/start-flow', { auth: `Bearer ${created.request_token}`, body: { state_transport: 'polling' } });
    expect([flow.status, flow.body.device_account?.available_authenticator_types]).toEqual([200, []]);

    const ok = await keyLogin(created.request_token, user.key);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const { payload } = await verifyWithJwks(ok.body.signature);
    expect(payload).toMatchObject({ acr: PHISHING_RESISTANT, amr: ['hwk', 'user'], mfa_method: 'webauthn' });
    // The recovery code was refused unspent: it still works on an ordinary challenge.
    const plain = await createChallenge({ user_id: user.userId });
    expect(plain.factors).toEqual(['otp', 'recovery-code', 'webauthn-roaming']);
    expect((await pageVerify({ request_token: plain.request_token, recovery_code: user.recoveryCode })).status).toBe(200);
  });

  it('factors: a key-only step-up refuses the app code, prompts no key it does not allow; an otp-only one refuses the key', async () => {
    const user = await withKey(uniqueUser('policy-factors'));
    const platformOnly = await api('POST', '/api/v2/mfa/challenges', { body: { user_id: user.userId, result_url: RESULT_URL, factors: ['webauthn-platform'] } });
    expect([platformOnly.status, platformOnly.body.error]).toEqual([409, 'no_allowed_factor']);

    const otpOnly = await createChallenge({ user_id: user.userId, factors: ['otp'], acr_values: MULTI_FACTOR });
    expect(otpOnly.factors).toEqual(['otp']);
    const options = await api('POST', '/mfa/webauthn/options', { body: { request_token: otpOnly.request_token }, auth: null });
    expect([options.status, options.body.error]).toEqual([409, 'not_enrolled']);
    const ok = await pageVerify({ request_token: otpOnly.request_token, code: nextCode(user.secret) });
    expect(ok.status).toBe(200);
    expect((await verifyWithJwks(ok.body.signature)).payload).toMatchObject({ acr: MULTI_FACTOR, amr: ['otp'] });
  });
});
