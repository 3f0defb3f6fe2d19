import { enrollmentSecretContext, open, pendingSecretContext, seal } from '../../crypto/secret-box';
import { enrollmentKey, newEnrollmentId, type TotpEnrollmentRecord } from '../../store/records';
import type { EnrollFactor } from '../factor';
import { hashRecoveryCode, newRecoveryCode } from '../recovery-code/code';
import { totpDescriptor } from './descriptor';
import { TOTP_PARAMS, verifyTotp } from './totp';

/** Enrolling an authenticator app from a ticket: what the start answers (the flow is lib/enrollment/start.ts), and the finish. */

/**
 * What a client needs to add the account to an authenticator app. The hosted page's answer adds the QR code
 * (./qr-code.ts: `StartedEnrollment`); the device protocol's start-flow answers without one, so its
 * function does not bundle the QR encoder.
 */
export interface StartedTotp {
  factor: 'otp';
  /** The per-start handle: only it can confirm this secret. Kept in memory by the client, never stored by us. */
  transaction_token: string;
  transaction_expires_at: string;
  /** The transaction id inside the token (the device protocol echoes it). */
  txid: string;
  /** Base32, for typing into the app by hand. */
  secret: string;
  otpauth_uri: string;
  issuer: string;
  account_name: string;
  algorithm: 'SHA1';
  digits: number;
  period: number;
  attempts_remaining: number;
  expires_at: string;
  /** With `issueRecoveryCode` only. */
  enrollment_id?: string;
  recovery_code?: string;
}

/**
 * The finish: the user's code proves their app holds the secret of the ticket's latest start (the flow checked the
 * transaction is that start's). A right code's step is recorded as used, so the same code cannot log in afterwards.
 * The enrollment id and recovery code are the ones the start promised, if it did (the device protocol).
 */
export const totpEnrollment: EnrollFactor<string> = {
  finish(ticket, code, { keys, now, random }) {
    const pending = ticket.pending_totp;
    if (!pending) return { ok: false, reason: 'no pending start' };
    const secret = open(pending.secret, keys, pendingSecretContext(ticket.ticket_id, pending.tx));
    const step = verifyTotp(secret, code, now);
    if (step === undefined) return { ok: false };
    const enrollmentId = pending.enrollment_id ?? newEnrollmentId(random);
    const recoveryCode = pending.recovery_code_hash ? undefined : newRecoveryCode(random);
    const enrollment: TotpEnrollmentRecord = {
      ...enrollmentKey(ticket.user_id, enrollmentId),
      type: 'enrollment',
      enrollment_id: enrollmentId,
      user_id: ticket.user_id,
      factor: 'otp',
      status: 'confirmed',
      name: totpDescriptor.view!('otp').defaultName,
      totp_secret: seal(secret, keys, enrollmentSecretContext(ticket.user_id, enrollmentId), random),
      ...TOTP_PARAMS,
      last_used_step: step,
      recovery_code_hash: pending.recovery_code_hash ?? hashRecoveryCode(recoveryCode!, { userId: ticket.user_id, enrollmentId }, keys),
      ticket_id: ticket.ticket_id,
      created_at: now,
    };
    return { ok: true, enrollment, recoveryCode };
  },
};
