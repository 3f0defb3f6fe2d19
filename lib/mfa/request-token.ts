import { hkdfSync } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Key, KeyRing } from '../config';
import { isCanonicalCompactJws } from '../jws';

/**
 * The `request_token` of a challenge: a JWT the vendor's client decodes (without checking it) to read `exp`, and
 * that we check on every use. Claims: `sub` (user), `txid` (challenge id), `iat`, `exp` (the challenge's expiry),
 * `iss` (PUBLIC_BASE_URL), `aud: "mfa-challenge"`. Holding it lets one attempt this challenge only.
 *
 * HS256 under a subkey (HKDF) of the current TICKET_SIGNING_KEYS key, `kid` = that key's id: only we verify it, and
 * it must never be accepted where an MFA result is expected, so it is deliberately not signed with the result keys
 * (an app checking results against our JWKS cannot be handed a request token from a URL instead).
 */
export const REQUEST_TOKEN_AUDIENCE = 'mfa-challenge';
const KEY_INFO = 'mfa-tickets request-token hs256 v1';

const subkeys = new WeakMap<Key, Uint8Array>();
function hmacKey(key: Key): Uint8Array {
  let subkey = subkeys.get(key);
  if (!subkey) {
    subkey = new Uint8Array(hkdfSync('sha256', key.secret, Buffer.alloc(0), KEY_INFO, 32));
    subkeys.set(key, subkey);
  }
  return subkey;
}

export interface RequestTokenClaims {
  sub: string;
  txid: string;
  /** Epoch ms. */
  issuedAt: number;
  expiresAt: number;
}

export function signRequestToken(claims: RequestTokenClaims, keys: KeyRing, issuer: string): Promise<string> {
  const key = keys.current;
  return new SignJWT({ txid: claims.txid })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.id })
    .setSubject(claims.sub)
    .setIssuer(issuer)
    .setAudience(REQUEST_TOKEN_AUDIENCE)
    .setIssuedAt(Math.floor(claims.issuedAt / 1000))
    .setExpirationTime(Math.floor(claims.expiresAt / 1000))
    .sign(hmacKey(key));
}

export type RequestTokenCheck = { ok: true; sub: string; txid: string } | { ok: false; reason: 'expired' | 'invalid' };

/** Signature, issuer, audience and expiry (at `now`, no leeway); `expired` only for an otherwise valid token. */
export async function verifyRequestToken(token: string, keys: KeyRing, issuer: string, now: number): Promise<RequestTokenCheck> {
  if (token.length > 2048 || !isCanonicalCompactJws(token)) return { ok: false, reason: 'invalid' };
  try {
    const { payload } = await jwtVerify<JWTPayload & { txid?: unknown }>(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keys.byId.get(header.kid);
        if (!key) throw new errors.JWSSignatureVerificationFailed();
        return hmacKey(key);
      },
      { algorithms: ['HS256'], issuer, audience: REQUEST_TOKEN_AUDIENCE, currentDate: new Date(now), requiredClaims: ['sub', 'exp', 'txid'] },
    );
    if (typeof payload.sub !== 'string' || typeof payload.txid !== 'string') return { ok: false, reason: 'invalid' };
    return { ok: true, sub: payload.sub, txid: payload.txid };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
    if (err instanceof errors.JOSEError) return { ok: false, reason: 'invalid' };
    throw err;
  }
}
