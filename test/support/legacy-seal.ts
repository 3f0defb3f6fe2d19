import { createCipheriv, randomBytes } from 'node:crypto';
import type { Key } from '../../lib/config';

/**
 * A TOTP secret sealed as releases before the user binding did: `v1.<key id>.<iv>.<ciphertext+tag>`, AES-256-GCM with
 * the AAD given (`enrollment:<id>:totp_secret` or `ticket:<id>:pending_totp`). For tests of reading and migrating them.
 */
export function legacySeal(plaintext: Uint8Array, key: Key, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.secret.subarray(0, 32), iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return ['v1', key.id, iv.toString('base64url'), body.toString('base64url')].join('.');
}
