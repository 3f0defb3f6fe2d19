import { documentClient } from '../lib/aws';
import { EmailDeliveryStore } from '../lib/email/delivery-store';
import { requestTicketEmail, sendTicketSchema, type SendTicketInput } from '../lib/email/request-send';
import { adminRoute, json, parseJsonBody } from '../lib/http';
import { getConfig } from '../lib/config';
import { logger } from '../lib/log';
import { ticketNotFound } from '../lib/tickets/admin';
import { isTicketId } from '../lib/tickets/tokens';

const config = getConfig('adminKeyHashes');
const deliveries = new EmailDeliveryStore(documentClient(config), config.tableName);
const now = () => Date.now();

/**
 * POST /tickets/{ticket_id}/send: email the ticket URL (again), optionally to a new `email` / in a new `email_locale`.
 * 202: the request is recorded and the stream delivers it; `email_delivery` in GET /tickets/{id} tells the outcome.
 */
export const handler = adminRoute(config, async (event) => {
  const ticketId = event.pathParameters?.ticket_id ?? '';
  if (!isTicketId(ticketId)) throw ticketNotFound(ticketId);
  const input: SendTicketInput = event.body ? parseJsonBody(event, sendTicketSchema) : {};
  const ticket = await requestTicketEmail({ deliveries, now }, ticketId, input);
  logger.info('ticket email requested', { ticketId, linkGeneration: ticket.link_generation, locale: input.email_locale });
  return json(202, ticket);
});
