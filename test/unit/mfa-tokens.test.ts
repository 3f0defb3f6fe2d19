import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { issueTransactionToken, newTransactionId, verifyTransactionToken } from '../../lib/enrollment/transaction-token';
import { afterFailure, attemptsLeft, budgetLimit, FAILURE_BUDGET, isExhausted, REFILL_MS, retryAfterSec } from '../../lib/mfa/budget';
import { signRequestToken, verifyRequestToken } from '../../lib/mfa/request-token';
import { jwks, MULTI_FACTOR_ACR, signEnrollmentResult, signResult, verifyResult } from '../../lib/mfa/result-token';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const ISS = 'https://mfa.example.com';
const pkcs8 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
const configWith = (env: Record<string, string | undefined>) => loadConfig({ ...process.env, ...env });

/** Spellings of `token` that decode to the same bytes (or nearly): a lenient verifier would accept them all. */
function otherSpellings(token: string): string[] {
  const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = B64URL.indexOf(token.at(-1)!);
  // A 32-byte HMAC is 43 characters: the last carries 4 bits and 2 unused ones, which a lenient decoder ignores.
  const sameBytes = `${token.slice(0, -1)}${B64URL[last ^ 1]}`;
  expect(Buffer.from(sameBytes.split('.')[2]!, 'base64url')).toEqual(Buffer.from(token.split('.')[2]!, 'base64url'));
  return [`${token}\n`, ` ${token}`, `${token}=`, sameBytes, token.replace('.', '.\n'), `${token}.`];
}

describe('RESULT_SIGNING_KEYS configuration', () => {
  it('parses "kid:base64 PKCS#8" P-256 keys; the first signs, all are kept', () => {
    const config = configWith({ RESULT_SIGNING_KEYS: `new:${pkcs8()}, old:${pkcs8()}` });
    expect(config.resultSigningKeys!.current.id).toBe('new');
    expect(config.resultSigningKeys!.all.map((k) => k.id)).toEqual(['new', 'old']);
  });

  it('refuses other curves, RSA, garbage and duplicate kids, loudly', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    for (const bad of [`a:${p384}`, `a:${rsa}`, 'a:bm90IGEga2V5', `a b:${pkcs8()}`, `a:${pkcs8()},a:${pkcs8()}`]) {
      expect(() => configWith({ RESULT_SIGNING_KEYS: bad }), bad.slice(0, 10)).toThrow(/RESULT_SIGNING_KEYS/);
    }
  });

  it('is optional for functions that sign nothing, and required by those that do', () => {
    const config = configWith({ RESULT_SIGNING_KEYS: '' });
    expect(config.resultSigningKeys).toBeUndefined();
    expect(() => resultSigningConfig(config)).toThrow(/RESULT_SIGNING_KEYS: is required/);
  });
});

