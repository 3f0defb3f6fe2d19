import { createHmac, hkdfSync } from 'node:crypto';
import { webauthnConfig, type Config, type KeyRing } from '../../config';
import type { EnrollmentRecord, WebauthnEnrollmentRecord } from '../../store/records';
import type { PromptFactor } from '../factor';
import { authenticationOptions, isWebauthnEnrollment } from './webauthn';

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

/**
 * The prompt of a login (`POST /mfa/webauthn/options`): `PublicKeyCredentialRequestOptionsJSON` for the user's
 * security keys and passkeys, under this login's ceremony challenge; none when they have no key. Loads no WebAuthn
 * library (docs/WEBAUTHN.md).
 */
export function webauthnPrompt(config: Pick<Config, 'signingKeys' | 'webauthn'>): PromptFactor<{ public_key: ReturnType<typeof authenticationOptions> }> {
  const rp = webauthnConfig(config);
  return {
    method: 'webauthn',
    prompt(enrollments, { challengeId }) {
      const credentials = webauthnCredentialsOf(enrollments);
      if (credentials.length === 0) return undefined;
      return { public_key: authenticationOptions(rp, loginCeremonyChallenge(config.signingKeys, challengeId), credentials) };
    },
  };
}
