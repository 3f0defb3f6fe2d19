import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyRing } from '../config';
import { keyedDigest } from '../crypto/keyed-hash';

/**
 * The one-time code of the factors that deliver one (email, phone): 6 decimal digits, sent, typed back within 10
 * minutes, good once.
 *
 * Drawn from the CSPRNG by rejection sampling, so every code from 000000 to 999999 is equally likely (a plain
 * `uint32 % 10^6` would favour the low codes slightly). Six digits is about 20 bits: the guessing limits around it
 * (5 wrong codes lock the ticket; the challenge's 5 attempts and the user's failure budget) are what make it enough,
 * as for TOTP.
 *
 * Stored only as a keyed hash, `dc1$<key id>$<base64url digest>`: HMAC-SHA256 under a subkey (HKDF) of the current
 * ENCRYPTION_KEYS key, over the context the code was issued for and the code. Why keyed and not salted: a million
 * codes are hashed in an instant, so an unkeyed hash in the table would be the code; with a key, a reader of the table
 * cannot test a guess. Why the context: a hash copied onto another ticket, another start of the same ticket, or
 * another challenge or user verifies nothing there. The key id travels with the digest, so rotating ENCRYPTION_KEYS
 * (the new key first) leaves codes issued under the old key verifiable for their last minutes, as lib/enrollment/
 * lib/factors/recovery-code/code.ts does for recovery codes.
 */
export const CODE_DIGITS = 6;
/** How long a code works after it is sent (the message says so). */
export const CODE_TTL_MS = 10 * 60_000;

const SCHEME = 'dc1';
/** HKDF `info`: binds the derived subkey to this one use. */
const KEY_INFO = 'mfa-tickets delivered-code hmac-sha256 v1';
const RANGE = 10 ** CODE_DIGITS;
/** The largest multiple of 10^6 below 2^32: a draw at or above it is thrown away (p ≈ 0.02 %), which removes the bias. */
const UNBIASED_LIMIT = Math.floor(2 ** 32 / RANGE) * RANGE;
const STORED = /^dc1\$([A-Za-z0-9_-]{1,32})\$([\w-]{43})$/;

/**
 * What a code is for, and so what its hash is bound to: the channel it went out on (a code sent by email does not
 * verify as one sent by text), and
 * - enrolling: the ticket and the start (its transaction hash, `transactionHash(txid)`) that asked for the code, so a
 *   later start of the same ticket cannot use an earlier start's code;
 * - logging in: the challenge and its user.
 */
export type CodeChannel = 'email' | 'phone';
export type CodeContext = { channel: CodeChannel } & (
  | { purpose: 'enroll'; ticketId: string; tx: string }
  | { purpose: 'login'; challengeId: string; userId: string }
);

/**
 * The code as kept on the ticket (enrolling) or the challenge (logging in) that asked for it. Times are epoch ms.
 * `sends` counts the codes sent for that ticket or challenge in all (./send-limits.ts caps it), so it
 * carries over when a new code replaces this one; `tx` is the start a code for enrolling belongs to.
 */
export interface PendingCode {
  /** `dc1$<key id>$<digest>`, never the code. */
  hash: string;
  sent_at: number;
  expires_at: number;
  sends: number;
  tx?: string;
}

/** A new code, `000000`–`999999`, each equally likely. `random` is injectable for tests. */
export function newDeliveredCode(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const draw = random(4).readUInt32BE(0);
    if (draw < UNBIASED_LIMIT) return String(draw % RANGE).padStart(CODE_DIGITS, '0');
  }
}

/** What people type: digits, maybe grouped with spaces or dashes (`123 456`, `123-456`); those are dropped. */
export function normalizeDeliveredCode(input: string): string {
  return input.replace(/[\s\p{Pd}]/gu, '');
}

/** True when the input is 6 digits once normalized (the cheap check before any hashing). */
export function isDeliveredCodeShape(input: string): boolean {
  return /^[0-9]{6}$/.test(normalizeDeliveredCode(input));
}

const contextParts = (context: CodeContext): string[] =>
  context.purpose === 'enroll'
    ? [context.channel, 'enroll', context.ticketId, context.tx]
    : [context.channel, 'login', context.challengeId, context.userId];

/** The stored form of a code for its context, under the ring's current key. */
export function hashDeliveredCode(code: string, context: CodeContext, keys: KeyRing): string {
  const key = keys.current;
  const digest = keyedDigest(KEY_INFO, key, [...contextParts(context), normalizeDeliveredCode(code)]);
  return `${SCHEME}$${key.id}$${digest.toString('base64url')}`;
}

/**
 * A new code and what to keep of it. `previous` is the pending code it replaces on the same ticket or challenge, if
 * any: its count of sends carries over (a new start of the ticket does not reset it). The caller writes `pending`
 * under the send conditions (`pendingSendCondition`) and sends `code` only once that write succeeded.
 */
export function issueDeliveredCode(input: {
  context: CodeContext;
  keys: KeyRing;
  now: number;
  previous?: Pick<PendingCode, 'sends'>;
  random?: (size: number) => Buffer;
}): { code: string; pending: PendingCode } {
  const { context, keys, now, previous } = input;
  const code = newDeliveredCode(input.random);
  const pending: PendingCode = {
    hash: hashDeliveredCode(code, context, keys),
    sent_at: now,
    expires_at: now + CODE_TTL_MS,
    sends: (previous?.sends ?? 0) + 1,
    ...(context.purpose === 'enroll' ? { tx: context.tx } : {}),
  };
  return { code, pending };
}

/**
 * Whether `code` is the pending one for this context: false once expired (`now >= expires_at`), for a malformed code,
 * an unknown stored format, a key no longer configured, or a hash made for another context. The digest is compared
 * in constant time, recomputed under the key the stored value names. Single use is the caller's conditional write
 * (it removes or replaces the pending code in the same write that accepts it), not this function's.
 */
export function verifyDeliveredCode(
  code: string,
  pending: Pick<PendingCode, 'hash' | 'expires_at'> | undefined,
  context: CodeContext,
  keys: KeyRing,
  now: number,
): boolean {
  if (!pending || typeof code !== 'string' || !(now < pending.expires_at)) return false;
  if (!isDeliveredCodeShape(code)) return false;
  const match = STORED.exec(pending.hash);
  if (!match) return false;
  const key = keys.byId.get(match[1]!);
  if (!key) return false;
  const expected = keyedDigest(KEY_INFO, key, [...contextParts(context), normalizeDeliveredCode(code)]);
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'base64url'));
}
