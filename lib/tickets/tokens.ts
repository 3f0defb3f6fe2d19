import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Key, KeyRing } from '../config';

/**
 * Ticket tokens: `<ticket_id>.<secret>`, the `ticket` parameter of the ticket URL.
 *
 * - `ticket_id` is `tkt_` + 128 random bits (base64url). It is public: it appears in admin responses and logs.
 * - `secret` is 43 base64url characters (256 bits): HMAC-SHA256(signing key, "ticket:v2:" + ticket_id + ":" + generation).
 *   `generation` is a counter stored on the ticket (`TicketRecord.generation`, 0 at creation) and raised by every
 *   send to a *different* address, in the same conditional write that records that send: the new address gets a link
 *   for the new generation and every earlier link stops working (a resend to the same address keeps the link). The
 *   URL does not carry the generation; the item does.
 * - The secret is never stored: the table keeps only the id of the key that made it (`key_id`) and the generation, so
 *   a reader of the table cannot redeem, while the mailer can rebuild the URL from a stream record. Rotating the
 *   signing key (README "Keys") invalidates nothing until the old key is removed.
 * - Tickets created before generations existed have no `generation` attribute; their secret is the earlier
 *   HMAC-SHA256(signing key, "ticket:v1:" + ticket_id), and it counts as their generation 0 (their first recipient
 *   change moves them to generation 1 of the v2 form). That form can go once no such ticket is left (30 days).
 * - A presented secret is compared as a string, canonically: a base64url spelling that decodes to the same bytes but
 *   differs in the unused low bits of its last character is a different token and does not verify.
 */
const ID_PREFIX = 'tkt_';
const ID_PATTERN = /^tkt_[A-Za-z0-9_-]{22}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** How the presented token relates to the ticket: its current link, a link a recipient change replaced, or neither. */
export type TokenMatch = 'current' | 'superseded' | 'invalid';

/** The parts of a ticket the token depends on. `generation` absent: a ticket from before generations (v1 secret). */
export type TokenSubject = { key_id: string; generation?: number };

export function newTicketId(random: (size: number) => Buffer = randomBytes): string {
  return ID_PREFIX + random(16).toString('base64url');
}

export function isTicketId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** The secret of one generation of a ticket's link, as it appears in the URL (canonical base64url). */
function ticketSecret(ticketId: string, generation: number | undefined, key: Key): string {
  const message = generation === undefined ? `ticket:v1:${ticketId}` : `ticket:v2:${ticketId}:${generation}`;
  return createHmac('sha256', key.secret).update(message).digest('base64url');
}

/** The token of the ticket's link for `generation` (the ticket's current one, unless a test wants another). */
export function ticketToken(ticketId: string, generation: number | undefined, key: Key): string {
  return `${ticketId}.${ticketSecret(ticketId, generation, key)}`;
}

/** Splits a token into id and secret; undefined when it cannot be a token of ours. */
export function parseTicketToken(token: string): { ticketId: string; secret: string } | undefined {
  const [ticketId, secret, extra] = token.split('.');
  if (extra !== undefined || !ticketId || !secret || !isTicketId(ticketId) || !SECRET_PATTERN.test(secret)) {
    return undefined;
  }
  return { ticketId, secret };
}

/** Constant-time string equality of two canonical secrets (same length by the token pattern). */
function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'latin1');
  const b = Buffer.from(expected, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a presented secret against the ticket's current link, in constant time. When `ticket` is undefined (no
 * such ticket) the same work is done under the current key, so both answers take the same time.
 *
 * Only when it does not match and the ticket's recipient was changed are the earlier generations tried (at most
 * `generation` more HMACs, bounded by the recipient limit), to tell a replaced link ('superseded', which the page
 * answers politely) from a wrong one. That costs time only for a ticket whose id the caller already holds; it says
 * nothing about the secret.
 */
export function matchTicketSecret(ticketId: string, secret: string, ticket: TokenSubject | undefined, keys: KeyRing): TokenMatch {
  const key = keys.byId.get(ticket?.key_id ?? keys.current.id);
  if (!key) return 'invalid';
  const current = sameSecret(secret, ticketSecret(ticketId, ticket?.generation, key));
  if (!ticket) return 'invalid';
  if (current) return 'current';
  const generation = ticket.generation ?? 0;
  let superseded = false;
  if (generation > 0) {
    // A ticket that started before generations (v1 secret) may have had its first link replaced too.
    superseded = sameSecret(secret, ticketSecret(ticketId, undefined, key));
    for (let g = 0; g < generation; g += 1) superseded = sameSecret(secret, ticketSecret(ticketId, g, key)) || superseded;
  }
  return superseded ? 'superseded' : 'invalid';
}
