import * as v from 'valibot';
import type { KeyRing } from '../../config';
import { emailSchema } from '../../tickets/create-ticket';
import { keyedDigest } from '../../crypto/keyed-hash';

/**
 * The address the email factor sends codes to: how it is checked, shown and counted.
 */

/**
 * An address as the factor accepts it: the same rule as a ticket's `email` (lib/tickets/create-ticket.ts: the API's
 * address pattern, at most 254 characters), so an address that a ticket may carry is one the page may ask for, and
 * the reverse. Use it in a request body schema; a bad one is 400 `invalid_<field>`.
 */
export const emailAddressSchema = emailSchema;

export const isEmailAddress = (input: unknown): input is string => v.is(emailAddressSchema, input);

/**
 * The mailbox an address reaches, as far as we can tell without asking its provider, for counting sends per mailbox
 * (never for sending: mail goes to the address as given).
 * - Domain lower-cased: DNS names are case-insensitive.
 * - Local part lower-cased too. RFC 5321 lets a server treat `Ada` and `ada` as two mailboxes, but the providers
 *   people use do not, and the count errs the safe way: two addresses that differ only in case share one cap rather
 *   than letting the page mail one inbox twice as often.
 * - A `+tag` dropped (`ada+x@` → `ada@`): Gmail, Outlook, iCloud, Fastmail and Proton deliver sub-addresses to the
 *   base mailbox, so each tag would otherwise be a fresh cap on the same inbox.
 * - Gmail only: dots in the local part dropped and `googlemail.com` read as `gmail.com` (Gmail ignores both).
 * An address with a literal `+` at a provider without sub-addressing shares its cap with its base address: rare, and
 * again the stricter side.
 */
export function normalizeEmailAddress(address: string): string {
  const at = address.lastIndexOf('@');
  let local = address.slice(0, at).toLowerCase();
  let domain = address.slice(at + 1).toLowerCase();
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}

// Kept apart (./mask.ts) so what only shows addresses, as the security notifier does, bundles none of the checks.
export { maskEmail } from './mask';

/** HKDF `info` of the address key: distinct from the code hash's, so neither digest can stand in for the other. */
const ADDRESS_KEY_INFO = 'mfa-tickets email-address rate-key hmac-sha256 v1';

/**
 * The partition the per-address send cap counts under: `<key id>.<base64url HMAC>` of the normalized address, under
 * a subkey of the current ENCRYPTION_KEYS key. Keyed so that the table never holds an address in a key (keys show up
 * in metrics, exports and streams, where the address must not) and a reader of the table cannot test a guessed
 * address against it. After a key rotation the same mailbox gets a new partition, which restarts its count for at
 * most the current hour: accepted for the simplicity of one key per write.
 */
export function addressKey(address: string, keys: KeyRing): string {
  const key = keys.current;
  return `${key.id}.${keyedDigest(ADDRESS_KEY_INFO, key, [normalizeEmailAddress(address)]).toString('base64url')}`;
}
