import { originOfRequest } from '../lib/history/origin';
import { signingDeviceContext } from '../lib/guardian/context';
import { enrollmentVerifyOtp } from '../lib/guardian/enrollment';
import { bearerMode, credentials, deviceRoute, invalidToken } from '../lib/guardian/http';
import { loginVerifyOtp } from '../lib/guardian/login';
import { totpEnrollment } from '../lib/factors/totp/enroll';
import { totpFactor } from '../lib/factors/totp/login';
import { phoneEnrollment } from '../lib/factors/phone/enroll';
import { phoneLoginFactor } from '../lib/factors/phone/login';
import { verifyOtpSchema } from '../lib/guardian/schemas';
import { json, parseJsonBody } from '../lib/http';

const { config, tickets, enrollments, store, now } = signingDeviceContext('signingKeys', 'encryptionKeys');
/** Besides the authenticator app: a phone start is confirmed, and a texted sign-in code proved, by the phone factor. */
const started = { [phoneLoginFactor.name]: phoneEnrollment };
const sent = [phoneLoginFactor];

/**
 * POST /guardian/api/verify-otp (the vendor's device protocol), `Bearer <transaction_token>`: confirms the enrollment
 * of that transaction (an authenticator app's, or a phone's texted by sms-enroll), or proves the login challenge (with
 * the code send-sms texted when it waits for one); 2xx with an empty body, else `invalid_otp`, `too_many_attempts`,
 * `transaction_expired`, 401 `invalid_token`.
 */
export const handler = deviceRoute(async (event) => {
  const auth = credentials(event);
  if (auth.kind !== 'bearer') throw invalidToken('authorization: Bearer <transaction_token> is required');
  const { code } = parseJsonBody(event, verifyOtpSchema);
  const origin = originOfRequest(event, 'device');
  if (bearerMode(auth.token) === 'enrollment') return json(200, await enrollmentVerifyOtp({ config, tickets, enrollments, now, origin }, auth.token, code, totpEnrollment, started));
  return json(200, await loginVerifyOtp({ config, store, now, origin }, auth.token, code, totpFactor, sent));
});
