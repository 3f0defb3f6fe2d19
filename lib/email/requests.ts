import { randomUUID } from 'node:crypto';
import type { EmailDelivery } from '../tickets/ticket';

/** A new request to email a ticket: written with the ticket (send_mail) or by a resend, picked up from the stream. */
export function newEmailRequest(now: number, requestId: string = randomUUID()): EmailDelivery {
  return { request_id: requestId, status: 'pending', requested_at: now };
}
