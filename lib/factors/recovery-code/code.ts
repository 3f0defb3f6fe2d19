import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Key, KeyRing } from '../../config';

/**
 * Recovery codes: 24 alphanumerics, the vendor's format (its device client refuses anything else before sending),
 * drawn from Crockford's base32 alphabet: 24 × 5 = 120 bits from the CSPRNG, readable aloud (no I, L, O, U). Shown
 * grouped (`XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`), answered by the APIs as the bare 24 characters, and accepted with or
 * without separators, in any case, with I/L read as 1 and O as 0.
 *
 * Stored only as a keyed hash, `rc2$<key id>$<base64url digest>`: HMAC-SHA256 under a subkey (HKDF) of the current
 * ENCRYPTION_KEYS key, over the user id, the enrollment id and the normalized code. Binding both ids means a hash
 * copied onto another user's or another enrollment's item verifies nothing there (security review M5). The key id
 * travels with the digest, so rotating ENCRYPTION_KEYS works as it does for sealed TOTP secrets.
 *
 * Why a keyed HMAC rather than a slow hash: the code has 120 random bits, so a slow hash adds nothing against brute
 * force, while with a key a reader of the table cannot even test a guess. Ory stores such codes the same way.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_LENGTH = 24;
const SCHEME = 'rc2';
/** HKDF `info`: binds the derived subkey to this one use. */
const KEY_INFO = 'mfa-tickets recovery-code hmac-sha256 v2';

/** Whose code it is: the MAC covers both, so a stored hash only verifies on the enrollment it was made for. */
export interface RecoveryCodeOwner {
  userId: string;
  enrollmentId: string;
}

const subkeys = new WeakMap<Key, Buffer>();

function hmacKey(key: Key): Buffer {
  let subkey = subkeys.get(key);
  if (!subkey) {
    subkey = Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), KEY_INFO, 32));
    subkeys.set(key, subkey);
  }
  return subkey;
}

function digest(normalized: string, owner: RecoveryCodeOwner, key: Key): Buffer {
  // JSON keeps the three fields unambiguous whatever characters a user id holds.
  return createHmac('sha256', hmacKey(key)).update(JSON.stringify([owner.userId, owner.enrollmentId, normalized]), 'utf8').digest();
}

/** A new code: the bare 24 characters (group it for display with `groupRecoveryCode`). */
export function newRecoveryCode(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(RECOVERY_CODE_LENGTH); // one byte per character, 5 bits used: 120 bits in all
  return Array.from(bytes, (byte) => ALPHABET[byte & 31]).join('');
}

/** `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`, for people to copy. */
export const groupRecoveryCode = (code: string) => normalizeRecoveryCode(code).match(/.{1,4}/g)?.join('-') ?? '';

/** Upper case, no separators (spaces, hyphens, dots, underscores), and I/L → 1, O → 0 as Crockford reads them. */
export function normalizeRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s\-._]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** True when the input can be a code of ours once normalized (the cheap check before any lookup). */
export function isRecoveryCodeShape(input: string): boolean {
  return new RegExp(`^[${ALPHABET}]{${RECOVERY_CODE_LENGTH}}$`).test(normalizeRecoveryCode(input));
}

/** The stored form of a code for its owner, under the ring's current key. */
export function hashRecoveryCode(code: string, owner: RecoveryCodeOwner, keys: KeyRing): string {
  const key = keys.current;
  return `${SCHEME}$${key.id}$${digest(normalizeRecoveryCode(code), owner, key).toString('base64url')}`;
}

/**
 * Constant-time check of a presented code against the hash stored on its owner's enrollment: recomputed under the key
 * the stored value names; false for a malformed code, an unknown format, or a key that is no longer configured.
 */
export function verifyRecoveryCode(code: string, stored: string, owner: RecoveryCodeOwner, keys: KeyRing): boolean {
  if (!isRecoveryCodeShape(code)) return false;
  const match = /^rc2\$([A-Za-z0-9_-]{1,32})\$([\w-]{43})$/.exec(stored);
  if (!match) return false;
  const key = keys.byId.get(match[1]!);
  if (!key) return false;
  return timingSafeEqual(digest(normalizeRecoveryCode(code), owner, key), Buffer.from(match[2]!, 'base64url'));
}
