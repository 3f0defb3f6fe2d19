import { originOfRequest } from '../lib/history/origin';
import { adminRoute, json, parseJsonBody, requestOrigin } from '../lib/http';
import { logger } from '../lib/log';
import { emailLookupFor } from '../lib/signup/email-lookup';
import { createTicket, createTicketSchema } from '../lib/tickets/create-ticket';
import { ticketContext } from '../lib/tickets';

const { config, store, now } = ticketContext('adminKeyHashes', 'signingKeys');
/** With COGNITO_USER_POOL_ID, `send_mail` without `email` mails the user's verified email from the pool. */
const lookupEmail = emailLookupFor(config);

/** POST /api/v2/guardian/enrollments/ticket and POST /tickets: 200 `{ ticket_id, ticket_url, expires_at }`, as the vendor answers. */
export const handler = adminRoute(config, async (event) => {
  const input = parseJsonBody(event, createTicketSchema);
  const deps = { store, config, now, baseUrl: requestOrigin(event, config), lookupEmail };
  const created = await createTicket(deps, input, { origin: originOfRequest(event, 'admin') });
  logger.info('ticket created', { ticketId: created.ticket_id, factor: input.factor ?? 'otp' });
  return json(200, created);
});
