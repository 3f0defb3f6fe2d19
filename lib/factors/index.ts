import type { EnrollmentRecord } from '../store/records';
import type { FactorName } from './factor';
import { CODE_FACTOR_USES } from './usable';
import { isWebauthnEnrollment, WEBAUTHN_FACTORS } from './webauthn/webauthn';

export type { FactorMatch, FactorName, LoginFactor, MfaMethod, Spend } from './factor';

// The checks themselves are imported from their modules (./totp/login, ./recovery-code/login, ./webauthn/ceremony) by the
// functions that check proofs: this entry point stays light enough for the challenge function.

/**
 * What the user can log in with (a challenge's `factors`): the code factors, then each kind of security key or
 * passkey they registered (checked by lib/factors/webauthn/ceremony.ts, which only the WebAuthn functions load).
 */
export function availableFactors(enrollments: readonly EnrollmentRecord[]): FactorName[] {
  const codes = CODE_FACTOR_USES.filter((factor) => enrollments.some((e) => factor.usable(e))).map((factor) => factor.name);
  const keys = WEBAUTHN_FACTORS.filter((name) => enrollments.some((e) => isWebauthnEnrollment(e) && e.factor === name));
  return [...codes, ...keys];
}
