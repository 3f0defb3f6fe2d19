import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Key, KeyRing } from '../config';

/**
 * The one-time recovery code shown when an enrollment is confirmed: 20 characters of Crockford base32 (100 bits from
 * the CSPRNG), grouped `XXXXX-XXXXX-XXXXX-XXXXX` and readable aloud (no I, L, O, U).
 *
 * Stored only as a keyed hash, `hmac-sha256$<key id>$<base64url digest>`: HMAC-SHA256 of the normalized code under a
 * key kept outside the table, the current key of ENCRYPTION_KEYS (a subkey derived from it with HKDF, so the AES key
 * itself is never used for a second purpose). The key id travels with the digest, so rotating ENCRYPTION_KEYS works as
 * it does for sealed TOTP secrets: new codes use the new key, old ones verify while their key stays configured.
 *
 * Why a keyed HMAC rather than a slow hash such as scrypt: the code has 100 random bits, so a slow hash adds nothing
 * against brute force (no one can try 2^100 guesses, slow or fast), while with a key a reader of the table (a backup, a
 * stream consumer, an over-broad IAM role) cannot even test a guess without the key, which lives elsewhere. The same
 * reasoning leads Ory to store such codes as HMACs under rotatable keys. It also spares every confirm ~50 ms of CPU.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 20;
const SCHEME = 'hmac-sha256';
/** HKDF `info`: binds the derived subkey to this one use. */
const KEY_INFO = 'mfa-tickets recovery-code hmac-sha256 v1';

const subkeys = new WeakMap<Key, Buffer>();

function hmacKey(key: Key): Buffer {
  let subkey = subkeys.get(key);
  if (!subkey) {
    subkey = Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), KEY_INFO, 32));
    subkeys.set(key, subkey);
  }
  return subkey;
}

function digest(code: string, key: Key): Buffer {
  return createHmac('sha256', hmacKey(key)).update(normalizeRecoveryCode(code), 'utf8').digest();
}

export function newRecoveryCode(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(LENGTH); // one byte per character, 5 bits used: 100 bits in all
  const chars = Array.from(bytes, (byte) => ALPHABET[byte & 31]).join('');
  return chars.match(/.{5}/g)!.join('-');
}

/** Upper case, no separators, and the characters people confuse read as Crockford does (I/L → 1, O → 0). */
export function normalizeRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** The stored form of a code: `hmac-sha256$<key id>$<base64url digest>`, under the ring's current key. */
export function hashRecoveryCode(code: string, keys: KeyRing): string {
  const key = keys.current;
  return `${SCHEME}$${key.id}$${digest(code, key).toString('base64url')}`;
}

/**
 * Constant-time check of a presented code against a stored hash (for the sign-in flow that spends it): recomputed
 * under the key the stored value names; false for an unknown format or a key that is no longer configured.
 */
export function verifyRecoveryCode(code: string, stored: string, keys: KeyRing): boolean {
  const match = /^hmac-sha256\$([A-Za-z0-9_-]{1,32})\$([\w-]{43})$/.exec(stored);
  if (!match) return false;
  const key = keys.byId.get(match[1]!);
  if (!key) return false;
  return timingSafeEqual(digest(code, key), Buffer.from(match[2]!, 'base64url'));
}
