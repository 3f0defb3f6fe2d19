import { enrollmentSecretContext, seal } from '../../crypto/secret-box';
import { enrollmentKey, newEnrollmentId, type EmailEnrollmentRecord } from '../../store/records';
import type { ImportFactor } from '../factor';
import { importedName } from '../import-fields';
import { isEmailAddress } from './address';
import { emailDescriptor } from './descriptor';
import { maskEmail } from './mask';

/**
 * An email factor moved in (`type: "email"`, `email`): the address a ticket may carry (same rule), sealed bound to
 * the user and the new enrollment as an enrolled one is, with its mask for lists. Codes go to it at the next login.
 */
export const emailImport: ImportFactor = {
  type: 'email',
  parse(body, { userId, keys, now, random }) {
    const address = body.email;
    if (!isEmailAddress(address)) return { ok: false, field: 'email', message: 'email: must be an email address (at most 254 characters)' };
    const name = importedName(body, emailDescriptor.view!('email').defaultName);
    if (!name.ok) return name;
    const enrollmentId = newEnrollmentId(random);
    const enrollment: EmailEnrollmentRecord = {
      ...enrollmentKey(userId, enrollmentId),
      type: 'enrollment',
      enrollment_id: enrollmentId,
      user_id: userId,
      factor: 'email',
      status: 'confirmed',
      name: name.value,
      email: seal(Buffer.from(address), keys, enrollmentSecretContext(userId, enrollmentId), random),
      masked_email: maskEmail(address),
      imported_at: now,
      created_at: now,
    };
    return { ok: true, enrollment };
  },
};