describe('request tokens', () => {
  const { signingKeys } = configWith({});
  const claims = { sub: 'user-1', txid: 'chl_AAAAAAAAAAAAAAAAAAAAAA', issuedAt: NOW, expiresAt: NOW + 600_000 };

  it('carry sub, txid, iat, exp, iss and aud "mfa-challenge", which the vendor client decodes without a key', async () => {
    const token = await signRequestToken(claims, signingKeys, ISS);
    expect(decodeJwt(token)).toEqual({ sub: 'user-1', txid: claims.txid, iat: NOW / 1000, exp: NOW / 1000 + 600, iss: ISS, aud: 'mfa-challenge' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', kid: signingKeys.current.id });
    expect(await verifyRequestToken(token, signingKeys, ISS, NOW + 1000)).toEqual({ ok: true, sub: 'user-1', txid: claims.txid });
  });

  it('are refused once expired, when altered, from another issuer or under an unknown key', async () => {
    const token = await signRequestToken(claims, signingKeys, ISS);
    expect(await verifyRequestToken(token, signingKeys, ISS, NOW + 600_000)).toEqual({ ok: false, reason: 'expired' });
    const [h, p, s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'user-2' })).toString('base64url')}.${s}`;
    expect(await verifyRequestToken(forged, signingKeys, ISS, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyRequestToken(`${h}.${p}.${s!.slice(0, -2)}AA`, signingKeys, ISS, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyRequestToken(token, signingKeys, 'https://other.example', NOW)).toEqual({ ok: false, reason: 'invalid' });
    const other = configWith({ TICKET_SIGNING_KEYS: `zz:${Buffer.alloc(32, 9).toString('base64')}` }).signingKeys;
    expect(await verifyRequestToken(token, other, ISS, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyRequestToken('not-a-jwt', signingKeys, ISS, NOW)).toEqual({ ok: false, reason: 'invalid' });
    // alg "none" and a result-style ES256 token are not request tokens.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    expect(await verifyRequestToken(none, signingKeys, ISS, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('verify only in the spelling we issued: no padding, whitespace or other unused low bits in the last character', async () => {
    const token = await signRequestToken(claims, signingKeys, ISS);
    for (const spelling of otherSpellings(token)) {
      expect(await verifyRequestToken(spelling, signingKeys, ISS, NOW), JSON.stringify(spelling)).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await verifyRequestToken(token, signingKeys, ISS, NOW)).toMatchObject({ ok: true });
  });
});

describe('enrollment transaction tokens', () => {
  const { signingKeys } = configWith({});
  it('verify only in the spelling we issued, as request tokens', async () => {
    const { token } = await issueTransactionToken(signingKeys, 'mfa-enrollment', { txid: newTransactionId(), sub: 'tkt_1', generation: 0, notAfter: NOW + 3_600_000 }, NOW);
    for (const spelling of otherSpellings(token)) {
      await expect(verifyTransactionToken(signingKeys, 'mfa-enrollment', spelling, NOW), JSON.stringify(spelling)).rejects.toMatchObject({ code: 'invalid_transaction' });
    }
    expect(await verifyTransactionToken(signingKeys, 'mfa-enrollment', token, NOW)).toMatchObject({ sub: 'tkt_1' });
  });
});

describe('result tokens (ES256, kid, JWKS)', () => {
  const keys = resultSigningConfig(configWith({ RESULT_SIGNING_KEYS: `new:${pkcs8()},old:${pkcs8()}` })).resultSigningKeys;
  const claims = {
    sub: 'user-1',
    aud: 'https://app.example.com',
    txid: 'chl_AAAAAAAAAAAAAAAAAAAAAA',
    authTime: NOW,
    method: 'totp' as const,
    amr: ['otp'],
    enrollmentId: 'enr_BBBBBBBBBBBBBBBBBBBBBB',
    nonce: 'n-1',
    state: 's-1',
  };

  it('verify with the published JWKS and a stock JOSE library, with every claim the app needs', async () => {
    const token = await signResult(keys, ISS, claims);
    const set = await jwks(keys);
    expect(set.keys.map((k) => [k.kid, k.alg, k.kty, k.crv, k.use])).toEqual([
      ['new', 'ES256', 'EC', 'P-256', 'sig'],
      ['old', 'ES256', 'EC', 'P-256', 'sig'],
    ]);
    expect(JSON.stringify(set)).not.toMatch(/"d"/);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(set), { issuer: ISS, audience: claims.aud, currentDate: new Date(NOW) });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'new' });
    expect(payload).toEqual({
      iss: ISS, sub: 'user-1', aud: claims.aud, iat: NOW / 1000, exp: NOW / 1000 + 300, jti: `res_${claims.txid}`, purpose: 'mfa-login', txid: claims.txid,
      auth_time: NOW / 1000, nonce: 'n-1', state: 's-1', amr: ['otp'], acr: MULTI_FACTOR_ACR, mfa_method: 'totp', enrollment_id: claims.enrollmentId,
    });
  });

  it('are the same result when signed again for the same login (one jti per challenge)', async () => {
    expect(decodeJwt(await signResult(keys, ISS, claims))).toEqual(decodeJwt(await signResult(keys, ISS, claims)));
  });

  it('expire after 5 minutes, and refuse other keys, tampering and HS256 confusion', async () => {
    const token = await signResult(keys, ISS, claims);
    expect((await verifyResult(token, keys, ISS, NOW + 299_000)).ok).toBe(true);
    expect(await verifyResult(token, keys, ISS, NOW + 300_000)).toEqual({ ok: false, reason: 'expired' });
    const stranger = resultSigningConfig(configWith({ RESULT_SIGNING_KEYS: `new:${pkcs8()}` })).resultSigningKeys;
    expect(await verifyResult(await signResult(stranger, ISS, claims), keys, ISS, NOW)).toEqual({ ok: false, reason: 'invalid' });
    const hs = await new SignJWT({ txid: 'x' }).setProtectedHeader({ alg: 'HS256', kid: 'new' }).setIssuer(ISS).setSubject('u').setAudience('a')
      .setIssuedAt().setExpirationTime('5m').setJti('j').sign(new Uint8Array(32));
    expect(await verifyResult(hs, keys, ISS, Date.now())).toEqual({ ok: false, reason: 'invalid' });
  });

  it('an enrollment result says so by purpose and audience: a login audience check and verifyResult refuse it', async () => {
    const token = await signEnrollmentResult(keys, ISS, claims);
    const set = createLocalJWKSet(await jwks(keys));
    await expect(jwtVerify(token, set, { issuer: ISS, audience: claims.aud, currentDate: new Date(NOW) })).rejects.toMatchObject({ claim: 'aud' });
    const { payload } = await jwtVerify(token, set, { issuer: ISS, audience: `${claims.aud}#enrollment`, currentDate: new Date(NOW) });
    expect(payload).toMatchObject({ purpose: 'mfa-enrollment', sub: 'user-1', jti: `res_${claims.txid}` });
    expect(await verifyResult(token, keys, ISS, NOW)).toEqual({ ok: false, reason: 'not_login' });
    // A result without a purpose (signed before results carried one) is no login result either.
    const { purpose: _, ...bare } = decodeJwt(await signResult(keys, ISS, claims));
    const unmarked = await new SignJWT(bare).setProtectedHeader({ alg: 'ES256', kid: 'new' }).sign(keys.current.privateKey);
    expect(await verifyResult(unmarked, keys, ISS, NOW)).toEqual({ ok: false, reason: 'not_login' });
  });

  it('a rotated-out key still verifies while it is listed', async () => {
    const oldFirst = { current: keys.all[1]!, all: [keys.all[1]!] };
    expect((await verifyResult(await signResult(oldFirst, ISS, claims), keys, ISS, NOW)).ok).toBe(true);
  });
});

