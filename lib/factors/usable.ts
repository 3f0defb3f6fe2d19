import type { EnrollmentRecord } from '../store/records';
import type { FactorName } from './factor';

/**
 * Which enrollments each code factor can use: all a challenge needs to list a user's factors. Kept apart from the
 * factors' checks (lib/factors/totp/login.ts, recovery-code/login.ts build on these), so the challenge function does not bundle
 * what checks a proof (otpauth: its module has top-level statements, so esbuild keeps it whole once imported).
 */
export interface FactorUse {
  name: FactorName;
  /** Whether this enrollment can be used with this factor (for a challenge's `factors`). */
  usable(enrollment: EnrollmentRecord): boolean;
}

export const totpUse: FactorUse = { name: 'otp', usable: (enrollment) => enrollment.factor === 'otp' && typeof enrollment.totp_secret === 'string' };
export const recoveryCodeUse: FactorUse = { name: 'recovery-code', usable: (enrollment) => typeof enrollment.recovery_code_hash === 'string' };

/** The code factors a login can use, in the order a challenge lists them. */
export const CODE_FACTOR_USES: readonly FactorUse[] = [totpUse, recoveryCodeUse];
