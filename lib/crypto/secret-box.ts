import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from '../config';

/**
 * AES-256-GCM for the TOTP secrets we keep: `v2.<key id>.<iv>.<ciphertext+tag>` (base64url parts).
 *
 * - The key is the current one of ENCRYPTION_KEYS (kept outside the table, see README "Keys"); its id travels with
 *   the ciphertext, so rotating keys only needs the old key to stay configured until `npm run reencrypt` has moved
 *   everything to the new one (infra/reencrypt.ts).
 * - What the secret belongs to (its `SecretOwner`) is bound as additional authenticated data (`secretAad`): an
 *   enrolled secret opens only for the user and enrollment it was written for, so an item copied under another
 *   user's key, or a ciphertext copied onto another item, does not decrypt there.
 * - `v1.` values (written before the user was bound) still open, with the AAD of that time (`enrollment:<id>:…`), so
 *   a deploy breaks no enrollment; `npm run reencrypt` rewrites them as v2, and v1 goes once it reports none left.
 *   Until then a v1 item carries the weaker binding it was written with.
 */
const VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The item a sealed TOTP secret lives on, named by its key: the user and enrollment, or the pending ticket. */
export type SecretOwner = { kind: 'enrollment'; userId: string; enrollmentId: string } | { kind: 'pending'; ticketId: string; tx?: string };

/**
 * The owner of an enrolled secret. `userId` must be the user the item is filed under (its key, `USER#<id>`) or the
 * user a login is for — never a value read from the item itself, which a copy would carry along.
 */
export const enrollmentSecretContext = (userId: string, enrollmentId: string): SecretOwner => ({ kind: 'enrollment', userId, enrollmentId });
/**
 * The owner of the secret offered on a pending ticket (`pending_totp`), until it is confirmed: the ticket and the
 * start's transaction (the hash of its id), so a secret sealed for one start opens for no other.
 */
export const pendingSecretContext = (ticketId: string, tx?: string): SecretOwner => ({ kind: 'pending', ticketId, tx });

/**
 * The additional authenticated data for `owner`: a JSON array, so no user id (any text but control characters) can
 * make two owners read alike.
 */
export function secretAad(owner: SecretOwner): Buffer {
  const parts =
    owner.kind === 'enrollment'
      ? ['mfa-tickets', 'totp-secret', VERSION, 'enrollment', owner.userId, owner.enrollmentId]
      : ['mfa-tickets', 'totp-secret', VERSION, 'pending', owner.ticketId, owner.tx ?? null];
  return Buffer.from(JSON.stringify(parts), 'utf8');
}

/** The AAD of v1 values: the enrollment or ticket id only. */
function legacyAad(owner: SecretOwner): Buffer {
  const context = owner.kind === 'enrollment' ? `enrollment:${owner.enrollmentId}:totp_secret` : `ticket:${owner.ticketId}:pending_totp`;
  return Buffer.from(context, 'utf8');
}

export function seal(plaintext: Uint8Array, keys: KeyRing, owner: SecretOwner, random: (size: number) => Buffer = randomBytes): string {
  const key = keys.current;
  const iv = random(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.secret.subarray(0, 32), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(secretAad(owner));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, key.id, iv.toString('base64url'), body.toString('base64url')].join('.');
}

/** The format version and key id of a sealed value, without opening it (what `npm run reencrypt` sorts by). */
export function sealedInfo(sealed: string): { version: 'v1' | 'v2'; keyId: string } {
  const [version, keyId, ivPart, bodyPart, extra] = sealed.split('.');
  if ((version !== VERSION && version !== LEGACY_VERSION) || !keyId || !ivPart || !bodyPart || extra !== undefined) {
    throw new Error('sealed value: unknown format');
  }
  return { version, keyId };
}

/** Sealed in the current format under the ring's current key: nothing for `npm run reencrypt` to do. */
export function isSealedCurrent(sealed: string, keys: KeyRing): boolean {
  const info = sealedInfo(sealed);
  return info.version === VERSION && info.keyId === keys.current.id;
}

/** Decrypts what `seal` produced for the same owner; throws on any tampering, another owner or an unknown key. */
export function open(sealed: string, keys: KeyRing, owner: SecretOwner): Buffer {
  const { version, keyId } = sealedInfo(sealed);
  const [, , ivPart, bodyPart] = sealed.split('.') as [string, string, string, string];
  const key = keys.byId.get(keyId);
  if (!key) throw new Error(`sealed value: encryption key "${keyId}" is not configured`);
  const iv = Buffer.from(ivPart, 'base64url');
  const body = Buffer.from(bodyPart, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('sealed value: truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.secret.subarray(0, 32), iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(version === VERSION ? secretAad(owner) : legacyAad(owner));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
}
