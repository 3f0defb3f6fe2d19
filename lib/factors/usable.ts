import type { EnrollmentRecord } from '../enrollment/records';
import type { FactorName } from './factor';

/**
 * Which enrollments each code factor can use: all a challenge needs to list a user's factors. Kept apart from the
 * factors' checks (lib/factors/totp.ts, recovery-code.ts use these), so the challenge function does not bundle what
 * checks a proof (otpauth: its module has top-level statements, so esbuild keeps it whole once imported).
 */
export const usableForTotp = (enrollment: EnrollmentRecord): boolean => enrollment.factor === 'otp' && typeof enrollment.totp_secret === 'string';
export const usableForRecoveryCode = (enrollment: EnrollmentRecord): boolean => typeof enrollment.recovery_code_hash === 'string';

/** The code factors a login can use, in the order a challenge lists them. */
export const CODE_FACTOR_USES: ReadonlyArray<{ name: FactorName; usable: (enrollment: EnrollmentRecord) => boolean }> = [
  { name: 'otp', usable: usableForTotp },
  { name: 'recovery-code', usable: usableForRecoveryCode },
];
