import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { codeFor, createTicket, ticketItem } from '../support/enroll';
import { guardianClient, nextEvent, promised, type GuardianTransaction } from '../support/guardian';
import { api, phoneMessages, stack, uniqueUser } from '../support/stack';

/**
 * The phone factor through the vendor's device client, auth0-guardian-js 1.4.1 unchanged, against the local stack's
 * /guardian/api/*: `enroll('sms', { phoneNumber })` (sms-enroll, then verify-otp) and `requestAuth` with
 * `method: 'sms'` (send-sms, then verify-otp). Codes are read from the local phone, as the user reads their phone.
 */
const serviceUrl = () => `${stack.apiUrl}/guardian`;
const jwks = () => createRemoteJWKSet(new URL(`${stack.apiUrl}/.well-known/jwks.json`));

/** A fresh French mobile number (+33 61…, a valid range) per test, so the per-number caps of one test never meet another's. */
const freshNumber = () => `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

async function device(path: string, authorization: string | null, body?: unknown) {
  return api<Record<string, any>>('POST', `/guardian/api/${path}`, { auth: authorization, body: body === undefined ? {} : body });
}

async function rawDevice(path: string, authorization: string, body: string) {
  const res = await fetch(`${stack.apiUrl}/guardian/api/${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** The six digits of the newest text to `to`, once `count` have arrived. */
async function textedCode(to: string, count: number): Promise<string> {
  const messages = await phoneMessages(to);
  expect(messages).toHaveLength(count);
  expect(messages.at(-1)!.channel).toBe('sms');
  const code = /\b(\d{6})\b/.exec(messages.at(-1)!.body)?.[1];
  if (!code) throw new Error(`no code in the text to ${to}`);
  return code;
}

async function challenge(user: string) {
  const res = await api<{ request_token: string; challenge_id: string; factors: string[] }>('POST', '/api/v2/mfa/challenges', {
    body: { user_id: user, result_url: `${stack.apiUrl}/result`, nonce: 'n-sms' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function startClient(credentials: { ticket: string } | { requestToken: string }): Promise<GuardianTransaction> {
  const tx = await promised<GuardianTransaction>((cb) => guardianClient(serviceUrl(), credentials).start(cb));
  tx.on('error', () => {});
  return tx;
}

/** A phone enrolled through the device protocol's routes; returns the number and the transaction's bearer. */
async function enrolledPhone(user: string): Promise<string> {
  const number = freshNumber();
  const ticket = await createTicket({ user_id: user, factor: 'phone' });
  const started = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
  const bearer = `Bearer ${started.body.transaction_token}`;
  expect((await device(`device-accounts/${started.body.device_account.id}/sms-enroll`, bearer, { phone_number: number })).status).toBe(200);
  expect((await device('verify-otp', bearer, { type: 'manual_input', code: await textedCode(number, 1) })).status).toBe(200);
  return number;
}

describe('the phone factor through the vendor client', () => {
  it('a phone ticket enrolls by sms (the code from the local phone), shows its recovery code, then signs in with requestAuth sms', async () => {
    const user = uniqueUser('device-sms');
    const number = freshNumber();
    const ticket = await createTicket({ user_id: user, factor: 'phone', result_url: `${stack.apiUrl}/done` });
    const tx = await startClient({ ticket: ticket.token });
    expect(tx.isEnrolled()).toBe(false);
    expect(await phoneMessages(number)).toEqual([]);
    const step = await promised<{ confirm: Function }>((cb) => (tx.enroll as Function)('sms', { phoneNumber: number }, cb));
    const code = await textedCode(number, 1);

    const completed = nextEvent(tx, 'enrollment-complete', 30_000);
    const authResponse = nextEvent<{ accepted: boolean; signature: string }>(tx, 'auth-response', 30_000);
    const accepted = await promised<{ recoveryCode: string }>((cb) => step.confirm({ otpCode: code }, cb));
    expect(accepted.recoveryCode).toMatch(/^[0-9A-Z]{24}$/);
    const enrollment = await completed;
    expect(enrollment).toMatchObject({ recoveryCode: accepted.recoveryCode });
    expect((await authResponse).accepted).toBe(true);
    tx.removeAllListeners();

    const redeemed = await ticketItem(ticket.ticket_id);
    expect(redeemed).toMatchObject({ status: 'redeemed' });
    const state = await device('transaction-state', `Bearer ${tx.transactionToken.getToken()}`);
    expect(state.body).toMatchObject({ state: 'accepted', enrollment: { id: redeemed!.enrollment_id, methods: ['sms'], available_methods: ['sms'] } });
    const { payload: enrolled } = await jwtVerify(state.body.token, jwks(), { issuer: stack.apiUrl, audience: `${stack.apiUrl}#enrollment` });
    expect(enrolled).toMatchObject({ purpose: 'mfa-enrollment', sub: user, mfa_method: 'sms', amr: ['sms'], enrollment_id: redeemed!.enrollment_id });

    // Signing in: start-flow offers sms; the client's send-sms texts a code; verify-otp proves the phone.
    const created = await challenge(user);
    expect(created.factors).toEqual(['recovery-code', 'phone']);
    const login = await startClient({ requestToken: created.request_token });
    expect(login.isEnrolled()).toBe(true);
    const [account] = login.getEnrollments();
    expect(account!.getAvailableAuthenticatorTypes()).toEqual(['sms', 'recovery-code']);
    const auth = await promised<{ verify: Function }>((cb) => login.requestAuth(account, { method: 'sms' }, cb as never));
    const loginCode = await textedCode(number, 2);
    const response = nextEvent<{ accepted: boolean; signature: string }>(login, 'auth-response', 30_000);
    await promised((cb) => auth.verify({ otpCode: loginCode }, cb));
    const result = await response;
    expect(result.accepted).toBe(true);
    const { payload } = await jwtVerify(result.signature, jwks(), { issuer: stack.apiUrl, audience: stack.apiUrl });
    expect(payload).toMatchObject({ purpose: 'mfa-login', sub: user, txid: created.challenge_id, nonce: 'n-sms', amr: ['sms'], mfa_method: 'sms', enrollment_id: redeemed!.enrollment_id });
    // The code worked once: on the next sign-in, with a new code texted, it is a wrong code.
    const again = await challenge(user);
    const next = await device('start-flow', `Bearer ${again.request_token}`, { state_transport: 'polling' });
    const nextBearer = `Bearer ${next.body.transaction_token}`;
    expect((await device('send-sms', nextBearer, null)).status).toBe(200);
    const nextCode = await textedCode(number, 3);
    if (nextCode !== loginCode) {
      expect(await device('verify-otp', nextBearer, { type: 'manual_input', code: loginCode })).toMatchObject({ status: 400, body: { error_code: 'invalid_otp' } });
    }
    expect((await device('verify-otp', nextBearer, { type: 'manual_input', code: nextCode })).status).toBe(200);
    login.removeAllListeners();
  }, 90_000);

  it('a burst of send-sms on one login: one text goes out, the rest are 429 too_many_sms with retry_after_sec', async () => {
    const user = uniqueUser('device-sms-burst');
    const number = await enrolledPhone(user);
    const created = await challenge(user);
    const flow = await device('start-flow', `Bearer ${created.request_token}`, { state_transport: 'polling' });
    expect(flow.body).toMatchObject({ available_authentication_methods: ['sms'], device_account: { methods: ['sms'] } });
    const bearer = `Bearer ${flow.body.transaction_token}`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => device('send-sms', bearer, null)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(refused).toMatchObject({ status: 429, body: { error_code: 'too_many_sms', retry_after_sec: expect.any(Number) } });
    }
    expect(await phoneMessages(number)).toHaveLength(2);
    // Nor does the enrollment's transaction or the request token get past the cooldown.
    expect(await device('send-sms', `Bearer ${created.request_token}`, null)).toMatchObject({ status: 429, body: { error_code: 'too_many_sms' } });
    expect(await phoneMessages(number)).toHaveLength(2);
  }, 60_000);

  it('sms-enroll: only for a phone start, to an allowed mobile number, the start\'s device account, the cooldown holding', async () => {
    const number = freshNumber();
    const ticket = await createTicket({ user_id: uniqueUser('device-sms-hostile'), factor: 'phone' });
    const started = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
    expect(started.body).toMatchObject({ available_enrollment_methods: ['sms'], device_account: { id: expect.stringMatching(/^enr_/), recovery_code: expect.stringMatching(/^[0-9A-Za-z]{24}$/) } });
    expect(started.body.device_account.otp_secret).toBeUndefined();
    const id = started.body.device_account.id as string;
    const bearer = `Bearer ${started.body.transaction_token}`;
    const enroll = (body: unknown, auth: string | null = bearer, account = id) => device(`device-accounts/${encodeURIComponent(account)}/sms-enroll`, auth, body);

    for (const auth of [null, 'Basic x', `Ticket id="${ticket.token}"`, 'Bearer not-a-jwt']) {
      expect(await enroll({ phone_number: number }, auth), String(auth)).toMatchObject({ status: 401, body: { error_code: 'invalid_token' } });
    }
    for (const body of [{}, { phone_number: 12 }, { phone_number: '' }, { phone_number: 'x'.repeat(5000) }, { phone_number: ['+33612345678'] }, null, [number]]) {
      const res = await enroll(body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body).toMatchObject({ error_code: expect.any(String), message: expect.stringMatching(/^(phone_number|body):/) });
    }
    expect(await enroll({ phone_number: number, extra: 1 })).toMatchObject({ status: 400, body: { error_code: 'unknown_field', message: expect.stringContaining('extra') } });
    for (const bad of ['+19005550123', '+447700900123', '+8613800138000', '12345', '+33 1 23 45 67 89', '911']) {
      const res = await enroll({ phone_number: bad });
      expect(res.status, bad).toBe(400);
      expect(res.body.message).toContain('phone_number');
    }
    expect((await rawDevice(`device-accounts/${id}/sms-enroll`, bearer, '{"phone_number":')).status).toBe(400);
    expect(await enroll({ phone_number: number }, bearer, 'enr_someoneelse')).toMatchObject({ status: 404 });
    expect(await phoneMessages(number)).toEqual([]);

    expect((await enroll({ phone_number: number })).status).toBe(200);
    expect(await enroll({ phone_number: number })).toMatchObject({ status: 429, body: { error_code: 'too_many_sms', retry_after_sec: expect.any(Number) } });
    expect(await phoneMessages(number)).toHaveLength(1);
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'pending', attempts: 0 });

    // An authenticator-app ticket's transaction sends no text.
    const otpTicket = await createTicket({ user_id: uniqueUser('device-sms-otp') });
    const otpStarted = await device('start-flow', `Ticket id="${otpTicket.token}"`, { state_transport: 'polling' });
    const other = freshNumber();
    const refused = await device(`device-accounts/${otpStarted.body.device_account.id}/sms-enroll`, `Bearer ${otpStarted.body.transaction_token}`, { phone_number: other });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(await phoneMessages(other)).toEqual([]);
  }, 60_000);

  it('send-sms: a bearer login transaction only, no body, and only where the challenge offers the phone', async () => {
    const user = uniqueUser('device-sms-send-hostile');
    const ticket = await createTicket({ user_id: user, factor: 'phone' });
    const started = await device('start-flow', `Ticket id="${ticket.token}"`, { state_transport: 'polling' });
    for (const auth of [null, 'Basic x', `Ticket id="${ticket.token}"`, 'Bearer not-a-jwt', `Bearer ${started.body.transaction_token}`]) {
      expect(await device('send-sms', auth, null), String(auth)).toMatchObject({ status: 401, body: { error_code: 'invalid_token' } });
    }

    // A user with no phone: the challenge does not offer it, nothing is sent.
    const otpUser = uniqueUser('device-sms-otp-user');
    const otpTicket = await createTicket({ user_id: otpUser });
    const otpStarted = await device('start-flow', `Ticket id="${otpTicket.token}"`, { state_transport: 'polling' });
    expect((await device('verify-otp', `Bearer ${otpStarted.body.transaction_token}`, { type: 'manual_input', code: codeFor(otpStarted.body.device_account.otp_secret) })).status).toBe(200);
    const created = await challenge(otpUser);
    const flow = await device('start-flow', `Bearer ${created.request_token}`, { state_transport: 'polling' });
    expect(flow.body.available_authentication_methods).toEqual(['otp']);
    expect(flow.body.device_account.methods).toEqual(['otp']);
    const notOffered = await device('send-sms', `Bearer ${flow.body.transaction_token}`, null);
    expect(notOffered.status).toBe(409);
    expect(notOffered.body).toMatchObject({ error_code: 'factor_not_offered' });

    // A body the client never sends is refused.
    const tampered = `Bearer ${flow.body.transaction_token.slice(0, -4)}AAAA`;
    expect(await device('send-sms', tampered, null)).toMatchObject({ status: 401, body: { error_code: 'invalid_token' } });
    expect((await device('send-sms', `Bearer ${flow.body.transaction_token}`, { enrollment_id: 'x' })).status).toBe(400);
  }, 60_000);
});
