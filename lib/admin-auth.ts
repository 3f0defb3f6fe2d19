import { createHash, timingSafeEqual } from 'node:crypto';

export const hashAdminKey = (key: string) => createHash('sha256').update(key, 'utf8').digest();

export function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * `Authorization: Bearer <key>` against the configured SHA-256 digests. Admin keys are 256-bit random strings,
 * so a fast hash is enough (there is nothing to brute-force); every digest is compared, in constant time.
 */
export function isAdminRequest(authorization: string | undefined, keyHashes: readonly Buffer[]): boolean {
  const match = /^Bearer ([\x21-\x7e]{16,512})$/.exec(authorization ?? '');
  if (!match) return false;
  const presented = hashAdminKey(match[1]!);
  let ok = false;
  for (const hash of keyHashes) ok = timingSafeEqual(presented, hash) || ok;
  return ok;
}
