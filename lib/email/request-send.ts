import * as v from 'valibot';
import { AppError, badRequest, conflict } from '../errors';
import { ticketNotFound } from '../tickets/admin';
import { emailSchema } from '../tickets/create-ticket';
import { effectiveStatus, MAX_RECIPIENTS, ticketView, type TicketRecord, type TicketView } from '../tickets/ticket';
import { resendSlot, type EmailDeliveryStore, type RecipientUpdate } from './delivery-store';
import { emailLocaleSchema } from './locales';
import { newEmailRequest } from './requests';

/** Resends allowed per ticket in any rolling hour. */
export const MAX_RESENDS_PER_HOUR = 3;
const HOUR_MS = 3600_000;

/** `POST /tickets/{ticket_id}/send` body, all optional (an empty body is fine): a new address and/or locale. */
export const sendTicketSchema = v.strictObject({
  email: v.optional(emailSchema),
  email_locale: v.optional(emailLocaleSchema),
});
export type SendTicketInput = v.InferOutput<typeof sendTicketSchema>;

export interface RequestSendDeps {
  deliveries: EmailDeliveryStore;
  now: () => number;
}

/** Rounds of "write, and if the item was not as assumed, decide again from the item the failed write returned". */
const SEND_ROUNDS = 3;

/**
 * What sending to `email` does to this ticket: the same address keeps the link; a first address is recorded; a
 * different one replaces the link (generation + 1) and is appended to the recipient history.
 */
export function recipientUpdate(ticket: TicketRecord, email: string, now: number): RecipientUpdate {
  if (ticket.email === email) return { kind: 'keep', email };
  const generation = ticket.generation ?? 0;
  if (!ticket.email) return { kind: 'first', email, entries: [{ email, at: now, generation }] };
  const next = generation + 1;
  // A ticket from before the history was kept: its first address goes in too, so the history starts at the start.
  const earlier = ticket.recipients ? [] : [{ email: ticket.email, at: ticket.created_at, generation }];
  return { kind: 'change', email, from: ticket.email, seenGeneration: ticket.generation, next, entries: [...earlier, { email, at: now, generation: next }] };
}

/**
 * Asks for the ticket URL to be emailed (again): one conditional write records the request, and the table's stream
 * delivers it like the first one. Pending and unexpired tickets only; at most MAX_RESENDS_PER_HOUR per ticket.
 *
 * With an `email` the write first assumes it is the ticket's address (a plain resend, the link stays). When it is
 * not, the failed write returns the item, and the next write changes the recipient under a condition on exactly
 * what that item showed: no read before writing, and no send that could mail a link the condition did not vouch for.
 */
export async function requestTicketEmail(deps: RequestSendDeps, ticketId: string, input: SendTicketInput): Promise<TicketView> {
  const now = deps.now();
  let recipient: RecipientUpdate = { kind: 'keep', email: input.email };
  for (let round = 1; round <= SEND_ROUNDS; round += 1) {
    const request = newEmailRequest(now);
    const result = await deps.deliveries.requestSend(ticketId, {
      requestId: request.request_id,
      now,
      recipient,
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
    if (input.email === undefined) {
      if (!current.email) throw badRequest('email_required', 'email: the ticket has no address; give one in the body');
    } else {
      // The address was not what this round assumed (or changed meanwhile): decide again from the item as it is.
      const next = recipientUpdate(current, input.email, now);
      if (next.kind !== 'keep' && (current.recipients?.length ?? 0) + next.entries.length > MAX_RECIPIENTS) {
        throw conflict(
          'too_many_recipients',
          `email: ticket ${ticketId} was already sent to ${MAX_RECIPIENTS} addresses; revoke it and create a new ticket`,
        );
      }
      if (JSON.stringify(next) !== JSON.stringify(recipient)) {
        recipient = next;
        continue;
      }
    }
    break;
  }
  // The item changed between our write and now (it met every condition when read back): let the client retry.
  throw conflict('ticket_changed', `ticket_id: ticket ${ticketId} changed while the send was requested; retry`);
}
