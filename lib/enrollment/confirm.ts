import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { AppError, badRequest, conflict } from '../errors';
import { logger } from '../log';
import { effectiveStatus, linkGeneration, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { keepWrongAttempt, redeemOrRelease, reserveAttempt, type AttemptStore } from './attempts';
import type { AttemptProof, EnrollmentStore } from './enrollment-store';
import { enrollmentKey, enrollmentSecretContext, newEnrollmentId, pendingSecretContext, type TotpEnrollmentRecord } from '../store/records';
import { hashRecoveryCode, newRecoveryCode } from '../factors/recovery-code/code';
import { open, seal } from '../crypto/secret-box';
import { alreadyEnrolled, requirePending, ticketEnded, ticketForToken, ticketNotFound, ticketSuperseded } from './ticket-access';
import { TOTP_PARAMS, verifyTotp } from '../factors/totp/totp';
import { invalidTransaction, transactionHash, verifyTransactionToken, type TransactionClaims } from './transaction-token';

export interface ConfirmDeps {
  tickets: Pick<TicketStore, 'get'>;
  enrollments: AttemptStore & Pick<EnrollmentStore, 'redeem' | 'recoveryCodeHolders'>;
  config: Pick<Config, 'signingKeys' | 'encryptionKeys'>;
  now: () => number;
  random?: (size: number) => Buffer;
}

export interface ConfirmedEnrollment {
  enrollment_id: string;
  /** Shown once; only its hash is stored. Absent when the start already gave it (the device protocol). */
  recovery_code?: string;
  /** The ticket's `result_url`, where the page sends the user next. */
  redirect_url?: string;
}

export interface ConfirmInput {
  /** The ticket token, when the caller has it (the hosted page): it must name the transaction's ticket. */
  ticket?: string;
  transaction_token: string;
  code: string;
}

export const transactionSuperseded = () =>
  conflict('transaction_superseded', 'transaction_token: a later start replaced this one; enroll the secret it shows, or start again');

/**
 * Confirms an enrollment (`POST /enroll/confirm`, the device API's `verify-otp`): the user's code proves their app
 * holds the secret of THEIR start. Only the latest start's transaction can confirm, and only while the ticket's link is
 * the one it was started under (410 `ticket_superseded` once a recipient change replaced it). Each code takes one of
 * the ticket's 5 attempts before it is checked (lib/enrollment/attempts.ts); a right code redeems the ticket and stores
 * the enrollment in one transaction, giving its attempt back; a wrong one keeps it, and the fifth locks the ticket.
 */
export async function confirmEnrollment(deps: ConfirmDeps, input: ConfirmInput): Promise<ConfirmedEnrollment> {
  const { config } = deps;
  const now = deps.now();
  let ticket: TicketRecord | undefined;
  let claims: TransactionClaims;
  if (input.ticket !== undefined) {
    // The page: the ticket first, so an ended ticket says so whatever transaction the page still holds.
    ticket = await ticketForToken(deps.tickets, input.ticket, config.signingKeys);
    requirePending(ticket, now);
    claims = await verifyTransactionToken(config.signingKeys, 'mfa-enrollment', input.transaction_token, now);
    if (ticket.ticket_id !== claims.sub) throw invalidTransaction();
  } else {
    // The device protocol: the transaction token is the only credential.
    claims = await verifyTransactionToken(config.signingKeys, 'mfa-enrollment', input.transaction_token, now);
    ticket = await deps.tickets.get(claims.sub);
    if (!ticket) throw ticketNotFound();
    requirePending(ticket, now);
  }
  // A transaction started under a link that a recipient change replaced belongs to the old recipient: never completes.
  if (claims.generation !== linkGeneration(ticket)) throw ticketSuperseded();
  const tx = transactionHash(claims.txid);
  const pending = ticket.pending_totp;
  if (!pending || pending.tx !== tx) throw transactionSuperseded();

  const proof: AttemptProof = { kind: 'totp', tx, generation: claims.generation };
  const attempts = await reserveAttempt(deps.enrollments, ticket.ticket_id, proof, now, transactionSuperseded);
  const secret = open(pending.secret, config.encryptionKeys, pendingSecretContext(ticket.ticket_id, tx));
  const step = verifyTotp(secret, input.code, now);
  if (step === undefined) {
    logger.info('wrong enrollment code', { ticketId: ticket.ticket_id, attempts });
    return keepWrongAttempt(deps.enrollments, ticket, attempts, now, wrongCode);
  }

  const random = deps.random ?? randomBytes;
  const enrollmentId = pending.enrollment_id ?? newEnrollmentId(random);
  const recoveryCode = pending.recovery_code_hash ? undefined : newRecoveryCode(random);
  const enrollment: TotpEnrollmentRecord = {
    ...enrollmentKey(ticket.user_id, enrollmentId),
    type: 'enrollment',
    enrollment_id: enrollmentId,
    user_id: ticket.user_id,
    factor: 'otp',
    status: 'confirmed',
    name: 'Authenticator app',
    totp_secret: seal(secret, config.encryptionKeys, enrollmentSecretContext(ticket.user_id, enrollmentId), random),
    ...TOTP_PARAMS,
    last_used_step: step,
    recovery_code_hash: pending.recovery_code_hash ?? hashRecoveryCode(recoveryCode!, { userId: ticket.user_id, enrollmentId }, config.encryptionKeys),
    ticket_id: ticket.ticket_id,
    created_at: now,
  };
  const retired = await deps.enrollments.recoveryCodeHolders(ticket.user_id);
  const result = await redeemOrRelease(deps.enrollments, ticket.ticket_id, now, () => deps.enrollments.redeem(ticket, proof, enrollment, now, retired));
  if (result.ok) {
    logger.info('enrollment confirmed', { ticketId: ticket.ticket_id, enrollmentId });
    return { enrollment_id: enrollmentId, ...(recoveryCode ? { recovery_code: recoveryCode } : {}), redirect_url: ticket.result_url };
  }
  if (result.reason === 'already_enrolled') throw alreadyEnrolled();
  if (result.reason === 'credential_registered') throw new Error('a TOTP enrollment registered no credential');
  if (result.reason === 'busy') throw new AppError(503, 'temporarily_unavailable', 'ticket: the ticket is being changed by another request; retry in a moment');
  if (!result.current) throw ticketNotFound();
  const status = effectiveStatus(result.current, now);
  if (status !== 'pending') throw ticketEnded(status);
  if (linkGeneration(result.current) !== claims.generation) throw ticketSuperseded();
  if (result.current.pending_totp?.tx !== tx) throw transactionSuperseded();
  throw conflict('ticket_changed', 'ticket: the ticket changed while confirming; start again');
}

const wrongCode = (remaining: number) =>
  badRequest('invalid_code', `code: wrong code; ${remaining} attempt${remaining === 1 ? '' : 's'} left`, { attempts_remaining: remaining });
