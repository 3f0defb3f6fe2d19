import { enrollmentSecretContext, open, pendingSecretContext, seal } from '../crypto/secret-box';
import { verifyDeliveredCode, type CodeChannel } from '../delivered-code/code';
import { enrollmentKey, newEnrollmentId, type EnrollmentRecord, type PendingEnrollCode } from '../store/records';
import type { FinishContext, Finished, PendingTicket } from './factor';
import { hashRecoveryCode, newRecoveryCode } from './recovery-code/code';

/** Why a code is refused when it is not just wrong (the answer's message and the log; never the code). */
export const CODE_EXPIRED = 'the code has expired; send a new one';
export const NO_CODE_SENT = 'no code was sent for this start; send one first';

/** What a factor that sends codes adds to the enrollment item: its fields, from the destination and what the send kept. */
export interface SentCodeEnrollment {
  /** The destination sealed for the new enrollment (`sealed`), and the factor's own fields around it. */
  fields(destination: string, sealed: string, sent: PendingEnrollCode): Record<string, unknown>;
}

/**
 * The finish of a factor that sends its code (email, phone): a right code is the one last sent for the ticket's
 * latest start (its hash names the ticket and that start, so a code of an earlier start never verifies), unexpired.
 * The destination enrolled is the one that code went to, sealed for the user and the new enrollment.
 */
export function finishSentCode(channel: CodeChannel, factor: EnrollmentRecord['factor'], name: string, enrollment: SentCodeEnrollment) {
  return (ticket: PendingTicket, code: string, { keys, now, random }: FinishContext): Finished => {
    const start = ticket.pending;
    const sent = ticket.pending_code;
    if (!start || !sent || sent.tx !== start.tx) return { ok: false, reason: NO_CODE_SENT };
    if (now >= sent.expires_at) return { ok: false, reason: CODE_EXPIRED };
    const context = { channel, purpose: 'enroll', ticketId: ticket.ticket_id, tx: start.tx } as const;
    if (!verifyDeliveredCode(code, sent, context, keys, now)) return { ok: false };
    const destination = open(sent.destination, keys, pendingSecretContext(ticket.ticket_id, start.tx)).toString('utf8');
    // The id and recovery code the start promised, if it did (the device protocol shows them before the code).
    const promisedId = typeof start.enrollment_id === 'string' ? start.enrollment_id : undefined;
    const promisedCode = typeof start.recovery_code_hash === 'string' ? start.recovery_code_hash : undefined;
    const enrollmentId = promisedId ?? newEnrollmentId(random);
    const recoveryCode = promisedCode ? undefined : newRecoveryCode(random);
    const sealed = seal(Buffer.from(destination, 'utf8'), keys, enrollmentSecretContext(ticket.user_id, enrollmentId), random);
    const record = {
      ...enrollmentKey(ticket.user_id, enrollmentId),
      type: 'enrollment',
      enrollment_id: enrollmentId,
      user_id: ticket.user_id,
      factor,
      status: 'confirmed',
      name,
      ...enrollment.fields(destination, sealed, sent),
      recovery_code_hash: promisedCode ?? hashRecoveryCode(recoveryCode!, { userId: ticket.user_id, enrollmentId }, keys),
      ticket_id: ticket.ticket_id,
      created_at: now,
    } as EnrollmentRecord;
    return { ok: true, enrollment: record, recoveryCode };
  };
}
