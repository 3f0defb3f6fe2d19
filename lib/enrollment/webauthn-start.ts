import { randomBytes } from 'node:crypto';
import type * as v from 'valibot';
import { webauthnConfig, type Config } from '../config';
import { logger } from '../log';
import { linkGeneration, MAX_ATTEMPTS, type TicketRecord } from '../tickets/ticket';
import {
  CEREMONY_TIMEOUT_MS,
  challengeHash,
  isWebauthnFactor,
  newCeremonyChallenge,
  registrationOptions,
  type RegistrationOptions,
} from '../factors/webauthn/webauthn';
import type { EnrollmentStore } from './enrollment-store';
import type { PendingWebauthn, WebauthnFactor } from '../store/records';
import type { startEnrollmentSchema } from './schemas';
import { withQrCode, type StartedEnrollment } from '../factors/totp/qr-code';
import { accountName, beginEnrollment, openTicketToStart, startRefused, startTotp, unsupportedFactor, type StartDeps, type StartedWithFactor } from './start';
import type { EnrollFactors } from '../factors/factor';

export interface StartedWebauthnEnrollment {
  factor: WebauthnFactor;
  /** `PublicKeyCredentialCreationOptionsJSON`: hand it to the browser as it is. */
  public_key: RegistrationOptions;
  attempts_remaining: number;
  expires_at: string;
}

export type PageStartDeps = StartDeps & {
  config: StartDeps['config'] & Pick<Config, 'webauthn'>;
  enrollments: Pick<EnrollmentStore, 'setPendingTotp' | 'setPendingWebauthn' | 'setPendingStart' | 'webauthnCredentials'>;
};

/** A little longer than the browser prompt may stay open, so an answer given at the prompt's last second still counts. */
const CHALLENGE_TTL_MS = CEREMONY_TIMEOUT_MS + 60_000;

/**
 * `POST /enroll/start` on the hosted page: a TOTP ticket starts as before (lib/enrollment/start.ts); a security-key or
 * passkey ticket gets registration options with a fresh challenge, stored (hashed, with its own expiry) on the
 * ticket, replacing any earlier start's; a ticket whose factor is among `factors` (the handler's) starts through that
 * factor's `begin`. Nothing here verifies a ceremony, so this path loads no WebAuthn library.
 */
export async function startPageEnrollment<Offer extends object = never>(
  deps: PageStartDeps,
  input: v.InferOutput<typeof startEnrollmentSchema>,
  factors: EnrollFactors<Offer> = {},
): Promise<StartedEnrollment | StartedWebauthnEnrollment | StartedWithFactor<Offer>> {
  const now = deps.now();
  const ticket = await openTicketToStart(deps, input.ticket, now);
  const factor = factors[ticket.factor];
  if (factor?.begin) return beginEnrollment(deps, ticket, factor, now);
  if (ticket.factor === 'otp') return withQrCode(await startTotp(deps, ticket, now, {}));
  if (!isWebauthnFactor(ticket.factor)) throw unsupportedFactor(ticket);
  return startWebauthn(deps, ticket, ticket.factor, now);
}

async function startWebauthn(deps: PageStartDeps, ticket: TicketRecord, factor: WebauthnFactor, now: number): Promise<StartedWebauthnEnrollment> {
  const config = webauthnConfig(deps.config);
  const challenge = newCeremonyChallenge(deps.random ?? randomBytes);
  const pending: PendingWebauthn & { generation: number } = {
    challenge_hash: challengeHash(challenge),
    started_at: now,
    expires_at: Math.min(now + CHALLENGE_TTL_MS, ticket.expires_at),
    generation: linkGeneration(ticket),
  };
  const [stored, exclude] = await Promise.all([
    deps.enrollments.setPendingWebauthn(ticket.ticket_id, pending, now),
    deps.enrollments.webauthnCredentials(ticket.user_id),
  ]);
  if (!stored.ok) startRefused(stored, ticket, now);
  logger.info('webauthn registration started', { ticketId: ticket.ticket_id, factor, replaced: ticket.pending_webauthn !== undefined });
  return {
    factor,
    public_key: registrationOptions(config, {
      factor,
      challenge,
      userId: ticket.user_id,
      userName: accountName(ticket, 'email'),
      exclude,
    }),
    attempts_remaining: Math.max(0, MAX_ATTEMPTS - ticket.attempts),
    expires_at: new Date(ticket.expires_at).toISOString(),
  };
}
