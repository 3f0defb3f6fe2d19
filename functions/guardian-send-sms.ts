import { header } from '../lib/admin-auth';
import { emfMetrics } from '../lib/emf-metrics';
import { phoneClient, phoneSenderConfig } from '../lib/factors/phone/send';
import { phoneSendLimitsFromEnv } from '../lib/factors/phone/send-limits';
import { phoneLoginSender } from '../lib/factors/phone/sender';
import { mfaContext } from '../lib/mfa';
import { bearerMode, credentials, deviceRoute, invalidToken, requireNoBody, SEND_CODE_ERRORS } from '../lib/guardian/http';
import { loginSendCode } from '../lib/guardian/login';
import { json } from '../lib/http';

// Cold start: PHONE_ORIGINATION_IDENTITY and the caps checked, loudly.
const { config, store, now } = mfaContext('signingKeys', 'encryptionKeys');
const phone = phoneSenderConfig(process.env);
const metrics = emfMetrics(process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets');
// The client asks for a text: `sms` whatever way the number was enrolled with.
const sender = phoneLoginSender(phoneClient(phone), phone, phoneSendLimitsFromEnv(process.env), metrics, 'sms');

/**
 * POST /guardian/api/send-sms (the vendor's device protocol; no body), `Bearer <transaction_token>` of a login's
 * start-flow (or the challenge's request token): texts a sign-in code to the user's phone under the challenge's send
 * rules and every phone cap, as POST /mfa/phone/send does; verify-otp then proves it. Empty body on success; 429
 * `too_many_sms` with `retry_after_sec` (nothing sent), 409 `factor_not_offered` when the challenge offers no phone.
 */
export const handler = deviceRoute(async (event) => {
  const auth = credentials(event);
  if (auth.kind !== 'bearer' || bearerMode(auth.token) !== 'login') throw invalidToken('authorization: Bearer <transaction_token> of a login is required');
  requireNoBody(event);
  try {
    const request = { acceptLanguage: header(event.headers, 'accept-language'), sourceIp: event.requestContext?.http?.sourceIp };
    return json(200, await loginSendCode({ config, store, now }, auth.token, sender, request));
  } finally {
    metrics.flush();
  }
}, SEND_CODE_ERRORS);
