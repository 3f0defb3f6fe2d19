import { createHash, randomBytes } from 'node:crypto';
import type { WebauthnConfig } from '../../config';
import type { EnrollmentRecord, WebauthnEnrollmentRecord, WebauthnFactor } from '../../store/records';

/**
 * Security keys (`webauthn-roaming`) and passkeys (`webauthn-platform`): what the flows need to know of them that
 * needs no WebAuthn library — the ceremony options, who can use which, the `amr` of a login. Checking a ceremony's
 * answer is lib/factors/webauthn/ceremony.ts, which only the functions that verify ceremonies import (docs/WEBAUTHN.md).
 */
export const WEBAUTHN_FACTORS = ['webauthn-roaming', 'webauthn-platform'] as const satisfies readonly WebauthnFactor[];

export const isWebauthnFactor = (factor: string): factor is WebauthnFactor => (WEBAUTHN_FACTORS as readonly string[]).includes(factor);

export const isWebauthnEnrollment = (enrollment: EnrollmentRecord): enrollment is WebauthnEnrollmentRecord =>
  isWebauthnFactor(enrollment.factor) && typeof (enrollment as WebauthnEnrollmentRecord).credential_id === 'string';

/** How long the browser prompt may stay open, and how long a registration challenge can be answered. */
export const CEREMONY_TIMEOUT_MS = 5 * 60_000;
/** COSE algorithms we ask for, in order of preference: ES256, EdDSA, RS256 (every authenticator offers one of them). */
export const ALGORITHMS = [-7, -8, -257] as const;

/** A fresh challenge: 256 random bits, base64url (what the browser signs over, inside clientDataJSON). */
export const newCeremonyChallenge = (random: (size: number) => Buffer = randomBytes) => random(32).toString('base64url');
/** What the table keeps of a challenge: its SHA-256, so a read of the ticket cannot answer the ceremony for anyone. */
export const challengeHash = (challenge: string) => createHash('sha256').update(challenge).digest('base64url');

/** The user handle authenticators store with a credential: opaque, derived from the user id, not the id itself. */
export const userHandle = (userId: string) => createHash('sha256').update(`mfa-user:${userId}`).digest().subarray(0, 32).toString('base64url');

export interface RegistrationOptionsInput {
  factor: WebauthnFactor;
  challenge: string;
  userId: string;
  /** Shown by the authenticator (account picker): the email when known. */
  userName: string;
  /** The user's credentials already registered: the browser refuses to register one of them again. */
  exclude: ReadonlyArray<Pick<WebauthnEnrollmentRecord, 'credential_id' | 'transports'>>;
}

/** `PublicKeyCredentialCreationOptionsJSON` for the browser (parseCreationOptionsFromJSON or @simplewebauthn/browser). */
export function registrationOptions(config: WebauthnConfig, input: RegistrationOptionsInput) {
  const platform = input.factor === 'webauthn-platform';
  return {
    rp: { id: config.rpId, name: config.rpName },
    user: { id: userHandle(input.userId), name: input.userName, displayName: input.userName },
    challenge: input.challenge,
    pubKeyCredParams: ALGORITHMS.map((alg) => ({ type: 'public-key' as const, alg })),
    timeout: CEREMONY_TIMEOUT_MS,
    excludeCredentials: input.exclude.map((c) => ({ type: 'public-key' as const, id: c.credential_id, transports: c.transports })),
    authenticatorSelection: platform
      ? { authenticatorAttachment: 'platform' as const, residentKey: 'required' as const, requireResidentKey: true, userVerification: 'required' as const }
      : { authenticatorAttachment: 'cross-platform' as const, residentKey: 'discouraged' as const, requireResidentKey: false, userVerification: config.userVerification },
    // Nothing is checked against a vendor's certificate chain: `none` needs no attestation parsing (and no network).
    attestation: 'none' as const,
  };
}
export type RegistrationOptions = ReturnType<typeof registrationOptions>;

/** Whether a registration for this factor must have verified the user (a passkey always; a key when configured). */
export const registrationNeedsUserVerification = (config: WebauthnConfig, factor: WebauthnFactor) =>
  factor === 'webauthn-platform' || config.userVerification === 'required';

/** `PublicKeyCredentialRequestOptionsJSON` for a login with any of the user's credentials. */
export function authenticationOptions(config: WebauthnConfig, challenge: string, credentials: readonly WebauthnEnrollmentRecord[]) {
  const anyPlatform = credentials.some((c) => c.factor === 'webauthn-platform');
  return {
    challenge,
    rpId: config.rpId,
    timeout: CEREMONY_TIMEOUT_MS,
    allowCredentials: credentials.map((c) => ({ type: 'public-key' as const, id: c.credential_id, transports: c.transports })),
    userVerification: anyPlatform ? ('required' as const) : config.userVerification,
  };
}

/**
 * RFC 8176 method references of a WebAuthn login: `hwk` for a key bound to one device, `swk` for a passkey that may
 * be synced (backup eligible); `user` when the authenticator verified the user (PIN or biometric).
 */
export function webauthnAmr(enrollment: Pick<WebauthnEnrollmentRecord, 'device_type'>, userVerified: boolean): string[] {
  return [enrollment.device_type === 'multiDevice' ? 'swk' : 'hwk', ...(userVerified ? ['user'] : [])];
}
