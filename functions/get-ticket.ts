import { adminRoute, json } from '../lib/http';
import { ticketContext } from '../lib/tickets';
import { getTicket, ticketNotFound } from '../lib/tickets/admin';
import { isTicketId } from '../lib/tickets/tokens';

const { config, store, now } = ticketContext('adminKeyHashes');

/** GET /tickets/{ticket_id}: status and timestamps, never the secret or the URL. */
export const handler = adminRoute(config, async (event) => {
  const ticketId = event.pathParameters?.ticket_id ?? '';
  if (!isTicketId(ticketId)) throw ticketNotFound(ticketId);
  return json(200, await getTicket(store, ticketId, now()));
});
