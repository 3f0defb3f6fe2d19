import type { KeyRing } from '../../lib/config';
import { seal } from '../../lib/crypto/secret-box';
import { maskPhone } from '../../lib/factors/phone/number';
import { enrollmentKey, enrollmentSecretContext, type PhoneEnrollmentRecord } from '../../lib/store/records';

/** A confirmed phone enrollment item as redeeming a phone ticket writes one: the E.164 number sealed for this user and enrollment. */
export const phoneEnrollmentRecord = (
  userId: string,
  enrollmentId: string,
  e164: string,
  keys: KeyRing,
  createdAt: number,
  channel: 'sms' | 'voice' = 'sms',
): PhoneEnrollmentRecord => ({
  ...enrollmentKey(userId, enrollmentId),
  type: 'enrollment',
  enrollment_id: enrollmentId,
  user_id: userId,
  factor: 'phone',
  status: 'confirmed',
  name: 'Phone',
  phone_number: seal(Buffer.from(e164, 'utf8'), keys, enrollmentSecretContext(userId, enrollmentId)),
  masked_phone: maskPhone(e164),
  preferred_authentication_method: channel,
  ticket_id: 'tkt_seeded',
  created_at: createdAt,
});
