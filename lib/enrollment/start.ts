import { randomBytes } from 'node:crypto';
import type * as v from 'valibot';
import type { Config } from '../config';
import { logger } from '../log';
import { effectiveStatus, linkGeneration, MAX_ATTEMPTS, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import type { EnrollmentStore } from './enrollment-store';
import { newEnrollmentId, pendingSecretContext, type PendingTotp } from '../store/records';
import { hashRecoveryCode, newRecoveryCode } from '../factors/recovery-code/code';
import type { startEnrollmentSchema } from './schemas';
import { seal } from '../crypto/secret-box';
import { alreadyEnrolled, requirePending, ticketEnded, ticketForToken, ticketNotFound, ticketSuperseded, unsupportedFactor } from './ticket-access';

export { unsupportedFactor };
import type { StartedTotp } from '../factors/totp/enroll';
import { base32, newTotpSecret, otpauthUri, TOTP_PARAMS } from '../factors/totp/totp';

export type { StartedTotp };
import { issueTransactionToken, newTransactionId, transactionHash } from './transaction-token';
import type { EnrollFactor } from '../factors/factor';
import type { PendingStart } from '../store/records';

export interface StartDeps {
  tickets: Pick<TicketStore, 'get' | 'enrollmentCount'>;
  enrollments: Pick<EnrollmentStore, 'setPendingTotp'>;
  config: Pick<Config, 'signingKeys' | 'encryptionKeys' | 'enrollment'>;
  now: () => number;
  random?: (size: number) => Buffer;
}

export function accountName(ticket: Pick<TicketRecord, 'email' | 'user_id'>, label: Config['enrollment']['totpLabel']): string {
  return label === 'email' && ticket.email ? ticket.email : ticket.user_id;
}

export interface StartOptions {
  /**
   * Also fix the enrollment id and recovery code now, and return them: the vendor's device protocol hands both to
   * the client at start (it shows the recovery code once the code is accepted). Only their hash is stored.
   */
  issueRecoveryCode?: boolean;
}

/**
 * Starts enrolling (`POST /enroll/start`, the device API's `start-flow`): every call offers a NEW TOTP secret bound to
 * a new transaction, replacing any earlier start's, and returns the transaction token that alone can confirm it. So a
 * mail scanner or URL sandbox that runs the page before the user learns a secret that is never enrolled, and the user
 * who starts afterwards gets one nobody else has seen. It never redeems anything.
 */
export async function startEnrollment(
  deps: StartDeps,
  input: v.InferOutput<typeof startEnrollmentSchema>,
  options: StartOptions = {},
): Promise<StartedTotp> {
  const now = deps.now();
  const ticket = await openTicketToStart(deps, input.ticket, now);
  if (ticket.factor !== 'otp') throw unsupportedFactor(ticket);
  return startTotp(deps, ticket, now, options);
}


/** The ticket of a start: the token's, pending, and (unless it allows more) for a user with no enrollment yet. */
export async function openTicketToStart(deps: Pick<StartDeps, 'tickets' | 'config'>, token: string, now: number): Promise<TicketRecord> {
  const ticket = await ticketForToken(deps.tickets, token, deps.config.signingKeys);
  requirePending(ticket, now);
  if (!ticket.allow_multiple_enrollments && (await deps.tickets.enrollmentCount(ticket.user_id)) > 0) throw alreadyEnrolled();
  return ticket;
}

/** Turns a refused write on a pending ticket (as `seen` when the start began) into the answer that says why. */
export function startRefused(stored: { ok: false; current: TicketRecord | undefined }, seen: TicketRecord, now: number): never {
  if (!stored.current) throw ticketNotFound();
  const status = effectiveStatus(stored.current, now);
  if (status !== 'pending') throw ticketEnded(status);
  // The recipient changed since the link was checked: this link is no longer the ticket's.
  if (linkGeneration(stored.current) !== linkGeneration(seen)) throw ticketSuperseded();
  throw ticketEnded('locked');
}

export async function startTotp(deps: StartDeps, ticket: TicketRecord, now: number, options: StartOptions): Promise<StartedTotp> {
  const { config } = deps;
  const random = deps.random ?? randomBytes;

  const txid = newTransactionId(random);
  const tx = transactionHash(txid);
  const generation = linkGeneration(ticket);
  const secret = newTotpSecret(random);
  const enrollmentId = options.issueRecoveryCode ? newEnrollmentId(random) : undefined;
  const recoveryCode = options.issueRecoveryCode ? newRecoveryCode(random) : undefined;
  const pending: PendingTotp & { generation: number } = {
    tx,
    secret: seal(secret, config.encryptionKeys, pendingSecretContext(ticket.ticket_id, tx), random),
    started_at: now,
    generation,
    ...(enrollmentId && recoveryCode ? { enrollment_id: enrollmentId, recovery_code_hash: hashRecoveryCode(recoveryCode, { userId: ticket.user_id, enrollmentId }, config.encryptionKeys) } : {}),
  };
  const stored = await deps.enrollments.setPendingTotp(ticket.ticket_id, pending, now);
  if (!stored.ok) startRefused(stored, ticket, now);
  const transaction = await issueTransactionToken(config.signingKeys, 'mfa-enrollment', { txid, sub: ticket.ticket_id, generation, notAfter: ticket.expires_at }, now);
  logger.info('enrollment started', { ticketId: ticket.ticket_id, replaced: ticket.pending_totp !== undefined });

  const issuer = config.enrollment.totpIssuer;
  const label = accountName(ticket, config.enrollment.totpLabel);
  const uri = otpauthUri(secret, issuer, label);
  return {
    factor: 'otp',
    transaction_token: transaction.token,
    transaction_expires_at: new Date(transaction.expiresAt).toISOString(),
    txid,
    secret: base32(secret),
    otpauth_uri: uri,
    issuer,
    account_name: label,
    algorithm: TOTP_PARAMS.algorithm,
    digits: TOTP_PARAMS.digits,
    period: TOTP_PARAMS.period,
    attempts_remaining: Math.max(0, MAX_ATTEMPTS - ticket.attempts),
    expires_at: new Date(ticket.expires_at).toISOString(),
    ...(enrollmentId && recoveryCode ? { enrollment_id: enrollmentId, recovery_code: recoveryCode } : {}),
  };
}

/** What a start through a factor's `begin` answers: the flow's fields, then the factor's offer. */
export type StartedWithFactor<Offer extends object = object> = {
  factor: string;
  /** The per-start handle: only it can take a code for this start or confirm it. Kept in memory by the page. */
  transaction_token: string;
  transaction_expires_at: string;
  attempts_remaining: number;
  expires_at: string;
} & Offer;

export type BeginDeps = Pick<StartDeps, 'config' | 'random'> & { enrollments: Pick<EnrollmentStore, 'setPendingStart'> };

/**
 * Starts enrolling a factor that begins through its `begin` (lib/factors/factor.ts): a new transaction, the factor's
 * pending data stored with it on the ticket (`pending`, replacing any earlier start of any factor), and the
 * transaction token. Like every start it writes only the pending state: nothing is sent, nothing redeemed, so a link
 * scanner that runs the page gets a transaction no one uses.
 */
export async function beginEnrollment<Offer extends object>(
  deps: BeginDeps,
  ticket: TicketRecord,
  factor: Pick<EnrollFactor<never, Offer>, 'begin'>,
  now: number,
  options: StartOptions = {},
): Promise<StartedWithFactor<Offer> & PromisedEnrollment> {
  const random = deps.random ?? randomBytes;
  const txid = newTransactionId(random);
  const tx = transactionHash(txid);
  const generation = linkGeneration(ticket);
  const begun = factor.begin!(ticket, { tx, now, random });
  const promised = options.issueRecoveryCode ? promiseEnrollment(ticket, deps.config.encryptionKeys, random) : undefined;
  const pending: PendingStart = { ...begun.pending, ...promised?.pending, factor: ticket.factor, tx, generation, started_at: now };
  const stored = await deps.enrollments.setPendingStart(ticket.ticket_id, pending, now);
  if (!stored.ok) startRefused(stored, ticket, now);
  const transaction = await issueTransactionToken(deps.config.signingKeys, 'mfa-enrollment', { txid, sub: ticket.ticket_id, generation, notAfter: ticket.expires_at }, now);
  logger.info('enrollment started', { ticketId: ticket.ticket_id, factor: ticket.factor, replaced: ticket.pending !== undefined });
  return {
    factor: ticket.factor,
    transaction_token: transaction.token,
    transaction_expires_at: new Date(transaction.expiresAt).toISOString(),
    attempts_remaining: Math.max(0, MAX_ATTEMPTS - ticket.attempts),
    expires_at: new Date(ticket.expires_at).toISOString(),
    ...begun.offer,
    ...(promised ? { txid, ...promised.answer } : {}),
  };
}

/** With `issueRecoveryCode`: the transaction id and what the start promised (the device protocol echoes and shows them). */
export interface PromisedEnrollment {
  txid?: string;
  enrollment_id?: string;
  recovery_code?: string;
}

/**
 * The enrollment id and recovery code a start hands out before the proof (the device protocol shows the code once the
 * proof is accepted): kept on the pending start as the id and the code's hash, which the finish then uses.
 */
function promiseEnrollment(ticket: TicketRecord, keys: Config['encryptionKeys'], random: (size: number) => Buffer) {
  const enrollmentId = newEnrollmentId(random);
  const recoveryCode = newRecoveryCode(random);
  return {
    pending: { enrollment_id: enrollmentId, recovery_code_hash: hashRecoveryCode(recoveryCode, { userId: ticket.user_id, enrollmentId }, keys) },
    answer: { enrollment_id: enrollmentId, recovery_code: recoveryCode },
  };
}
