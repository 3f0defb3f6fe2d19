import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { enrollmentSecretContext, seal } from '../crypto/secret-box';
import { AppError, badRequest, conflict } from '../errors';
import type { RequestOrigin } from '../history/origin';
import { logger } from '../log';
import { effectiveStatus, linkGeneration, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { keepWrongAttempt, redeemOrRelease, reserveAttempt, type AttemptStore } from './attempts';
import type { EnrollFactor } from '../factors/factor';
import { filedEnrollmentOwner, type EnrollmentRecord } from '../store/records';
import type { AttemptProof, EnrollmentStore, RedeemProof } from './enrollment-store';
import { alreadyEnrolled, requirePending, ticketEnded, ticketForToken, ticketNotFound, ticketSuperseded } from './ticket-access';
import { invalidTransaction, transactionHash, verifyTransactionToken, type TransactionClaims } from './transaction-token';

export interface ConfirmDeps {
  tickets: Pick<TicketStore, 'get'>;
  enrollments: AttemptStore & Pick<EnrollmentStore, 'redeem' | 'recoveryCodeHolders'>;
  config: Pick<Config, 'signingKeys' | 'encryptionKeys'>;
  now: () => number;
  random?: (size: number) => Buffer;
  /** Where the request came from, kept on the items whose changes become events (lib/history/origin.ts). */
  origin?: RequestOrigin;
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
  const now = deps.now();
  return confirmTotpStart(deps, await openTransaction(deps, input, now), factor, input.code, now);
}

/**
 * Confirms whichever start the transaction is (the device protocol's verify-otp, one route for every factor): a start
 * through a factor's `begin` when it is the ticket's latest and `started` serves its factor, else a TOTP start
 * with `totp`, each under its own rules as above.
 */
export async function confirmAnyStart(
  deps: ConfirmDeps,
  input: ConfirmInput,
  started: Readonly<Partial<Record<string, EnrollFactor<string>>>>,
  totp: EnrollFactor<string>,
): Promise<ConfirmedEnrollment> {
  const now = deps.now();
  const opened = await openTransaction(deps, input, now);
  const start = opened.ticket.pending;
  const factor = start?.tx === opened.tx ? started[start.factor] : undefined;
  if (factor) return confirmBegunStart(deps, opened, factor, input.code, now);
  return confirmTotpStart(deps, opened, totp, input.code, now);
}

type OpenedTransaction = Awaited<ReturnType<typeof openTransaction>>;

function confirmTotpStart(deps: ConfirmDeps, { ticket, claims, tx }: OpenedTransaction, factor: EnrollFactor<string>, code: string, now: number) {
  const pending = ticket.pending_totp;
  if (!pending || pending.tx !== tx) throw transactionSuperseded();

  const proof: AttemptProof = { kind: 'totp', tx, generation: claims.generation };
  return finishEnrollment(deps, ticket, proof, factor, code, now, {
    stale: transactionSuperseded,
    wrong: wrongCode,
    stillStarted: (current) => current.pending_totp?.tx === tx,
  });
}

/**
 * The ticket and transaction of a request that continues a start: with the ticket token (the page), the ticket first,
 * so an ended ticket says so whatever transaction the page still holds; without it (the device protocol), the
 * transaction token is the only credential. Either way the ticket is pending and the transaction was started under
 * its current link (else 410 `ticket_superseded`: it belongs to the old recipient and never completes).
 */
export async function openTransaction(
  deps: Pick<ConfirmDeps, 'tickets' | 'config'>,
  input: { ticket?: string; transaction_token: string },
  now: number,
): Promise<{ ticket: TicketRecord; claims: TransactionClaims; tx: string }> {
  const { config } = deps;
  let ticket: TicketRecord | undefined;
  let claims: TransactionClaims;
  if (input.ticket !== undefined) {
    ticket = await ticketForToken(deps.tickets, input.ticket, config.signingKeys);
    requirePending(ticket, now);
    claims = await verifyTransactionToken(config.signingKeys, 'mfa-enrollment', input.transaction_token, now);
    if (ticket.ticket_id !== claims.sub) throw invalidTransaction();
  } else {
    claims = await verifyTransactionToken(config.signingKeys, 'mfa-enrollment', input.transaction_token, now);
    ticket = await deps.tickets.get(claims.sub);
    if (!ticket) throw ticketNotFound();
    requirePending(ticket, now);
  }
  if (claims.generation !== linkGeneration(ticket)) throw ticketSuperseded();
  return { ticket, claims, tx: transactionHash(claims.txid) };
}

/** The ticket's latest start through a factor's `begin` is this transaction's, for the ticket's factor (else 409). */
export function requireStart(ticket: TicketRecord, tx: string): void {
  if (ticket.pending?.tx !== tx || ticket.pending.factor !== ticket.factor) throw transactionSuperseded();
}

/**
 * Confirms a start made through its factor's `begin` (`POST /enroll/email/confirm`): the ticket's latest start must
 * be this transaction's; then the ticket's rules of `finishEnrollment` around `factor`'s finish, as for TOTP.
 */
export async function confirmStartedEnrollment<P>(
  deps: ConfirmDeps,
  input: { ticket: string; transaction_token: string },
  factor: EnrollFactor<P>,
  factorProof: P,
): Promise<ConfirmedEnrollment> {
  const now = deps.now();
  return confirmBegunStart(deps, await openTransaction(deps, input, now), factor, factorProof, now);
}

function confirmBegunStart<P>(deps: ConfirmDeps, { ticket, claims, tx }: OpenedTransaction, factor: EnrollFactor<P>, factorProof: P, now: number) {
  requireStart(ticket, tx);
  const proof: AttemptProof = { kind: 'pending', tx, generation: claims.generation };
  return finishEnrollment(deps, ticket, proof, factor, factorProof, now, {
    stale: transactionSuperseded,
    wrong: wrongCode,
    stillStarted: (current) => current.pending?.tx === tx,
  });
}

export interface FinishDeps {
  enrollments: AttemptStore & Pick<EnrollmentStore, 'redeem' | 'recoveryCodeHolders'>;
  config: Pick<Config, 'encryptionKeys'>;
  random?: (size: number) => Buffer;
  origin?: RequestOrigin;
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
    return keepWrongAttempt(deps.enrollments, ticket, now, (remaining) => errors.wrong(remaining, reason), deps.origin);
  }

  const { recoveryCode, credentialId } = finished;
  const enrollment = withTicketContact(finished.enrollment, ticket, deps.config.encryptionKeys);
  const enrollmentId = enrollment.enrollment_id;
  const redeemProof = (credentialId !== undefined ? { ...proof, credentialId } : proof) as RedeemProof;
  // Inside the redeem step: a failed read of the older codes gives the attempt back like a failed redeem.
  const result = await redeemOrRelease(deps.enrollments, ticket.ticket_id, now, async () =>
    deps.enrollments.redeem(ticket, redeemProof, enrollment, now, await deps.enrollments.recoveryCodeHolders(ticket.user_id), deps.origin),
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

/** 400 `invalid_code`; `reason`, when the factor gave one, says why the code is refused (e.g. it expired). */
const wrongCode = (remaining: number, reason?: string) =>
  badRequest('invalid_code', `code: ${reason ?? 'wrong code'}; ${remaining} attempt${remaining === 1 ? '' : 's'} left`, { attempts_remaining: remaining });

/**
 * The enrollment with its ticket's address and language kept on it (`contact_email` sealed under the enrollment's
 * own context): tickets are swept after they end, and security notifications still need to know where to write.
 */
function withTicketContact<E extends EnrollmentRecord>(
  enrollment: E,
  ticket: Pick<TicketRecord, 'email' | 'email_locale'>,
  keys: Config['encryptionKeys'],
): E {
  const owner = filedEnrollmentOwner(enrollment);
  // A fresh IV always (not an injected `random`): the same key may have just sealed this enrollment's own secret.
  const sealed = ticket.email ? seal(Buffer.from(ticket.email, 'utf8'), keys, enrollmentSecretContext(owner.userId, owner.enrollmentId)) : undefined;
  return {
    ...enrollment,
    ...(sealed ? { contact_email: sealed } : {}),
    ...(ticket.email_locale ? { contact_locale: ticket.email_locale } : {}),
  };
}
