import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { codeFor, createTicket, enrollUser, ticketItem } from '../support/enroll';
import { guardianClient, nextEvent, promised, type GuardianConfirmationStep, type GuardianTransaction } from '../support/guardian';
import { api, stack, uniqueUser } from '../support/stack';
import { base32Decode, wrongCode } from '../support/totp';

/**
 * The vendor's device client, auth0-guardian-js 1.4.1 with `transport: 'polling'`, unchanged, against the local
 * stack's /guardian/api/* — what a page built on the vendor's widget does. Each flow waits for the client's own
 * polling (every 5 s).
 */
const serviceUrl = () => `${stack.apiUrl}/guardian`;
const jwks = () => createRemoteJWKSet(new URL(`${stack.apiUrl}/.well-known/jwks.json`));

/** Calls a device route as the client does, for the error cases the client itself refuses to send. */
async function device(path: string, authorization: string | null, body?: unknown) {
  return api<Record<string, any>>('POST', `/guardian/api/${path}`, { auth: authorization, body: body ?? {} });
}

async function startEnrollment(ticketToken: string): Promise<{ tx: GuardianTransaction; step: GuardianConfirmationStep }> {
  const tx = await promised<GuardianTransaction>((cb) => guardianClient(serviceUrl(), { ticket: ticketToken }).start(cb));
  // A refused code is also emitted as the transaction's 'error' (after the callback has it): listened to, not fatal.
  tx.on('error', () => {});
  const step = await promised<GuardianConfirmationStep>((cb) => tx.enroll('otp', null, cb));
  return { tx, step };
}

