import { randomBytes } from 'node:crypto';
import type * as v from 'valibot';
import { webauthnConfig, type Config } from '../config';
import { AppError, badRequest, conflict } from '../errors';
import { registrationNeedsUserVerification, isWebauthnFactor } from '../factors/webauthn/webauthn';
import { CeremonyError, verifyRegistration } from '../factors/webauthn/ceremony';
import { logger } from '../log';
import { effectiveStatus, linkGeneration } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { keepWrongAttempt, redeemOrRelease, reserveAttempt, type AttemptStore } from './attempts';
import type { AttemptProof, EnrollmentStore } from './enrollment-store';
import { enrollmentKey, newEnrollmentId, type WebauthnEnrollmentRecord } from '../store/records';
import { hashRecoveryCode, newRecoveryCode } from '../factors/recovery-code/code';
import type { webauthnRegistrationSchema } from './schemas';
import { alreadyEnrolled, requirePending, ticketEnded, ticketForToken, ticketNotFound, ticketSuperseded, unsupportedFactor } from './ticket-access';

export interface WebauthnConfirmDeps {
  tickets: Pick<TicketStore, 'get'>;
  enrollments: AttemptStore & Pick<EnrollmentStore, 'redeem' | 'recoveryCodeHolders'>;
  config: Pick<Config, 'signingKeys' | 'encryptionKeys' | 'webauthn'>;
  now: () => number;
  random?: (size: number) => Buffer;
}

/** 409: the ceremony answered a challenge that is no longer the ticket's (a later start, or it expired): start again. */
export const ceremonyExpired = () =>
  conflict('ceremony_expired', 'credential: this registration was started too long ago or replaced by a later one; start again');

export const credentialRegistered = () =>
  conflict('credential_already_registered', 'credential: this security key or passkey is already registered');

const DEFAULT_NAME = { 'webauthn-roaming': 'Security key', 'webauthn-platform': 'Passkey' } as const;

/**
 * `POST /enroll/webauthn`: checks the registration ceremony against the ticket's latest challenge and the configured
 * relying party, then redeems the ticket, stores the credential and its uniqueness item in one transaction (which
 * also spends the challenge). Like a TOTP code, a ceremony takes one of the ticket's attempts before it is verified
 * (lib/enrollment/attempts.ts): one that does not verify keeps it, a verified one gives it back.
 */
export async function confirmWebauthnEnrollment(
  deps: WebauthnConfirmDeps,
  input: v.InferOutput<typeof webauthnRegistrationSchema>,
): Promise<{ enrollment_id: string; recovery_code: string; redirect_url?: string }> {
  const config = webauthnConfig(deps.config);
  const now = deps.now();
  const ticket = await ticketForToken(deps.tickets, input.ticket, deps.config.signingKeys);
  requirePending(ticket, now);
  const factor = ticket.factor;
  if (!isWebauthnFactor(factor)) throw unsupportedFactor(ticket);
  // The link matched this generation; a challenge from an earlier one (before its recipient changed) is not this user's.
  const generation = linkGeneration(ticket);
  const pending = ticket.pending_webauthn;
  if (!pending || pending.expires_at <= now || (pending.generation ?? 0) !== generation) throw ceremonyExpired();

  const proof: AttemptProof = { kind: 'webauthn', challengeHash: pending.challenge_hash, generation };
  const attempts = await reserveAttempt(deps.enrollments, ticket.ticket_id, proof, now, ceremonyExpired);
  let credential;
  try {
    credential = await verifyRegistration(input.credential, {
      challengeHash: pending.challenge_hash,
      config,
      requireUserVerification: registrationNeedsUserVerification(config, factor),
    });
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    logger.warn('webauthn registration refused', { ticketId: ticket.ticket_id, reason: err.reason });
    const reason = err.reason;
    return keepWrongAttempt(deps.enrollments, ticket, attempts, now, (remaining) =>
      badRequest('invalid_credential', `credential: the security key's answer did not verify (${reason})`, { attempts_remaining: remaining }),
    );
  }

  const random = deps.random ?? randomBytes;
  const enrollmentId = newEnrollmentId(random);
  const recoveryCode = newRecoveryCode(random);
  const enrollment: WebauthnEnrollmentRecord = {
    ...enrollmentKey(ticket.user_id, enrollmentId),
    type: 'enrollment',
    enrollment_id: enrollmentId,
    user_id: ticket.user_id,
    factor,
    status: 'confirmed',
    name: input.name ?? DEFAULT_NAME[factor],
    ...credential,
    rp_id: config.rpId,
    recovery_code_hash: hashRecoveryCode(recoveryCode, { userId: ticket.user_id, enrollmentId }, deps.config.encryptionKeys!),
    ticket_id: ticket.ticket_id,
    created_at: now,
  };
  const retired = await deps.enrollments.recoveryCodeHolders(ticket.user_id);
  const result = await redeemOrRelease(deps.enrollments, ticket.ticket_id, now, () =>
    deps.enrollments.redeem(ticket, { ...proof, credentialId: credential.credential_id }, enrollment, now, retired),
  );
  if (result.ok) {
    logger.info('enrollment confirmed', { ticketId: ticket.ticket_id, enrollmentId, factor });
    return { enrollment_id: enrollmentId, recovery_code: recoveryCode, redirect_url: ticket.result_url };
  }
  if (result.reason === 'already_enrolled') throw alreadyEnrolled();
  if (result.reason === 'credential_registered') throw credentialRegistered();
  if (result.reason === 'busy') throw new AppError(503, 'temporarily_unavailable', 'ticket: the ticket is being changed by another request; retry in a moment');
  if (!result.current) throw ticketNotFound();
  const status = effectiveStatus(result.current, now);
  if (status !== 'pending') throw ticketEnded(status);
  if (linkGeneration(result.current) !== generation) throw ticketSuperseded();
  throw ceremonyExpired();
}
