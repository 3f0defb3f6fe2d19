import { webauthnConfig, type Config, type WebauthnConfig } from '../../config';
import { logger } from '../../log';
import type { LoginFactor } from '../factor';
import { CeremonyError, verifyAssertion } from './ceremony';
import { webauthnDescriptor } from './descriptor';
import { loginCeremonyChallenge } from './prompt';
import type { AssertionJson } from './schemas';
import { challengeHash, isWebauthnEnrollment, webauthnAmr } from './webauthn';

/**
 * A security key or passkey as a login factor, for one login's WebAuthn challenge, checked through lib/mfa/login.ts
 * `login` like any proof: only once an attempt is reserved on the challenge and the user's budget. A wrong, replayed
 * or foreign assertion is refused like a wrong code (its attempt stays spent). The counter must move
 * forward — except 0 → 0, what synced passkeys always send — and the write that accepts the login moves it only
 * from the value this check saw; a counter that goes backwards is refused and logged as a possible cloned key.
 */
export function webauthnLoginFactor(config: WebauthnConfig, expectedChallengeHash: string): LoginFactor<AssertionJson> {
  return {
    ...webauthnDescriptor,
    verify(enrollments, assertion) {
      const enrollment = enrollments.filter(isWebauthnEnrollment).find((e) => e.credential_id === assertion.id);
      if (!enrollment) return undefined;
      const requireUserVerification = enrollment.factor === 'webauthn-platform' || config.userVerification === 'required';
      let verified;
      try {
        verified = verifyAssertion(assertion, enrollment, { challengeHash: expectedChallengeHash, config, requireUserVerification });
      } catch (err) {
        if (!(err instanceof CeremonyError)) throw err;
        logger.warn('webauthn assertion refused', { enrollmentId: enrollment.enrollment_id, reason: err.reason });
        return undefined;
      }
      const seen = enrollment.sign_count;
      if (!(verified.signCount === 0 && seen === 0) && verified.signCount <= seen) {
        logger.warn('webauthn counter went backwards: possible cloned authenticator', {
          enrollmentId: enrollment.enrollment_id,
          storedCount: seen,
          reportedCount: verified.signCount,
        });
        return undefined;
      }
      return {
        method: 'webauthn',
        enrollment,
        spend: { kind: 'webauthn-counter', seen, next: verified.signCount },
        amr: webauthnAmr(enrollment, verified.userVerified),
      };
    },
  };
}

/** The factor for one login (`POST /mfa/webauthn`): the assertion must answer that login's ceremony challenge. */
export function webauthnLoginFor(config: Pick<Config, 'signingKeys' | 'webauthn'>, challengeId: string): LoginFactor<AssertionJson> {
  return webauthnLoginFactor(webauthnConfig(config), challengeHash(loginCeremonyChallenge(config.signingKeys, challengeId)));
}