describe('enrollment through the vendor client (Authorization: Ticket id=...)', () => {
  it('start → code → enrollment-complete with the recovery code → auth-response with a result our JWKS verifies', async () => {
    const user = uniqueUser('device-enroll');
    const ticket = await createTicket({ user_id: user, email: 'device@example.com', result_url: `${stack.apiUrl}/done` });
    const { tx, step } = await startEnrollment(ticket.token);
    expect(tx.isEnrolled()).toBe(false);
    const { otpSecret } = step.getData();
    expect(otpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(step.getUri()).toContain(`secret=${otpSecret}`);
    expect(tx.transactionToken.getDecoded().exp * 1000 - Date.now()).toBeLessThan(31 * 60_000);

    const completed = nextEvent(tx, 'enrollment-complete', 30_000);
    const authResponse = nextEvent<{ accepted: boolean; signature: string }>(tx, 'auth-response', 30_000);
    const accepted = await promised<{ recoveryCode: string }>((cb) => step.confirm({ otpCode: codeFor(otpSecret) }, cb));
    expect(accepted.recoveryCode).toMatch(/^[0-9A-Z]{24}$/);
    const enrollment = await completed;
    expect(enrollment.recoveryCode).toBe(accepted.recoveryCode);
    const result = await authResponse;
    expect(result.accepted).toBe(true);

    const ticketAfter = await ticketItem(ticket.ticket_id);
    expect(ticketAfter).toMatchObject({ status: 'redeemed' });
    // An enrollment result, for the enrollment audience: never a login result (see the next test).
    const { payload, protectedHeader } = await jwtVerify(result.signature, jwks(), { issuer: stack.apiUrl, audience: `${stack.apiUrl}#enrollment` });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ purpose: 'mfa-enrollment', sub: user, txid: tx.txId, amr: ['otp'], mfa_method: 'totp', enrollment_id: ticketAfter!.enrollment_id });
    // The enrollment works at login with the recovery code the client showed (one set of rules).
    expect(await api('POST', `/api/v2/users/${encodeURIComponent(user)}/mfa/verify`, { body: { recovery_code: accepted.recoveryCode } })).toMatchObject({ status: 200, body: { verified: true, mfa_method: 'recovery-code' } });
    tx.removeAllListeners();
  }, 60_000);

  it('an enrollment result is no login result: a login audience check and the verify API refuse it', async () => {
    const user = uniqueUser('device-enroll-result');
    const ticket = await createTicket({ user_id: user, result_url: `${stack.apiUrl}/done` });
    const started = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
    const bearer = `Bearer ${started.body.transaction_token}`;
    expect((await device('verify-otp', bearer, { type: 'manual_input', code: codeFor(started.body.device_account.otp_secret) })).status).toBe(200);
    const state = await device('transaction-state', bearer);
    expect(state).toMatchObject({ status: 200, body: { state: 'accepted', token: expect.any(String) } });
    const signature = state.body.token as string;

    // What an app does for a login (docs/MFA-LOGIN.md): JWKS, issuer, its own origin as audience.
    await expect(jwtVerify(signature, jwks(), { issuer: stack.apiUrl, audience: stack.apiUrl })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    const refused = await api('POST', '/api/v2/mfa/results/verify', { body: { signature } });
    expect(refused).toMatchObject({ status: 400, body: { error: 'not_a_login_result' } });
    // Refused without being spent: it was never a login.
    expect(await api('POST', '/api/v2/mfa/results/verify', { body: { signature } })).toMatchObject({ status: 400, body: { error: 'not_a_login_result' } });
    const { payload } = await jwtVerify(signature, jwks(), { issuer: stack.apiUrl, audience: `${stack.apiUrl}#enrollment` });
    expect(payload).toMatchObject({ purpose: 'mfa-enrollment', sub: user });
  });

  it('a further enrollment through the client retires the earlier enrollment\'s recovery code: the code the client showed is the one that works', async () => {
    const user = uniqueUser('device-again');
    const first = await enrollUser(user);
    const { recoveryCode } = await enrolledThroughClient(user, { allow_multiple_enrollments: true });
    const verify = (code: string) => api<Record<string, any>>('POST', `/api/v2/users/${encodeURIComponent(user)}/mfa/verify`, { body: { recovery_code: code } });
    expect((await verify(first.recovery_code)).body.error).toBe('invalid_code');
    expect((await verify(recoveryCode)).body).toMatchObject({ verified: true, mfa_method: 'recovery-code' });
  });

  it('a wrong code stays pending and is counted; the right one then completes', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('device-wrong') });
    const { tx, step } = await startEnrollment(ticket.token);
    const { otpSecret } = step.getData();
    const wrong = await promised((cb) => step.confirm({ otpCode: wrongCode(base32Decode(otpSecret), Date.now()) }, cb)).catch((e) => e);
    expect(wrong).toMatchObject({ errorCode: 'invalid_otp', statusCode: 400 });
    const token = tx.transactionToken.getToken();
    expect(await device('transaction-state', `Bearer ${token}`)).toMatchObject({ status: 200, body: { id: tx.txId, state: 'pending' } });
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'pending', attempts: 1 });

    const authResponse = nextEvent(tx, 'auth-response', 30_000);
    await promised((cb) => step.confirm({ otpCode: codeFor(otpSecret) }, cb));
    expect(await authResponse).toMatchObject({ accepted: true });
    tx.removeAllListeners();
  }, 60_000);

  it('scanner first, user after: the first start-flow is superseded; its transaction can neither confirm nor poll', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('device-scanner') });
    const scanner = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
    expect(scanner).toMatchObject({ status: 200, body: { available_enrollment_methods: ['otp'], enrollment_tx_id: expect.any(String) } });
    const user = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
    expect(user.body.device_account.otp_secret).not.toBe(scanner.body.device_account.otp_secret);

    const scannerToken = `Bearer ${scanner.body.transaction_token}`;
    expect(await device('verify-otp', scannerToken, { type: 'manual_input', code: codeFor(scanner.body.device_account.otp_secret) })).toMatchObject({
      status: 409,
      body: { error_code: 'transaction_superseded' },
    });
    expect(await device('transaction-state', scannerToken)).toMatchObject({ status: 401, body: { error_code: 'transaction_superseded' } });
    const userToken = `Bearer ${user.body.transaction_token}`;
    expect((await device('verify-otp', userToken, { type: 'manual_input', code: codeFor(user.body.device_account.otp_secret) })).status).toBe(200);
    expect(await device('transaction-state', userToken)).toMatchObject({ status: 200, body: { state: 'accepted', enrollment: { id: user.body.device_account.id, status: 'confirmed' } } });
  });

  it('protocol errors: 401 on a bad or expired credential, a ticket never logs in, a transaction never recovers an account', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('device-errors') });
    for (const auth of [null, 'Basic x', 'Ticket id="tkt_nope.nope"', 'Bearer not-a-jwt', `Ticket id="${ticket.ticket_id}.${'A'.repeat(43)}"`]) {
      const res = await device('start-flow', auth, { state_transport: 'polling' });
      expect(res.status, String(auth)).toBe(401);
      expect(res.body).toMatchObject({ error_code: 'invalid_token', message: expect.any(String) });
    }
    const started = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
    const bearer = `Bearer ${started.body.transaction_token}`;
    // The enrollment transaction is no request token: it cannot start a login or spend a recovery code.
    expect(await device('start-flow', bearer, { state_transport: 'polling' })).toMatchObject({ status: 401, body: { error_code: 'invalid_token' } });
    expect(await device('recover-account', bearer, { recovery_code: 'A'.repeat(24) })).toMatchObject({ status: 401, body: { error_code: 'invalid_token' } });
    // A tampered transaction token.
    const [h, p] = started.body.transaction_token.split('.');
    expect(await device('transaction-state', `Bearer ${h}.${p}.${'A'.repeat(43)}`)).toMatchObject({ status: 401, body: { error_code: 'invalid_token' } });
    // Only the polling transport, and only the protocol's fields.
    expect(await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'socket' })).toMatchObject({ status: 400, body: { error_code: 'invalid_state_transport' } });
    // A malformed code is refused before anything is looked at: not counted.
    expect(await device('verify-otp', bearer, { type: 'manual_input', code: '12345' })).toMatchObject({ status: 400, body: { error_code: 'invalid_otp' } });
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ attempts: 0 });
  });
});

