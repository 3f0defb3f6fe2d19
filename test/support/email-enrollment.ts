import type { KeyRing } from '../../lib/config';
import { seal } from '../../lib/crypto/secret-box';
import { maskEmail } from '../../lib/factors/email/address';
import { enrollmentKey, enrollmentSecretContext, type EmailEnrollmentRecord } from '../../lib/store/records';

/**
 * A confirmed email enrollment item as redeeming an email ticket writes one: the address sealed for this user and
 * enrollment (lib/crypto/secret-box.ts, as TOTP secrets are) and the masked address lists show.
 */
export const emailEnrollmentRecord = (userId: string, enrollmentId: string, address: string, keys: KeyRing, createdAt: number): EmailEnrollmentRecord => ({
  ...enrollmentKey(userId, enrollmentId),
  type: 'enrollment',
  enrollment_id: enrollmentId,
  user_id: userId,
  factor: 'email',
  status: 'confirmed',
  name: 'Email',
  email: seal(Buffer.from(address, 'utf8'), keys, enrollmentSecretContext(userId, enrollmentId)),
  masked_email: maskEmail(address),
  ticket_id: 'tkt_seeded',
  created_at: createdAt,
});
