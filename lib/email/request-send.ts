import * as z from '../zod-mini';
import { AppError, badRequest, conflict } from '../errors';
import { ticketNotFound } from '../tickets/admin';
import { createTicketSchema } from '../tickets/create-ticket';
import { effectiveStatus, ticketView, type TicketView } from '../tickets/ticket';
import { resendSlot, type EmailDeliveryStore } from './delivery-store';
import { emailLocaleSchema } from './locales';
import { newEmailRequest } from './requests';

/** Resends allowed per ticket in any rolling hour. */
export const MAX_RESENDS_PER_HOUR = 3;
const HOUR_MS = 3600_000;

/** `POST /tickets/{ticket_id}/send` body, all optional (an empty body is fine): a new address and/or locale. */
export const sendTicketSchema = z.strictObject({
  email: createTicketSchema.shape.email,
  email_locale: z.optional(emailLocaleSchema),
});
export type SendTicketInput = z.infer<typeof sendTicketSchema>;

export interface RequestSendDeps {
  deliveries: EmailDeliveryStore;
  now: () => number;
}

/**
 * Asks for the ticket URL to be emailed (again): one conditional write records the request, and the table's stream
 * delivers it like the first one. Pending and unexpired tickets only; at most MAX_RESENDS_PER_HOUR per ticket.
 */
export async function requestTicketEmail(deps: RequestSendDeps, ticketId: string, input: SendTicketInput): Promise<TicketView> {
  const now = deps.now();
  const request = newEmailRequest(now);
  const result = await deps.deliveries.requestSend(ticketId, {
    requestId: request.request_id,
    now,
    email: input.email,
    emailLocale: input.email_locale,
    limit: MAX_RESENDS_PER_HOUR,
    windowMs: HOUR_MS,
  });
  if (result.ok) return ticketView(result.ticket, now);

  // The condition failed: say which part, from the item as it was.
  const current = result.current;
  if (!current) throw ticketNotFound(ticketId);
  const status = effectiveStatus(current, now);
  if (status !== 'pending') {
    throw conflict(`ticket_${status}`, `ticket_id: ticket ${ticketId} is ${status}; only a pending ticket can be sent`);
  }
  const oldest = (current as unknown as Record<string, unknown>)[resendSlot(1)];
  if (typeof oldest === 'number' && oldest > now - HOUR_MS) {
    const retryAfterSec = Math.ceil((oldest + HOUR_MS - now) / 1000);
    throw new AppError(
      429,
      'too_many_sends',
      `ticket_id: ticket ${ticketId} was sent ${MAX_RESENDS_PER_HOUR} times in the last hour; try again in ${retryAfterSec} s`,
      { retry_after_sec: retryAfterSec },
    );
  }
  if (!current.email) throw badRequest('email_required', 'email: the ticket has no address; give one in the body');
  // The item changed between our write and now (it met every condition when read back): let the client retry.
  throw conflict('ticket_changed', `ticket_id: ticket ${ticketId} changed while the send was requested; retry`);
}
