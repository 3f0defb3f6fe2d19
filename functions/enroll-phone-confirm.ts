import { enrollmentContext } from '../lib/enrollment';
import { confirmStartedEnrollment } from '../lib/enrollment/confirm';
import { confirmSentCodeSchema } from '../lib/enrollment/schemas';
import { phoneEnrollment } from '../lib/factors/phone/enroll';
import { json, parseJsonBody, route } from '../lib/http';

const { config, tickets, enrollments, now } = enrollmentContext('signingKeys', 'encryptionKeys');

/**
 * POST /enroll/phone/confirm (public; the ticket token authenticates): the code texted or called for the ticket's
 * latest start redeems the ticket once and answers `{ enrollment_id, recovery_code, redirect_url? }`; a wrong or
 * expired one is 400 `invalid_code` with `attempts_remaining`, and the fifth locks the ticket (410 `ticket_locked`).
 */
export const handler = route(async (event) => {
  const { code, ...input } = parseJsonBody(event, confirmSentCodeSchema);
  return json(200, await confirmStartedEnrollment({ config, tickets, enrollments, now }, input, phoneEnrollment, code));
});
