import { originOfRequest } from '../lib/history/origin';
import { adminRoute, json } from '../lib/http';
import { logger } from '../lib/log';
import { ticketContext } from '../lib/tickets';
import { revokeTicket, ticketNotFound } from '../lib/tickets/admin';
import { isTicketId } from '../lib/tickets/tokens';

const { config, store, now } = ticketContext('adminKeyHashes');

/** DELETE /tickets/{ticket_id}: revoke; idempotent, 409 once the ticket has ended another way. */
export const handler = adminRoute(config, async (event) => {
  const ticketId = event.pathParameters?.ticket_id ?? '';
  if (!isTicketId(ticketId)) throw ticketNotFound(ticketId);
  const ticket = await revokeTicket(store, ticketId, now(), originOfRequest(event, 'admin'));
  logger.info('ticket revoked', { ticketId });
  return json(200, ticket);
});
