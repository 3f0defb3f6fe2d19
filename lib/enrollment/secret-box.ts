import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from '../config';

/**
 * AES-256-GCM for the TOTP secrets we keep: `v1.<key id>.<iv>.<ciphertext+tag>` (base64url parts).
 *
 * - The key is the current one of ENCRYPTION_KEYS (kept outside the table, see README "Keys"); its id travels with
 *   the ciphertext, so rotating keys only needs the old key to stay configured until nothing uses it.
 * - `context` is bound as additional authenticated data (e.g. `enrollment:<id>`): a ciphertext copied onto another
 *   item does not decrypt there.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function seal(plaintext: Uint8Array, keys: KeyRing, context: string, random: (size: number) => Buffer = randomBytes): string {
  const key = keys.current;
  const iv = random(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.secret.subarray(0, 32), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, key.id, iv.toString('base64url'), body.toString('base64url')].join('.');
}

/** Decrypts what `seal` produced for the same context; throws on any tampering, wrong context or unknown key. */
export function open(sealed: string, keys: KeyRing, context: string): Buffer {
  const [version, keyId, ivPart, bodyPart, extra] = sealed.split('.');
  if (version !== VERSION || !keyId || !ivPart || !bodyPart || extra !== undefined) throw new Error('sealed value: unknown format');
  const key = keys.byId.get(keyId);
  if (!key) throw new Error(`sealed value: encryption key "${keyId}" is not configured`);
  const iv = Buffer.from(ivPart, 'base64url');
  const body = Buffer.from(bodyPart, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('sealed value: truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.secret.subarray(0, 32), iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
}
