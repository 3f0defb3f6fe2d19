import { exportJWK, errors, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { PublicKeyRing, SigningKeyRing } from '../config';
import type { MfaMethod } from '../factors/registry';

/**
 * The result the app receives (`signature`): an ES256 JWS with `kid`, keys published at `/.well-known/jwks.json`.
 * Claims: `iss` (PUBLIC_BASE_URL), `sub` (user id), `aud`, `purpose`, `iat`, `exp` (iat + 5 min), `jti`, `txid`,
 * `auth_time`, `nonce`, `state`, `amr` (RFC 8176), `acr` (the
 * acr value the login satisfied, lib/mfa/policy.ts; the vendor's multi-factor URI unless the app asked for another), `mfa_method`,
 * `enrollment_id`.
 *
 * Two kinds share the keys and the shape, so each says what it is, twice:
 * - a login result (a challenge was completed): `purpose: "mfa-login"`, `aud` = the result_url's origin;
 * - an enrollment result (a ticket was redeemed through the device protocol): `purpose: "mfa-enrollment"`, `aud` =
 *   that origin + `#enrollment`. An origin never has a fragment, so an app's ordinary audience check for a login (its
 *   own origin, compared exactly, as jose `jwtVerify` does) refuses an enrollment result even if it ignores `purpose`.
 * `purpose` is a claim rather than a `typ` header because it is what apps see: a verified payload is all most JWT
 * libraries hand back, and POST /api/v2/mfa/results/verify answers the claims.
 *
 * `remembered_browser: true` when a remembered browser completed the login without a proof: then `auth_time` is the
 * proof that remembered it and `iat` the login.
 *
 * `jti` is derived from the transaction (`res_<txid>`), and `iat`/`exp` from the moment the login completed, so
 * signing again for the same accepted challenge (a device-protocol poll) yields the same claims: there is one result
 * per login, and single use (POST /api/v2/mfa/results/verify, or the app's own jti check) covers every copy.
 */
export const RESULT_TTL_SEC = 300;
export const MULTI_FACTOR_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
export const LOGIN_RESULT = 'mfa-login';
export const ENROLLMENT_RESULT = 'mfa-enrollment';
export type ResultPurpose = typeof LOGIN_RESULT | typeof ENROLLMENT_RESULT;

/** The audience of an enrollment result for the app at `origin`: never equal to an origin. */
export const enrollmentAudience = (origin: string) => `${origin}#enrollment`;

export interface ResultClaims {
  sub: string;
  /** The result_url's origin (an enrollment result's audience is derived from it). */
  aud: string;
  txid: string;
  /** Epoch ms when the factor was proved. */
  authTime: number;
  /** Epoch ms the result is issued at (`iat`, and `exp` from it): when the login completed; default `authTime`. */
  issuedAt?: number;
  /** Completed on a remembered browser without a proof: `authTime` is the proof that remembered it. */
  rememberedBrowser?: boolean;
  method: MfaMethod;
  amr: readonly string[];
  /** The acr value the login satisfied (default: the multi-factor one). */
  acr?: string;
  enrollmentId: string;
  nonce?: string;
  state?: string;
}

export const resultJti = (txid: string) => `res_${txid}`;

/** Signs a login result (a completed challenge) with the ring's first key. */
export const signResult = (keys: SigningKeyRing, issuer: string, claims: ResultClaims): Promise<string> =>
  sign(keys, issuer, LOGIN_RESULT, claims);

/** Signs an enrollment result (a redeemed ticket): its own `purpose` and audience, never taken for a login. */
export const signEnrollmentResult = (keys: SigningKeyRing, issuer: string, claims: ResultClaims): Promise<string> =>
  sign(keys, issuer, ENROLLMENT_RESULT, { ...claims, aud: enrollmentAudience(claims.aud) });

function sign(keys: SigningKeyRing, issuer: string, purpose: ResultPurpose, claims: ResultClaims): Promise<string> {
  const authTime = Math.floor(claims.authTime / 1000);
  const issuedAt = Math.floor((claims.issuedAt ?? claims.authTime) / 1000);
  return new SignJWT({
    purpose,
    txid: claims.txid,
    auth_time: authTime,
    nonce: claims.nonce,
    state: claims.state,
    amr: [...claims.amr],
    acr: claims.acr ?? MULTI_FACTOR_ACR,
    mfa_method: claims.method,
    enrollment_id: claims.enrollmentId,
    ...(claims.rememberedBrowser ? { remembered_browser: true } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: keys.current.id })
    .setIssuer(issuer)
    .setSubject(claims.sub)
    .setAudience(claims.aud)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + RESULT_TTL_SEC)
    .setJti(resultJti(claims.txid))
    .sign(keys.current.privateKey);
}

/** The public keys, every one of the ring (RESULT_PUBLIC_KEYS: the signing key and any rotating in or out). */
export async function jwks(keys: PublicKeyRing): Promise<{ keys: JWK[] }> {
  return {
    keys: await Promise.all(
      keys.all.map(async (pair) => ({ ...(await exportJWK(pair.publicKey)), kid: pair.id, alg: 'ES256', use: 'sig' })),
    ),
  };
}

export type ResultPayload = JWTPayload & {
  sub: string;
  jti: string;
  exp: number;
  purpose: ResultPurpose;
  txid: string;
  auth_time: number;
  amr: string[];
  acr: string;
  mfa_method: MfaMethod;
  enrollment_id: string;
  remembered_browser?: true;
  nonce?: string;
  state?: string;
};

export type ResultCheck = { ok: true; claims: ResultPayload & { purpose: typeof LOGIN_RESULT } } | { ok: false; reason: 'expired' | 'invalid' | 'not_login' };

/**
 * A login result: signature under one of our keys, issuer, expiry (at `now`), then `purpose: "mfa-login"`
 * (`not_login` for an enrollment result, or one signed before results carried a purpose). `expired` only for an
 * otherwise valid result.
 */
export async function verifyResult(token: string, keys: PublicKeyRing, issuer: string, now: number): Promise<ResultCheck> {
  try {
    const { payload } = await jwtVerify<ResultPayload>(
      token,
      (header) => {
        const pair = keys.all.find((k) => k.id === header.kid);
        if (!pair) throw new errors.JWSSignatureVerificationFailed();
        return pair.publicKey;
      },
      { algorithms: ['ES256'], issuer, currentDate: new Date(now), requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti', 'txid'] },
    );
    if (payload.purpose !== LOGIN_RESULT) return { ok: false, reason: 'not_login' };
    return { ok: true, claims: { ...payload, purpose: payload.purpose } };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
    if (err instanceof errors.JOSEError) return { ok: false, reason: 'invalid' };
    throw err;
  }
}
