import type { EnrollmentRecord } from '../../store/records';
import type { FactorDescriptor } from '../factor';

/**
 * Codes by email, as the registry lists it. The address is sealed on the enrollment; lists show `masked_email`.
 * `amr`: RFC 8176 has no value for a code sent by email; `otp` (a one-time password) is what it is.
 */
export const emailDescriptor: FactorDescriptor = {
  name: 'email',
  method: 'email',
  amr: ['otp'],
  // A code read from a mailbox can be phished like any code.
  phishingResistant: false,
  usable: (enrollment: EnrollmentRecord) => enrollment.factor === 'email' && typeof enrollment.email === 'string',
  enrolls: ['email'],
  sealed: ['email'],
  view: () => ({
    type: 'email',
    auth_method: 'email',
    defaultName: 'Email',
    identifierField: 'email',
    maskedIdentifier: (enrollment) => (enrollment.factor === 'email' ? enrollment.masked_email : undefined),
  }),
};
