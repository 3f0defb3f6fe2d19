import { Secret } from 'otpauth';
import { enrollmentSecretContext, seal } from '../../crypto/secret-box';
import { enrollmentKey, newEnrollmentId, type TotpEnrollmentRecord } from '../../store/records';
import type { ImportFactor } from '../factor';
import { importedName } from '../import-fields';
import { totpDescriptor } from './descriptor';
import { TOTP_PARAMS } from './totp';

/**
 * An authenticator app's secret moved in (`type: "totp"`, `totp_secret` in base32 as the vendor takes it): RFC 4648
 * base32, any case, spaces and `=` padding ignored, 16–128 characters (80 to 640 bits; RFC 4226 asks for at least
 * 128, apps commonly use 160). Sealed bound to the user and the new enrollment, exactly as an enrolled one is, and no
 * code counted as used yet. No recovery code comes with it: the user's comes with a ticket's enrollment.
 */
export const TOTP_SECRET_MIN = 16;
export const TOTP_SECRET_MAX = 128;

export function decodeTotpSecret(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[\s=]/g, '').toUpperCase();
  if (text.length < TOTP_SECRET_MIN || text.length > TOTP_SECRET_MAX || !/^[A-Z2-7]+$/.test(text)) return undefined;
  return Buffer.from(Secret.fromBase32(text).bytes);
}

export const totpImport: ImportFactor = {
  type: 'totp',
  parse(body, { userId, keys, now, random }) {
    const secret = decodeTotpSecret(body.totp_secret);
    if (!secret) {
      return { ok: false, field: 'totp_secret', message: `totp_secret: must be base32 (A–Z, 2–7), ${TOTP_SECRET_MIN} to ${TOTP_SECRET_MAX} characters` };
    }
    const name = importedName(body, totpDescriptor.view!('otp').defaultName);
    if (!name.ok) return name;
    const enrollmentId = newEnrollmentId(random);
    const enrollment: TotpEnrollmentRecord = {
      ...enrollmentKey(userId, enrollmentId),
      type: 'enrollment',
      enrollment_id: enrollmentId,
      user_id: userId,
      factor: 'otp',
      status: 'confirmed',
      name: name.value,
      totp_secret: seal(secret, keys, enrollmentSecretContext(userId, enrollmentId), random),
      ...TOTP_PARAMS,
      last_used_step: 0,
      imported_at: now,
      created_at: now,
    };
    return { ok: true, enrollment };
  },
};
