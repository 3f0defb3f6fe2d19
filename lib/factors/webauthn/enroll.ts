import type { WebauthnConfig } from '../../config';
import { enrollmentKey, newEnrollmentId, type WebauthnEnrollmentRecord } from '../../store/records';
import type { EnrollFactor } from '../factor';
import { hashRecoveryCode, newRecoveryCode } from '../recovery-code/code';
import { CeremonyError, verifyRegistration } from './ceremony';
import { webauthnDescriptor } from './descriptor';
import type { RegistrationJson } from './schemas';
import { isWebauthnFactor, registrationNeedsUserVerification } from './webauthn';

/** What `POST /enroll/webauthn` proves with: the registration ceremony's answer, and the name the user gave it. */
export interface WebauthnRegistration {
  credential: RegistrationJson;
  name?: string;
}

/**
 * The finish of a security key's or passkey's enrollment: the registration ceremony checked against the ticket's
 * latest challenge (the flow checked it is still answerable) and the configured relying party. A ceremony that does
 * not verify is a wrong proof, with the reason for the answer.
 */
export function webauthnEnrollment(config: WebauthnConfig): EnrollFactor<WebauthnRegistration> {
  return {
    async finish(ticket, { credential: answer, name }, { keys, now, random }) {
      const factor = ticket.factor;
      const pending = ticket.pending_webauthn;
      if (!isWebauthnFactor(factor) || !pending) return { ok: false, reason: 'no pending ceremony' };
      let credential;
      try {
        credential = await verifyRegistration(answer, {
          challengeHash: pending.challenge_hash,
          config,
          requireUserVerification: registrationNeedsUserVerification(config, factor),
        });
      } catch (err) {
        if (!(err instanceof CeremonyError)) throw err;
        return { ok: false, reason: err.reason };
      }
      const enrollmentId = newEnrollmentId(random);
      const recoveryCode = newRecoveryCode(random);
      const enrollment: WebauthnEnrollmentRecord = {
        ...enrollmentKey(ticket.user_id, enrollmentId),
        type: 'enrollment',
        enrollment_id: enrollmentId,
        user_id: ticket.user_id,
        factor,
        status: 'confirmed',
        name: name ?? webauthnDescriptor.view!(factor).defaultName,
        ...credential,
        rp_id: config.rpId,
        recovery_code_hash: hashRecoveryCode(recoveryCode, { userId: ticket.user_id, enrollmentId }, keys),
        ticket_id: ticket.ticket_id,
        created_at: now,
      };
      return { ok: true, enrollment, recoveryCode, credentialId: credential.credential_id };
    },
  };
}
