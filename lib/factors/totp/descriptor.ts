import type { EnrollmentRecord } from '../../store/records';
import type { FactorDescriptor } from '../factor';

/**
 * An authenticator app (TOTP), as the registry lists it: no check of a code here (lib/factors/totp/login.ts), so the
 * challenge function does not bundle otpauth (its module has top-level statements, so esbuild keeps it whole once
 * imported).
 */
export const totpDescriptor: FactorDescriptor = {
  name: 'otp',
  method: 'totp',
  amr: ['otp'],
  phishingResistant: false,
  usable: (enrollment: EnrollmentRecord) => enrollment.factor === 'otp' && typeof enrollment.totp_secret === 'string',
  enrolls: ['otp'],
  sealed: ['totp_secret'],
  view: () => ({ type: 'authenticator', auth_method: 'authenticator', defaultName: 'Authenticator app' }),
};
