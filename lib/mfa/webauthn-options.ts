import { createHmac, hkdfSync } from 'node:crypto';
import { webauthnConfig, type Config, type KeyRing } from '../config';
import type { EnrollmentRecord, WebauthnEnrollmentRecord } from '../store/records';
import { authenticationOptions, isWebauthnEnrollment } from '../factors/webauthn/webauthn';
import { notEnrolled } from './errors';
import { openChallenge, type OpenChallengeDeps } from './login';
import type { MfaStore } from './mfa-store';
import type { ChallengeRecord } from './challenge';

/**
 * The WebAuthn challenge of a login is derived from the MFA challenge (HMAC under a subkey of the current
 * TICKET_SIGNING_KEYS key): unpredictable without the key, the same for every prompt of that login, and spent when the
 * MFA challenge is accepted, by the same conditional write (so an assertion cannot be replayed, not even on its own
 * login). Opening the page or asking for options therefore writes nothing.
 */
const INFO = 'mfa-webauthn-login-challenge';
export function loginCeremonyChallenge(keys: KeyRing, challengeId: string): string {
  const subkey = Buffer.from(hkdfSync('sha256', keys.current.secret, Buffer.alloc(0), INFO, 32));
  return createHmac('sha256', subkey).update(challengeId).digest('base64url');
}

export const webauthnCredentialsOf = (enrollments: readonly EnrollmentRecord[]): WebauthnEnrollmentRecord[] => enrollments.filter(isWebauthnEnrollment);

export interface WebauthnOptionsDeps extends OpenChallengeDeps {
  store: Pick<MfaStore, 'getChallenge' | 'loadUser'>;
  config: OpenChallengeDeps['config'] & Pick<Config, 'webauthn'>;
}

/**
 * `POST /mfa/webauthn/options` `{ request_token }`: `PublicKeyCredentialRequestOptionsJSON` for the user's security
 * keys and passkeys. 409 `not_enrolled` when they have none; the challenge errors of lib/mfa/login.ts otherwise.
 */
export async function webauthnLoginOptions(deps: WebauthnOptionsDeps, requestToken: string) {
  const config = webauthnConfig(deps.config);
  const challenge: ChallengeRecord = await openChallenge(deps, requestToken);
  const credentials = webauthnCredentialsOf((await deps.store.loadUser(challenge.user_id)).enrollments);
  if (credentials.length === 0) throw notEnrolled(challenge.user_id);
  return { public_key: authenticationOptions(config, loginCeremonyChallenge(deps.config.signingKeys, challenge.challenge_id), credentials) };
}
