import { enrollmentContext } from '../lib/enrollment';
import { startEnrollmentSchema } from '../lib/enrollment/schemas';
import { startEnrollment } from '../lib/enrollment/start';
import { json, parseJsonBody, route } from '../lib/http';

const { config, tickets, enrollments, now } = enrollmentContext('signingKeys', 'encryptionKeys');

/**
 * POST /enroll/start (public; the ticket token authenticates): the TOTP secret, otpauth URI and QR code for the
 * ticket's user. Repeating it returns the same secret; it never redeems anything.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, startEnrollmentSchema);
  return json(200, await startEnrollment({ config, tickets, enrollments, now }, input));
});
