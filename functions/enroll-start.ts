import { enrollmentContext } from '../lib/enrollment';
import { startEnrollmentSchema } from '../lib/enrollment/schemas';
import { startPageEnrollment } from '../lib/enrollment/webauthn-start';
import { json, parseJsonBody, route } from '../lib/http';
import { emailEnrollment, type StartedEmailOffer } from '../lib/factors/email/enroll';
import { phoneBegin, type StartedPhoneOffer } from '../lib/factors/phone/begin';

const { config, tickets, enrollments, now } = enrollmentContext('signingKeys', 'encryptionKeys');

/**
 * POST /enroll/start (public; the ticket token authenticates): for a TOTP ticket, a new secret, otpauth URI and QR
 * code bound to a new transaction; for a security key or passkey, registration options with a new challenge
 * (docs/WEBAUTHN.md); for an email ticket, the address masked (or that one is needed) and a transaction for
 * `POST /enroll/email/send`; for a phone ticket, that a number is needed and a transaction for `POST /enroll/phone/send`.
 * It never sends or redeems anything.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, startEnrollmentSchema);
  return json(200, await startPageEnrollment<StartedEmailOffer | StartedPhoneOffer>({ config, tickets, enrollments, now }, input, { email: emailEnrollment, phone: phoneBegin }));
});
