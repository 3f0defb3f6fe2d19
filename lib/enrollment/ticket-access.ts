import type { KeyRing } from '../config';
import { AppError, badRequest, conflict, notFound } from '../errors';
import { effectiveStatus, type TicketRecord, type TicketStatus } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { logger } from '../log';
import { matchTicketSecret, parseTicketToken } from '../tickets/tokens';

/**
 * The public endpoints' authentication: the `<ticket_id>.<secret>` token from the ticket URL. A malformed token, an
 * unknown id and a wrong secret are the same 404, so the answer never says whether an id exists.
 */
export const ticketNotFound = () => notFound('ticket_not_found', 'ticket: no such ticket; check that the whole link was used');

const ENDED: Record<Exclude<TicketStatus, 'pending'>, string> = {
  redeemed: 'ticket: this ticket was already used',
  expired: 'ticket: this ticket has expired',
  revoked: 'ticket: this ticket was revoked',
  locked: 'ticket: this ticket is locked after too many wrong codes',
};

/** 410 `ticket_<status>`: the ticket is over and asking again will not change that. */
export function ticketEnded(status: Exclude<TicketStatus, 'pending'>, details?: Record<string, unknown>): AppError {
  return new AppError(410, `ticket_${status}`, ENDED[status], details);
}

/**
 * 410 `ticket_superseded`: a real link of this ticket, replaced when it was sent to another address. Said apart from a
 * wrong link so that a user with an old email knows to look for the newer one; it reveals no more than that.
 */
export const ticketSuperseded = () =>
  new AppError(410, 'ticket_superseded', 'ticket: this link was replaced by a newer one; use the link in the latest email');

/** 400 `unsupported_factor`: this route cannot enroll the ticket's factor (the device protocol and a WebAuthn ticket). */
export const unsupportedFactor = (ticket: Pick<TicketRecord, 'factor'>) =>
  badRequest('unsupported_factor', `ticket: factor ${ticket.factor} cannot be enrolled here`);

export const alreadyEnrolled = () =>
  conflict('already_enrolled', 'ticket: this user already has a confirmed enrollment and the ticket does not allow another');

export async function ticketForToken(store: Pick<TicketStore, 'get'>, token: string, keys: KeyRing): Promise<TicketRecord> {
  const parsed = parseTicketToken(token);
  if (!parsed) throw ticketNotFound();
  logger.appendKeys({ ticketId: parsed.ticketId }); // the id is public; every later line of this request carries it
  const ticket = await store.get(parsed.ticketId);
  // The secret is checked even when there is no ticket, so both answers take the same time.
  const match = matchTicketSecret(parsed.ticketId, parsed.secret, ticket, keys);
  if (!ticket || match === 'invalid') throw ticketNotFound();
  if (match === 'superseded') throw ticketSuperseded();
  return ticket;
}

/** Throws 410 unless the ticket can still be used: pending and unexpired. */
export function requirePending(ticket: TicketRecord, now: number): void {
  const status = effectiveStatus(ticket, now);
  if (status !== 'pending') throw ticketEnded(status);
}
