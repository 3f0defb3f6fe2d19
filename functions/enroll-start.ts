import { enrollmentContext } from '../lib/enrollment';
import { startEnrollmentSchema } from '../lib/enrollment/schemas';
import { startPageEnrollment } from '../lib/enrollment/webauthn-start';
import { json, parseJsonBody, route } from '../lib/http';

const { config, tickets, enrollments, now } = enrollmentContext('signingKeys', 'encryptionKeys');

/**
 * POST /enroll/start (public; the ticket token authenticates): for a TOTP ticket, a new secret, otpauth URI and QR
 * code bound to a new transaction; for a security key or passkey, registration options with a new challenge
 * (docs/WEBAUTHN.md). It never redeems anything.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, startEnrollmentSchema);
  return json(200, await startPageEnrollment({ config, tickets, enrollments, now }, input));
});
