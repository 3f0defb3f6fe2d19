import type { EnrollmentRecord } from '../enrollment/records';
import type { FactorName, LoginFactor } from './factor';
import { recoveryCodeFactor } from './recovery-code';
import { totpFactor } from './totp';
import { isWebauthnEnrollment, WEBAUTHN_FACTORS } from './webauthn';

export type { FactorMatch, FactorName, LoginFactor, MfaMethod, Spend } from './factor';

/** Every factor a login can use, in the order a challenge lists them. */
export const LOGIN_FACTORS: readonly LoginFactor[] = [totpFactor, recoveryCodeFactor];
export { recoveryCodeFactor, totpFactor };

/**
 * What the user can log in with (a challenge's `factors`): the code factors, then each kind of security key or
 * passkey they registered (checked by lib/factors/webauthn-ceremony.ts, which only the WebAuthn functions load).
 */
export function availableFactors(enrollments: readonly EnrollmentRecord[]): FactorName[] {
  const codes = LOGIN_FACTORS.filter((factor) => enrollments.some((e) => factor.usable(e))).map((factor) => factor.name);
  const keys = WEBAUTHN_FACTORS.filter((name) => enrollments.some((e) => isWebauthnEnrollment(e) && e.factor === name));
  return [...codes, ...keys];
}
