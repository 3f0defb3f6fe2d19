import { enrollmentSecretContext, seal } from '../../crypto/secret-box';
import { AppError } from '../../errors';
import { enrollmentKey, newEnrollmentId, type PhoneEnrollmentRecord } from '../../store/records';
import type { ImportFactor } from '../factor';
import { importedName } from '../import-fields';
import { phoneDescriptor } from './descriptor';
import { maskPhone, parsePhoneNumber, type PhoneChannel } from './number';

const CHANNELS: readonly string[] = ['sms', 'voice'] satisfies PhoneChannel[];

/**
 * A phone factor moved in (`type: "phone"`, `phone_number`, optional `preferred_authentication_method` `sms` |
 * `voice`, default `sms`): the number checked as one typed on the enrollment page is (./number.ts: international
 * form, a country of `allowedCountries`, a mobile for texts), written in E.164 and sealed bound to the user and the new
 * enrollment as an enrolled one is, with its mask for lists. Codes go to it at the next login.
 */
export function phoneImport(allowedCountries: ReadonlySet<string>): ImportFactor {
  return {
    type: 'phone',
    parse(body, { userId, keys, now, random }) {
      const method = body.preferred_authentication_method ?? 'sms';
      if (typeof method !== 'string' || !CHANNELS.includes(method)) {
        return { ok: false, field: 'preferred_authentication_method', message: 'preferred_authentication_method: must be sms or voice' };
      }
      const channel = method as PhoneChannel;
      let e164: string;
      try {
        e164 = parsePhoneNumber(body.phone_number, { field: 'phone_number', channel, allowedCountries }).e164;
      } catch (err) {
        if (err instanceof AppError) return { ok: false, field: 'phone_number', message: err.message };
        throw err;
      }
      const name = importedName(body, phoneDescriptor.view!('phone').defaultName);
      if (!name.ok) return name;
      const enrollmentId = newEnrollmentId(random);
      const enrollment: PhoneEnrollmentRecord = {
        ...enrollmentKey(userId, enrollmentId),
        type: 'enrollment',
        enrollment_id: enrollmentId,
        user_id: userId,
        factor: 'phone',
        status: 'confirmed',
        name: name.value,
        phone_number: seal(Buffer.from(e164, 'utf8'), keys, enrollmentSecretContext(userId, enrollmentId), random),
        masked_phone: maskPhone(e164),
        preferred_authentication_method: channel,
        imported_at: now,
        created_at: now,
      };
      return { ok: true, enrollment };
    },
  };
}
