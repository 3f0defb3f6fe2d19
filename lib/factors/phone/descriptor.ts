import type { EnrollmentRecord } from '../../store/records';
import type { FactorDescriptor, MfaMethod } from '../factor';

/**
 * Codes by text or by call, as the registry lists it. The number is sealed on the enrollment; lists show
 * `masked_phone`. The login's `mfa_method` is the way the code went (`sms` | `voice`, the vendor's), and its `amr` the
 * RFC 8176 value of that way: `sms` for a text, `tel` for a call (`amrOfPhoneMethod`, carried in the match).
 */
export const phoneDescriptor: FactorDescriptor = {
  name: 'phone',
  method: 'sms',
  otherMethods: ['voice'],
  amr: ['sms'],
  // A code read off a phone can be phished like any code (and SIM swaps take numbers over).
  phishingResistant: false,
  usable: (enrollment: EnrollmentRecord) => enrollment.factor === 'phone' && typeof enrollment.phone_number === 'string',
  enrolls: ['phone'],
  sealed: ['phone_number'],
  view: (_factor, enrollment) => ({
    type: 'phone',
    auth_method: enrollment?.preferred_authentication_method === 'voice' ? 'voice' : 'sms',
    defaultName: 'Phone',
    identifierField: 'phone_number',
    maskedIdentifier: (listed) => (listed.factor === 'phone' ? listed.masked_phone : undefined),
  }),
};

/** RFC 8176 §2: `sms` — a text to a number; `tel` — a call to one. */
export const amrOfPhoneMethod = (method: MfaMethod): readonly string[] => (method === 'voice' ? ['tel'] : ['sms']);
