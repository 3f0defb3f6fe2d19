import { enrollmentSecretContext, open, pendingSecretContext, seal } from '../../crypto/secret-box';
import { verifyDeliveredCode } from '../../delivered-code/code';
import { enrollmentKey, newEnrollmentId, type EmailEnrollmentRecord } from '../../store/records';
import type { EnrollFactor, PendingTicket } from '../factor';
import { hashRecoveryCode, newRecoveryCode } from '../recovery-code/code';
import { maskEmail } from './address';
import { emailDescriptor } from './descriptor';

/**
 * Enrolling an address from a ticket. The begin offers nothing secret and sends nothing: the page shows the ticket's
 * address masked (or asks for one), and a code goes out only when the user presses "Send code" (./deliver.ts, through
 * lib/enrollment/send-code.ts). The finish checks the code against the one sent for this very start.
 */

/** What `POST /enroll/start` adds for an email ticket. */
export type StartedEmailOffer =
  | { factor: 'email'; masked_email: string; address_required: false }
  /** The ticket has no address: the page asks for one, sent with the first "Send code". */
  | { factor: 'email'; address_required: true };

/** Why a code is refused when it is not just wrong (the answer's message and the log; never the code). */
export const CODE_EXPIRED = 'the code has expired; send a new one';
export const NO_CODE_SENT = 'no code was sent for this start; send one first';

export const emailEnrollment: EnrollFactor<string, StartedEmailOffer> = {
  begin(ticket) {
    return { offer: ticket.email ? { factor: 'email', masked_email: maskEmail(ticket.email), address_required: false } : { factor: 'email', address_required: true } };
  },

  /**
   * A right code is the one last sent for the ticket's latest start (its hash names the ticket and that start, so a
   * code of an earlier start, or of a start under an earlier recipient, never verifies), unexpired. The address
   * enrolled is the one that code went to, sealed for the user and the new enrollment.
   */
  finish(ticket, code, { keys, now, random }) {
    const start = ticket.pending;
    const sent = ticket.pending_code;
    if (!start || !sent || sent.tx !== start.tx) return { ok: false, reason: NO_CODE_SENT };
    if (now >= sent.expires_at) return { ok: false, reason: CODE_EXPIRED };
    const context = { channel: 'email', purpose: 'enroll', ticketId: ticket.ticket_id, tx: start.tx } as const;
    if (!verifyDeliveredCode(code, sent, context, keys, now)) return { ok: false };
    const address = openDestination(ticket, sent.destination, keys);
    const enrollmentId = newEnrollmentId(random);
    const recoveryCode = newRecoveryCode(random);
    const enrollment: EmailEnrollmentRecord = {
      ...enrollmentKey(ticket.user_id, enrollmentId),
      type: 'enrollment',
      enrollment_id: enrollmentId,
      user_id: ticket.user_id,
      factor: 'email',
      status: 'confirmed',
      name: emailDescriptor.view!('email').defaultName,
      email: seal(Buffer.from(address, 'utf8'), keys, enrollmentSecretContext(ticket.user_id, enrollmentId), random),
      masked_email: maskEmail(address),
      recovery_code_hash: hashRecoveryCode(recoveryCode, { userId: ticket.user_id, enrollmentId }, keys),
      ticket_id: ticket.ticket_id,
      created_at: now,
    };
    return { ok: true, enrollment, recoveryCode };
  },
};

/** The address the start's code went to: lib/enrollment/send-code.ts seals it for the ticket and that start. */
function openDestination(ticket: PendingTicket, sealed: string, keys: Parameters<typeof open>[1]): string {
  return open(sealed, keys, pendingSecretContext(ticket.ticket_id, ticket.pending!.tx)).toString('utf8');
}
