import { conflict, notFound } from '../errors';
import type { RequestOrigin } from '../history/origin';
import { effectiveStatus, ticketView, type TicketView } from './ticket';
import type { TicketStore } from './ticket-store';

export const ticketNotFound = (ticketId: string) => notFound('ticket_not_found', `ticket_id: no ticket ${ticketId}`);

export async function getTicket(store: TicketStore, ticketId: string, now: number): Promise<TicketView> {
  const ticket = await store.get(ticketId);
  if (!ticket) throw ticketNotFound(ticketId);
  return ticketView(ticket, now);
}

/** Revokes a pending ticket. Revoking twice is a no-op; a ticket that already ended otherwise is a 409. */
export async function revokeTicket(store: TicketStore, ticketId: string, now: number, origin?: RequestOrigin): Promise<TicketView> {
  const result = await store.revoke(ticketId, now, origin);
  if (result.ok) return ticketView(result.ticket, now);
  if (!result.current) throw ticketNotFound(ticketId);
  const status = effectiveStatus(result.current, now);
  if (status === 'revoked') return ticketView(result.current, now);
  throw conflict(`ticket_${status}`, `ticket_id: ticket ${ticketId} is ${status} and can no longer be revoked`);
}
