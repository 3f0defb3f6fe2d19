import type { FactorDescriptor } from '../factor';

/**
 * The one-time recovery code every first enrollment comes with: it rides on the enrollment of another factor (its
 * `recovery_code_hash`), so no ticket enrolls it on its own and the admin list has no row of its own for it.
 */
export const recoveryCodeDescriptor: FactorDescriptor = {
  name: 'recovery-code',
  method: 'recovery-code',
  // RFC 8176 has no value for look-up secrets; it is a one-time code, and `mfa_method` tells the two apart.
  amr: ['otp'],
  phishingResistant: false,
  usable: (enrollment) => typeof enrollment.recovery_code_hash === 'string',
  enrolls: [],
};
