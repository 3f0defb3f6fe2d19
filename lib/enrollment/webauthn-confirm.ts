import type * as v from 'valibot';
import { webauthnConfig, type Config } from '../config';
import { badRequest, conflict } from '../errors';
import type { EnrollFactor } from '../factors/factor';
import type { RequestOrigin } from '../history/origin';
import type { WebauthnRegistration } from '../factors/webauthn/enroll';
import { isWebauthnFactor } from '../factors/webauthn/webauthn';
import { linkGeneration } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import type { AttemptStore } from './attempts';
import { credentialRegistered, finishEnrollment, type ConfirmedEnrollment } from './confirm';
import type { AttemptProof, EnrollmentStore } from './enrollment-store';
import type { webauthnRegistrationSchema } from './schemas';
import { requirePending, ticketForToken, unsupportedFactor } from './ticket-access';

export interface WebauthnConfirmDeps {
  tickets: Pick<TicketStore, 'get'>;
  enrollments: AttemptStore & Pick<EnrollmentStore, 'redeem' | 'recoveryCodeHolders'>;
  config: Pick<Config, 'signingKeys' | 'encryptionKeys' | 'webauthn'>;
  now: () => number;
  random?: (size: number) => Buffer;
  origin?: RequestOrigin;
}

/** 409: the ceremony answered a challenge that is no longer the ticket's (a later start, or it expired): start again. */
export const ceremonyExpired = () =>
  conflict('ceremony_expired', 'credential: this registration was started too long ago or replaced by a later one; start again');

export { credentialRegistered };

/**
 * `POST /enroll/webauthn`: checks the registration ceremony against the ticket's latest challenge and the configured
 * relying party, then redeems the ticket, stores the credential and its uniqueness item in one transaction (which
 * also spends the challenge). Like a TOTP code, a ceremony takes one of the ticket's attempts before it is verified
 * (lib/enrollment/attempts.ts): one that does not verify keeps it, a verified one gives it back (`finishEnrollment`).
 * `factor` verifies the ceremony and builds the enrollment (its handler passes lib/factors/webauthn/enroll.ts's).
 */
export async function confirmWebauthnEnrollment(
  deps: WebauthnConfirmDeps,
  input: v.InferOutput<typeof webauthnRegistrationSchema>,
  factor: EnrollFactor<WebauthnRegistration>,
): Promise<ConfirmedEnrollment> {
  webauthnConfig(deps.config); // no relying party configured: nothing to check a ceremony against
  const now = deps.now();
  const ticket = await ticketForToken(deps.tickets, input.ticket, deps.config.signingKeys);
  requirePending(ticket, now);
  if (!isWebauthnFactor(ticket.factor)) throw unsupportedFactor(ticket);
  // The link matched this generation; a challenge from an earlier one (before its recipient changed) is not this user's.
  const generation = linkGeneration(ticket);
  const pending = ticket.pending_webauthn;
  if (!pending || pending.expires_at <= now || (pending.generation ?? 0) !== generation) throw ceremonyExpired();

  const proof: AttemptProof = { kind: 'webauthn', challengeHash: pending.challenge_hash, generation };
  return finishEnrollment(deps, ticket, proof, factor, { credential: input.credential, name: input.name }, now, {
    stale: ceremonyExpired,
    wrong: (remaining, reason) =>
      badRequest('invalid_credential', `credential: the security key's answer did not verify (${reason})`, { attempts_remaining: remaining }),
  });
}
