import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Key, KeyRing } from '../config';

/**
 * Ticket tokens: `<ticket_id>.<secret>`.
 *
 * - `ticket_id` is `tkt_` + 128 random bits (base64url). It is public: it appears in admin responses and logs.
 * - `secret` is HMAC-SHA256(signing key, "ticket:v1:" + ticket_id), 256 bits, base64url. It is never stored: the table
 *   keeps only the id of the key that made it, so a reader of the table cannot redeem, while the mailer can rebuild the
 *   URL from a stream record. Rotating the signing key (README "Keys") invalidates nothing until the old key is removed.
 */
const ID_PREFIX = 'tkt_';
const ID_PATTERN = /^tkt_[A-Za-z0-9_-]{22}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newTicketId(random: (size: number) => Buffer = randomBytes): string {
  return ID_PREFIX + random(16).toString('base64url');
}

export function isTicketId(value: string): boolean {
  return ID_PATTERN.test(value);
}

function ticketSecret(ticketId: string, key: Key): Buffer {
  return createHmac('sha256', key.secret).update(`ticket:v1:${ticketId}`).digest();
}

export function ticketToken(ticketId: string, key: Key): string {
  return `${ticketId}.${ticketSecret(ticketId, key).toString('base64url')}`;
}

/** Splits a token into id and secret; undefined when it cannot be a token of ours. */
export function parseTicketToken(token: string): { ticketId: string; secret: string } | undefined {
  const [ticketId, secret, extra] = token.split('.');
  if (extra !== undefined || !ticketId || !secret || !isTicketId(ticketId) || !SECRET_PATTERN.test(secret)) {
    return undefined;
  }
  return { ticketId, secret };
}

/** Constant-time check of a presented secret against the one derived with the ticket's key. */
export function verifyTicketSecret(ticketId: string, secret: string, keyId: string, keys: KeyRing): boolean {
  const key = keys.byId.get(keyId);
  if (!key) return false;
  const presented = Buffer.from(secret, 'base64url');
  const expected = ticketSecret(ticketId, key);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
