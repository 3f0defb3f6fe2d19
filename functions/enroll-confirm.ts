import { originOfRequest } from '../lib/history/origin';
import { enrollmentContext } from '../lib/enrollment';
import { confirmEnrollment } from '../lib/enrollment/confirm';
import { totpEnrollment } from '../lib/factors/totp/enroll';
import { confirmEnrollmentSchema } from '../lib/enrollment/schemas';
import { json, parseJsonBody, route } from '../lib/http';

const { config, tickets, enrollments, now } = enrollmentContext('signingKeys', 'encryptionKeys');

/**
 * POST /enroll/confirm (public; the ticket token authenticates): a right code redeems the ticket once and answers
 * `{ enrollment_id, recovery_code, redirect_url? }`; a wrong one is 400 `invalid_code` with `attempts_remaining`,
 * and the fifth locks the ticket (410 `ticket_locked`).
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, confirmEnrollmentSchema);
  return json(200, await confirmEnrollment({ config, tickets, enrollments, now, origin: originOfRequest(event, 'page') }, input, totpEnrollment));
});