/** A user enrolled through the vendor client; returns the secret their app holds and the recovery code they saw. */
async function enrolledThroughClient(user: string, extra: Record<string, unknown> = {}): Promise<{ secret: string; recoveryCode: string }> {
  const ticket = await createTicket({ user_id: user, ...extra });
  const started = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
  const secret = started.body.device_account.otp_secret as string;
  expect((await device('verify-otp', `Bearer ${started.body.transaction_token}`, { type: 'manual_input', code: codeFor(secret) })).status).toBe(200);
  return { secret, recoveryCode: started.body.device_account.recovery_code };
}

async function challenge(user: string, extra: Record<string, unknown> = {}) {
  const res = await api<{ request_token: string; challenge_id: string }>('POST', '/api/v2/mfa/challenges', {
    body: { user_id: user, result_url: `${stack.apiUrl}/result`, nonce: 'n-123', state: 's-456', ...extra },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function startLogin(requestToken: string): Promise<GuardianTransaction> {
  const tx = await promised<GuardianTransaction>((cb) => guardianClient(serviceUrl(), { requestToken }).start(cb));
  tx.on('error', () => {});
  return tx;
}

/** The next TOTP code strictly after the one used at enrollment: a time step is accepted once per enrollment. */
async function nextStepCode(secret: string): Promise<string> {
  const step = Math.floor(Date.now() / 30_000);
  await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 200));
  return codeFor(secret);
}

describe('login through the vendor client (Authorization: Bearer <request_token>)', () => {
  it('OTP: start → requestAuth → verify → auth-response with the signature (sub, nonce, state, amr) our JWKS verifies', async () => {
    const user = uniqueUser('device-login');
    const { secret } = await enrolledThroughClient(user);
    const created = await challenge(user);
    const tx = await startLogin(created.request_token);
    expect(tx.isEnrolled()).toBe(true);
    // Each start-flow is its own device transaction: the result goes only to the one that proves the factor.
    expect(tx.txId).toMatch(/^tx_[\w-]{22}$/);
    const [enrollment] = tx.getEnrollments();
    expect(enrollment!.getAvailableAuthenticatorTypes()).toEqual(['otp', 'recovery-code']);
    const auth = await promised<{ verify: Function }>((cb) => tx.requestAuth(enrollment, { method: 'otp' }, cb as never));

    // The enrollment's own step is spent; a later code proves the factor.
    const code = await nextStepCode(secret);
    const response = nextEvent<{ accepted: boolean; signature: string }>(tx, 'auth-response', 30_000);
    await promised((cb) => auth.verify({ otpCode: code }, cb));
    const result = await response;
    expect(result.accepted).toBe(true);
    const { payload } = await jwtVerify(result.signature, jwks(), { issuer: stack.apiUrl, audience: stack.apiUrl });
    expect(payload).toMatchObject({ purpose: 'mfa-login', sub: user, txid: created.challenge_id, nonce: 'n-123', state: 's-456', amr: ['otp'], mfa_method: 'totp' });
    // The same code again (a replay) cannot prove a second challenge.
    const again = await challenge(user);
    expect(await device('verify-otp', `Bearer ${again.request_token}`, { type: 'manual_input', code })).toMatchObject({ status: 400, body: { error_code: 'invalid_otp' } });
    tx.removeAllListeners();
  }, 90_000);

  it('recovery code: recover → the next code returned once → auth-response; the old code is refused afterwards', async () => {
    const user = uniqueUser('device-recover');
    const { recoveryCode } = await enrolledThroughClient(user);
    const created = await challenge(user);
    const tx = await startLogin(created.request_token);
    const response = nextEvent<{ accepted: boolean; signature: string }>(tx, 'auth-response', 30_000);
    const recovered = await promised<{ recoveryCode: string }>((cb) => tx.recover({ recoveryCode }, cb as never));
    expect(recovered.recoveryCode).toMatch(/^[0-9A-Z]{24}$/);
    expect(recovered.recoveryCode).not.toBe(recoveryCode);
    const result = await response;
    expect(result.accepted).toBe(true);
    const { payload } = await jwtVerify(result.signature, jwks(), { issuer: stack.apiUrl, audience: stack.apiUrl });
    expect(payload).toMatchObject({ purpose: 'mfa-login', sub: user, mfa_method: 'recovery-code', txid: created.challenge_id });
    // Another party holding the request token (it is in the challenge URL) reads the state, not the result.
    const other = await device('transaction-state', `Bearer ${created.request_token}`);
    expect(other).toMatchObject({ status: 401, body: { error_code: 'challenge_accepted' } });
    expect(other.body).not.toHaveProperty('token');

    const next = await challenge(user);
    expect(await device('recover-account', `Bearer ${next.request_token}`, { recovery_code: recoveryCode })).toMatchObject({ status: 400, body: { error_code: 'invalid_recovery_code' } });
    expect((await device('recover-account', `Bearer ${next.request_token}`, { recovery_code: recovered.recoveryCode })).status).toBe(200);
    tx.removeAllListeners();
  }, 60_000);

  it('after a login on the hosted page, a party holding only the request token gets no result from transaction-state', async () => {
    const user = uniqueUser('device-page-login');
    const { recoveryCode } = await enrolledThroughClient(user);
    const created = await challenge(user);
    // A second party (a phisher who has the URL) starts its own device transaction while the user is on the page.
    const theirs = await device('start-flow', `Bearer ${created.request_token}`, { state_transport: 'polling' });
    expect(theirs).toMatchObject({ status: 200, body: { transaction_token: expect.any(String) } });
    const theirBearer = `Bearer ${theirs.body.transaction_token}`;
    expect(await device('transaction-state', theirBearer)).toMatchObject({ status: 200, body: { state: 'pending' } });

    const page = await api<Record<string, any>>('POST', '/mfa/verify', { auth: null, body: { request_token: created.request_token, recovery_code: recoveryCode } });
    expect(page).toMatchObject({ status: 200, body: { signature: expect.any(String) } });

    for (const bearer of [`Bearer ${created.request_token}`, theirBearer]) {
      const polled = await device('transaction-state', bearer);
      expect(polled, bearer.slice(0, 40)).toMatchObject({ status: 401, body: { error_code: 'challenge_accepted' } });
      expect(polled.body).not.toHaveProperty('token');
      expect(JSON.stringify(polled.body)).not.toContain(page.body.signature.split('.')[2]);
    }
  });

  it('two device transactions on one challenge: only the one that proved the factor reads the result', async () => {
    const user = uniqueUser('device-two-tx');
    const { recoveryCode } = await enrolledThroughClient(user);
    const created = await challenge(user);
    const first = await device('start-flow', `Bearer ${created.request_token}`, { state_transport: 'polling' });
    const second = await device('start-flow', `Bearer ${created.request_token}`, { state_transport: 'polling' });
    expect(first.body.transaction_token).not.toBe(second.body.transaction_token);
    const [firstBearer, secondBearer] = [`Bearer ${first.body.transaction_token}`, `Bearer ${second.body.transaction_token}`];
    expect((await device('recover-account', secondBearer, { recovery_code: recoveryCode })).status).toBe(200);
    // The result stays the challenge's: `txid` is the challenge id, `id` is the asking transaction's.
    const won = await device('transaction-state', secondBearer);
    expect(won).toMatchObject({ status: 200, body: { state: 'accepted', token: expect.any(String) } });
    const { payload } = await jwtVerify(won.body.token, jwks(), { issuer: stack.apiUrl, audience: stack.apiUrl });
    expect(payload).toMatchObject({ purpose: 'mfa-login', txid: created.challenge_id });
    expect(await device('transaction-state', firstBearer)).toMatchObject({ status: 401, body: { error_code: 'challenge_accepted' } });
    // A device transaction is bound to its challenge: it cannot enroll, nor start another flow.
    expect(await device('start-flow', firstBearer, { state_transport: 'polling' })).toMatchObject({ status: 401, body: { error_code: 'invalid_token' } });
  });

  it('a wrong code keeps the challenge pending; five lock it and transaction-state says rejected; a challenge never enrolls', async () => {
    const user = uniqueUser('device-login-wrong');
    const { secret } = await enrolledThroughClient(user);
    const created = await challenge(user);
    const bearer = `Bearer ${created.request_token}`;
    const wrong = wrongCode(base32Decode(secret), Date.now());
    expect(await device('verify-otp', bearer, { type: 'manual_input', code: wrong })).toMatchObject({ status: 400, body: { error_code: 'invalid_otp' } });
    expect(await device('transaction-state', bearer)).toMatchObject({ status: 200, body: { id: created.challenge_id, state: 'pending' } });
    // The request token cannot be used as an enrollment transaction, nor a ticket as a login.
    expect(await device('start-flow', `Ticket id="${created.request_token}"`, { state_transport: 'polling' })).toMatchObject({ status: 401 });
    for (let i = 0; i < 4; i += 1) await device('verify-otp', bearer, { type: 'manual_input', code: wrong });
    expect(await device('transaction-state', bearer)).toMatchObject({ status: 200, body: { state: 'rejected' } });
    expect(await device('verify-otp', bearer, { type: 'manual_input', code: codeFor(secret) })).toMatchObject({ status: 429, body: { error_code: 'too_many_attempts' } });
  });

  it('an expired challenge: verify-otp and transaction-state answer 401 transaction_expired', async () => {
    const user = uniqueUser('device-expired');
    await enrolledThroughClient(user);
    const created = await challenge(user, { ttl_sec: 60 });
    const { patchChallenge } = await import('../support/mfa-fixtures');
    await patchChallenge(created.challenge_id, { expires_at: Date.now() - 1000 });
    expect(await device('transaction-state', `Bearer ${created.request_token}`)).toMatchObject({ status: 401, body: { error_code: 'transaction_expired' } });
    expect(await device('verify-otp', `Bearer ${created.request_token}`, { type: 'manual_input', code: '123456' })).toMatchObject({ status: 401, body: { error_code: 'transaction_expired' } });
  });
});
