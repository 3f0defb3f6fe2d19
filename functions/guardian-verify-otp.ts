import { originOfRequest } from '../lib/history/origin';
import { signingDeviceContext } from '../lib/guardian/context';
import { enrollmentVerifyOtp } from '../lib/guardian/enrollment';
import { bearerMode, credentials, deviceRoute, invalidToken } from '../lib/guardian/http';
import { loginVerifyOtp } from '../lib/guardian/login';
import { totpEnrollment } from '../lib/factors/totp/enroll';
import { totpFactor } from '../lib/factors/totp/login';
import { verifyOtpSchema } from '../lib/guardian/schemas';
import { json, parseJsonBody } from '../lib/http';

const { config, tickets, enrollments, store, now } = signingDeviceContext('signingKeys', 'encryptionKeys');

/**
 * POST /guardian/api/verify-otp (the vendor's device protocol), `Bearer <transaction_token>`: confirms the enrollment
 * of that transaction, or proves the login challenge; 2xx with an empty body, else `invalid_otp`, `too_many_attempts`,
 * `transaction_expired`, 401 `invalid_token`.
 */
export const handler = deviceRoute(async (event) => {
  const auth = credentials(event);
  if (auth.kind !== 'bearer') throw invalidToken('authorization: Bearer <transaction_token> is required');
  const { code } = parseJsonBody(event, verifyOtpSchema);
  const origin = originOfRequest(event, 'device');
  if (bearerMode(auth.token) === 'enrollment') return json(200, await enrollmentVerifyOtp({ config, tickets, enrollments, now, origin }, auth.token, code, totpEnrollment));
  return json(200, await loginVerifyOtp({ config, store, now, origin }, auth.token, code, totpFactor));
});
