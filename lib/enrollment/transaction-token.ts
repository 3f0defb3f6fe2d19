import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import type { Key, KeyRing } from '../config';
import { AppError } from '../errors';
import { isCanonicalCompactJws } from '../jws';

/**
 * The per-start handle of an enrollment (issue 15 M4): every start gets a new transaction id, and the client that
 * started holds it inside this token; the table keeps only a SHA-256 of the id. A JWT because the vendor's device
 * client decodes it (`txid`, `exp`) and sends it back as `Authorization: Bearer`; our widget keeps it in memory.
 *
 * - HS256 under a subkey derived with HKDF from the current TICKET_SIGNING_KEYS key (`kid` names it), so it verifies
 *   while that key stays configured and a reader of the table can neither forge nor recover one.
 * - `aud` says what the transaction may do: `mfa-enrollment` (its `sub` is the ticket id) or `mfa-login` (a device
 *   client's start on a login challenge, its `sub` is the challenge id). A token made for one purpose is refused for
 *   another, so a ticket's transaction never logs in.
 * - `gen`: the ticket's link generation when the transaction started. A change of recipient raises the ticket's
 *   generation, and a transaction of an older one can no longer confirm (410 `ticket_superseded`): the wrong first
 *   recipient who had started keeps nothing. Absent (tokens issued before the claim existed) counts as 0, like a ticket
 *   without a generation.
 * - `exp`: 30 minutes, never past the ticket's own expiry; the vendor's client sets a timer on it, so it must stay
 *   far below 24 days (the largest setTimeout).
 */
export const TRANSACTION_TTL_SEC = 30 * 60;
export type TransactionPurpose = 'mfa-enrollment' | 'mfa-login';
const ALG = 'HS256';
const KEY_INFO = 'mfa-tickets transaction-token hs256 v1';

const subkeys = new WeakMap<Key, Uint8Array>();
function subkey(key: Key): Uint8Array {
  let derived = subkeys.get(key);
  if (!derived) {
    derived = new Uint8Array(hkdfSync('sha256', key.secret, Buffer.alloc(0), KEY_INFO, 32));
    subkeys.set(key, derived);
  }
  return derived;
}

/** `tx_` + 128 random bits. */
export const newTransactionId = (random: (size: number) => Buffer = randomBytes) => `tx_${random(16).toString('base64url')}`;

/** What the table keeps of a transaction id. */
export const transactionHash = (txid: string) => createHash('sha256').update(txid, 'utf8').digest('base64url');

export interface TransactionClaims {
  txid: string;
  /** The ticket id (enrollment) or the challenge id (login). */
  sub: string;
  /** The ticket's link generation at the start (`gen`; 0 when absent, and on login transactions, which have none). */
  generation: number;
  /** Epoch seconds. */
  exp: number;
}

export async function issueTransactionToken(
  keys: KeyRing,
  purpose: TransactionPurpose,
  claims: { txid: string; sub: string; generation?: number; notAfter: number },
  now: number,
): Promise<{ token: string; expiresAt: number }> {
  const exp = Math.floor(Math.min(now + TRANSACTION_TTL_SEC * 1000, claims.notAfter) / 1000);
  const token = await new SignJWT({ txid: claims.txid, ...(claims.generation === undefined ? {} : { gen: claims.generation }) })
    .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: keys.current.id })
    .setSubject(claims.sub)
    .setAudience(purpose)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(exp)
    .sign(subkey(keys.current));
  return { token, expiresAt: exp * 1000 };
}

export const invalidTransaction = () =>
  new AppError(401, 'invalid_transaction', 'transaction_token: not a transaction of this service; start again');
export const transactionExpired = () => new AppError(401, 'transaction_expired', 'transaction_token: this transaction has expired; start again');

/** Checks spelling, signature, purpose and expiry (in code, against `now`); 401 `invalid_transaction` / `transaction_expired`. */
export async function verifyTransactionToken(keys: KeyRing, purpose: TransactionPurpose, token: string, now: number): Promise<TransactionClaims> {
  if (!isCanonicalCompactJws(token)) throw invalidTransaction();
  const getKey: JWTVerifyGetKey = (header) => {
    const key = header.kid === undefined ? undefined : keys.byId.get(header.kid);
    if (!key) throw invalidTransaction();
    return subkey(key);
  };
  try {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: [ALG],
      audience: purpose,
      currentDate: new Date(now),
      clockTolerance: 0,
      requiredClaims: ['txid', 'sub', 'exp'],
    });
    if (typeof payload.txid !== 'string' || !/^tx_[\w-]{22}$/.test(payload.txid)) throw invalidTransaction();
    const generation = payload.gen ?? 0;
    if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) throw invalidTransaction();
    return { txid: payload.txid, sub: payload.sub!, generation, exp: payload.exp! };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw transactionExpired();
    if (err instanceof joseErrors.JOSEError) throw invalidTransaction();
    throw err;
  }
}
