import { originOfRequest } from '../lib/history/origin';
import { enrollmentContext } from '../lib/enrollment';
import { webauthnRegistrationSchema } from '../lib/enrollment/schemas';
import { confirmWebauthnEnrollment } from '../lib/enrollment/webauthn-confirm';
import { json, parseJsonBody, route } from '../lib/http';
import { webauthnConfig } from '../lib/config';
import { webauthnEnrollment } from '../lib/factors/webauthn/enroll';

const { config, tickets, enrollments, now } = enrollmentContext('signingKeys', 'encryptionKeys');
const factor = webauthnEnrollment(webauthnConfig(config)); // no relying party configured: refuse to start, loudly

/**
 * POST /enroll/webauthn (public; the ticket token authenticates): the browser's registration ceremony for a security
 * key or passkey ticket. A verified one redeems the ticket and answers `{ enrollment_id, recovery_code,
 * redirect_url? }`; errors: 409 `ceremony_expired` (start again), 409 `credential_already_registered`, 400
 * `invalid_credential` (counted like a wrong code), 410 for an ended ticket.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, webauthnRegistrationSchema);
  return json(200, await confirmWebauthnEnrollment({ config, tickets, enrollments, now, origin: originOfRequest(event, 'page') }, input, factor));
});
