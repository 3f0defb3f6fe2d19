import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * The one-time recovery code shown when an enrollment is confirmed: 20 characters of Crockford base32 (100 bits from
 * the CSPRNG), grouped `XXXXX-XXXXX-XXXXX-XXXXX` and readable aloud (no I, L, O, U).
 *
 * Stored only as an scrypt hash (N=2^14, r=8, p=1, 16-byte random salt, 32-byte output), self-describing so the
 * parameters can be raised later. With 100 bits of entropy no hash could be brute-forced; scrypt is chosen over a
 * keyed HMAC so the stored value stays safe without any key, and a leaked table plus leaked keys still reveals nothing.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 20;
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function scryptAsync(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
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

export async function hashRecoveryCode(code: string, random: (size: number) => Buffer = randomBytes): Promise<string> {
  const salt = random(16);
  const hash = await scryptAsync(normalizeRecoveryCode(code), salt, KEY_BYTES, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return `scrypt$N=${PARAMS.N},r=${PARAMS.r},p=${PARAMS.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Constant-time check of a presented code against a stored hash (for the sign-in flow that spends it). */
export async function verifyRecoveryCode(code: string, stored: string): Promise<boolean> {
  const match = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(stored);
  if (!match) return false;
  const [, n, r, p, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64url');
  const actual = await scryptAsync(normalizeRecoveryCode(code), Buffer.from(salt!, 'base64url'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}
