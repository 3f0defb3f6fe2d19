import type { EnrollmentRecord } from '../enrollment/records';
import type { FactorName, LoginFactor } from './factor';
import { recoveryCodeFactor } from './recovery-code';
import { totpFactor } from './totp';

export type { FactorMatch, FactorName, LoginFactor, MfaMethod, Spend } from './factor';

/** Every factor a login can use, in the order a challenge lists them. */
export const LOGIN_FACTORS: readonly LoginFactor[] = [totpFactor, recoveryCodeFactor];
export { recoveryCodeFactor, totpFactor };

/** What the user can log in with (a challenge's `factors`). */
export function availableFactors(enrollments: readonly EnrollmentRecord[]): FactorName[] {
  return LOGIN_FACTORS.filter((factor) => enrollments.some((e) => factor.usable(e))).map((factor) => factor.name);
}