describe('the per-user failure budget (10, one back every 6 minutes)', () => {
  it('allows 10 failures, then says when the next attempt comes back', () => {
    let tat: number | undefined;
    for (let i = 0; i < FAILURE_BUDGET - 1; i += 1) {
      tat = afterFailure(tat, NOW);
      expect(isExhausted(tat, NOW)).toBe(false);
    }
    expect(attemptsLeft(tat, NOW)).toBe(1);
    expect(tat! <= budgetLimit(NOW)).toBe(true);
    tat = afterFailure(tat, NOW);
    expect(isExhausted(tat, NOW)).toBe(true);
    expect(attemptsLeft(tat, NOW)).toBe(0);
    expect(retryAfterSec(tat, NOW)).toBe(REFILL_MS / 1000);
    expect(isExhausted(tat, NOW + REFILL_MS - 1000)).toBe(true);
    expect(isExhausted(tat, NOW + REFILL_MS)).toBe(false);
    expect(attemptsLeft(tat, NOW + REFILL_MS)).toBe(1);
    expect(attemptsLeft(tat, NOW + 10 * REFILL_MS)).toBe(FAILURE_BUDGET);
  });

  it('an old failure no longer counts once its 6 minutes have passed', () => {
    const tat = afterFailure(undefined, NOW);
    expect(attemptsLeft(tat, NOW)).toBe(9);
    expect(attemptsLeft(afterFailure(tat, NOW + 7 * 60_000), NOW + 7 * 60_000)).toBe(9);
  });
});
