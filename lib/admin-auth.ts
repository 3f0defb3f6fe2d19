import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminKey } from './config';

export const hashAdminKey = (key: string) => createHash('sha256').update(key, 'utf8').digest();

export function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * `Authorization: Bearer <key>` against the configured SHA-256 digests. Admin keys are 256-bit random strings,
 * so a fast hash is enough (there is nothing to brute-force); every digest is compared, in constant time, and a key
 * past its configured expiry no longer counts.
 */
export function isAdminRequest(authorization: string | undefined, keys: readonly AdminKey[], now: number): boolean {
  const match = /^Bearer ([\x21-\x7e]{16,512})$/.exec(authorization ?? '');
  if (!match) return false;
  const presented = hashAdminKey(match[1]!);
  let ok = false;
  for (const key of keys) {
    const matches = timingSafeEqual(presented, key.digest);
    ok = (matches && (key.expiresAt === undefined || now < key.expiresAt)) || ok;
  }
  return ok;
}
