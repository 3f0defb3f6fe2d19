import { webauthnConfig, type Config, type WebauthnConfig } from '../config';
import { isWebauthnEnrollment, webauthnAmr, challengeHash } from '../factors/webauthn/webauthn';
import { CeremonyError, verifyAssertion } from '../factors/webauthn/ceremony';
import type { AssertionJson } from '../factors/webauthn/schemas';
import type { LoginFactor } from '../factors';
import { logger } from '../log';
import type { ChallengeRecord } from './challenge';
import { login, type LoginDeps, type LoginSuccess } from './login';
import { loginCeremonyChallenge } from './webauthn-options';

/**
 * A security key or passkey as a login factor, for one login's WebAuthn challenge, checked through lib/mfa/login.ts
 * `login` like any proof: only once an attempt is reserved on the challenge and the user's budget. A wrong, replayed
 * or foreign assertion is refused like a wrong code (its attempt stays spent). The counter must move
 * forward — except 0 → 0, what synced passkeys always send — and the write that accepts the login moves it only
 * from the value this check saw; a counter that goes backwards is refused and logged as a possible cloned key.
 */
export function webauthnLoginFactor(config: WebauthnConfig, expectedChallengeHash: string): LoginFactor<AssertionJson> {
  return {
    name: 'webauthn-roaming',
    method: 'webauthn',
    amr: ['hwk'],
    usable: isWebauthnEnrollment,
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

export type WebauthnLoginDeps = LoginDeps & { config: LoginDeps['config'] & Pick<Config, 'webauthn'> };

/** `POST /mfa/webauthn` `{ request_token, credential }`: the assertion proves the login; the answer is lib/mfa/login.ts's. */
export function verifyLoginWebauthn(deps: WebauthnLoginDeps, challenge: ChallengeRecord, assertion: AssertionJson): Promise<LoginSuccess> {
  const config = webauthnConfig(deps.config);
  const expected = challengeHash(loginCeremonyChallenge(deps.config.signingKeys, challenge.challenge_id));
  return login(deps, challenge, webauthnLoginFactor(config, expected), assertion);
}
