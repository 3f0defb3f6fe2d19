import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import { bearerMode, credentials, deviceError, requireNoBody, SEND_CODE_ERRORS } from '../../lib/guardian/http';
import { httpEvent } from '../support/events';

const withAuth = (authorization?: string) => httpEvent({ method: 'POST', path: '/guardian/api/start-flow', headers: authorization === undefined ? {} : { authorization } });
const jwt = (aud: string) => new SignJWT({ txid: 'x' }).setProtectedHeader({ alg: 'HS256' }).setAudience(aud).sign(new Uint8Array(32));
const body = (res: { body?: string }) => JSON.parse(res.body!);

describe('device protocol adapter: credentials and errors', () => {
  it('reads the ticket and bearer credentials the vendor client sends, and refuses anything else with 401 invalid_token', () => {
    expect(credentials(withAuth('Ticket id="tkt_abc.def"'))).toEqual({ kind: 'ticket', token: 'tkt_abc.def' });
    expect(credentials(withAuth('Bearer a.b.c'))).toEqual({ kind: 'bearer', token: 'a.b.c' });
    for (const bad of [undefined, '', 'Basic dXNlcjpwdw==', 'Ticket tkt_abc', 'Ticket id=""', 'Bearer', 'Bearer a b', `Bearer ${'a'.repeat(5000)}`]) {
      expect(() => credentials(withAuth(bad)), String(bad)).toThrow(expect.objectContaining({ status: 401, code: 'invalid_token' }));
    }
  });

  it('picks the mode from the token audience only to dispatch; unknown audiences and garbage are 401', async () => {
    expect(bearerMode(await jwt('mfa-enrollment'))).toBe('enrollment');
    expect(bearerMode(await jwt('mfa-challenge'))).toBe('login');
    expect(bearerMode(await jwt('mfa-login'))).toBe('login');
    for (const token of [await jwt('mfa-result'), 'not-a-jwt', '']) {
      expect(() => bearerMode(token)).toThrow(expect.objectContaining({ status: 401, code: 'invalid_token' }));
    }
  });

  it('answers in the protocol shape, with the names the vendor pages know', () => {
    const wrong = deviceError(new AppError(400, 'invalid_code', 'code: wrong code; 4 attempts left', { attempts_remaining: 4 }));
    expect(wrong.statusCode).toBe(400);
    expect(body(wrong)).toEqual({ error_code: 'invalid_otp', message: 'code: wrong code; 4 attempts left', attempts_remaining: 4 });
    expect(deviceError(new AppError(410, 'ticket_locked', 'locked'))).toMatchObject({ statusCode: 429 });
    expect(body(deviceError(new AppError(404, 'challenge_not_found', 'no')))).toMatchObject({ error_code: 'invalid_token' });
    expect(body(deviceError(new AppError(400, 'invalid_code', 'x'), { renames: { invalid_code: { code: 'invalid_recovery_code' } } }))).toMatchObject({ error_code: 'invalid_recovery_code' });
    const internal = deviceError(new Error('boom: secret details'));
    expect(internal.statusCode).toBe(500);
    expect(internal.body).not.toContain('secret details');
  });

  it('on transaction-state, a transaction that can never be accepted is a 401 (the client stops polling); 429 stays 429', () => {
    expect(deviceError(new AppError(409, 'transaction_superseded', 'replaced'), { stopPolling: true })).toMatchObject({ statusCode: 401 });
    expect(deviceError(new AppError(410, 'ticket_redeemed', 'used'), { stopPolling: true })).toMatchObject({ statusCode: 401 });
    expect(deviceError(new AppError(429, 'too_many_attempts', 'wait'), { stopPolling: true })).toMatchObject({ statusCode: 429 });
    expect(deviceError(new AppError(409, 'transaction_superseded', 'replaced'))).toMatchObject({ statusCode: 409 });
  });

  it('the send routes: a refused send is the vendor\'s 429 too_many_sms with retry_after_sec; no body but the client\'s null', () => {
    const refused = deviceError(new AppError(429, 'too_many_sends', 'wait', { retry_after_sec: 30 }), SEND_CODE_ERRORS);
    expect(refused).toMatchObject({ statusCode: 429 });
    expect(body(refused)).toEqual({ error_code: 'too_many_sms', message: 'wait', retry_after_sec: 30 });
    for (const ok of [undefined, '', 'null', '{}', ' { } ']) expect(() => requireNoBody(httpEvent({ method: 'POST', path: '/guardian/api/send-sms', body: ok }))).not.toThrow();
    for (const bad of ['{"enrollment_id":"x"}', '[]', '"x"', 'nul']) {
      expect(() => requireNoBody(httpEvent({ method: 'POST', path: '/guardian/api/send-sms', body: bad })), bad).toThrow(expect.objectContaining({ status: 400, code: 'invalid_body' }));
    }
  });
});
