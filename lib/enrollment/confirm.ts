import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { AppError, badRequest, conflict } from '../errors';
import { logger } from '../log';
import { effectiveStatus, linkGeneration, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { keepWrongAttempt, redeemOrRelease, reserveAttempt, type AttemptStore } from './attempts';
import type { EnrollFactor } from '../factors/factor';
import type { AttemptProof, EnrollmentStore, RedeemProof } from './enrollment-store';
import { alreadyEnrolled, requirePending, ticketEnded, ticketForToken, ticketNotFound, ticketSuperseded } from './ticket-access';
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
 * `factor` checks the code and builds the enrollment (its handler passes lib/factors/totp/enroll.ts `totpEnrollment`).
 */
export async function confirmEnrollment(deps: ConfirmDeps, input: ConfirmInput, factor: EnrollFactor<string>): Promise<ConfirmedEnrollment> {
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
  return finishEnrollment(deps, ticket, proof, factor, input.code, now, {
    stale: transactionSuperseded,
    wrong: wrongCode,
    stillStarted: (current) => current.pending_totp?.tx === tx,
  });
}

export interface FinishDeps {
  enrollments: AttemptStore & Pick<EnrollmentStore, 'redeem' | 'recoveryCodeHolders'>;
  config: Pick<Config, 'encryptionKeys'>;
  random?: (size: number) => Buffer;
}

export interface FinishErrors {
  /** The proof is no longer the ticket's latest start's (a later start replaced it, or it expired). */
  stale: () => AppError;
  /** A wrong proof, with the attempts left (and the factor's reason, when it gave one). */
  wrong: (remaining: number, reason?: string) => AppError;
  /** After a refused redeem: whether the ticket still holds this start (then it changed otherwise); else `stale`. */
  stillStarted?: (current: TicketRecord) => boolean;
}

/**
 * The ticket's rule around any factor's finish (lib/factors/factor.ts `EnrollFactor`), for a start the caller found
 * to be the ticket's latest under its current link: an attempt is reserved before the proof is checked
 * (lib/enrollment/attempts.ts); a wrong proof keeps it, and the fifth failure locks the ticket; a right one redeems
 * the ticket, writes the enrollment (and the credential's uniqueness item) and retires the recovery codes of the
 * user's other enrollments in one transaction, giving its attempt back.
 */
export async function finishEnrollment<P>(
  deps: FinishDeps,
  ticket: TicketRecord,
  proof: AttemptProof,
  factor: EnrollFactor<P>,
  factorProof: P,
  now: number,
  errors: FinishErrors,
): Promise<ConfirmedEnrollment> {
  await reserveAttempt(deps.enrollments, ticket.ticket_id, proof, now, errors.stale);
  const finished = await factor.finish(ticket, factorProof, { keys: deps.config.encryptionKeys, now, random: deps.random ?? randomBytes });
  if (!finished.ok) {
    const reason = finished.reason;
    if (reason) logger.warn('enrollment proof refused', { ticketId: ticket.ticket_id, reason });
    else logger.info('wrong enrollment code', { ticketId: ticket.ticket_id });
    return keepWrongAttempt(deps.enrollments, ticket, now, (remaining) => errors.wrong(remaining, reason));
  }

  const { enrollment, recoveryCode, credentialId } = finished;
  const enrollmentId = enrollment.enrollment_id;
  const redeemProof = (credentialId !== undefined ? { ...proof, credentialId } : proof) as RedeemProof;
  // Inside the redeem step: a failed read of the older codes gives the attempt back like a failed redeem.
  const result = await redeemOrRelease(deps.enrollments, ticket.ticket_id, now, async () =>
    deps.enrollments.redeem(ticket, redeemProof, enrollment, now, await deps.enrollments.recoveryCodeHolders(ticket.user_id)),
  );
  if (result.ok) {
    logger.info('enrollment confirmed', { ticketId: ticket.ticket_id, enrollmentId, factor: enrollment.factor });
    return { enrollment_id: enrollmentId, ...(recoveryCode ? { recovery_code: recoveryCode } : {}), redirect_url: ticket.result_url };
  }
  if (result.reason === 'already_enrolled') throw alreadyEnrolled();
  if (result.reason === 'credential_registered') throw credentialRegistered();
  if (result.reason === 'busy') throw new AppError(503, 'temporarily_unavailable', 'ticket: the ticket is being changed by another request; retry in a moment');
  if (!result.current) throw ticketNotFound();
  const status = effectiveStatus(result.current, now);
  if (status !== 'pending') throw ticketEnded(status);
  if (linkGeneration(result.current) !== proof.generation) throw ticketSuperseded();
  if (!errors.stillStarted?.(result.current)) throw errors.stale();
  throw conflict('ticket_changed', 'ticket: the ticket changed while confirming; start again');
}

export const credentialRegistered = () =>
  conflict('credential_already_registered', 'credential: this security key or passkey is already registered');

const wrongCode = (remaining: number) =>
  badRequest('invalid_code', `code: wrong code; ${remaining} attempt${remaining === 1 ? '' : 's'} left`, { attempts_remaining: remaining });
