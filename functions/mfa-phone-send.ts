import { phoneLoginSender } from '../lib/factors/phone/sender';
import { phoneClient, phoneSenderConfig } from '../lib/factors/phone/send';
import { phoneSendLimitsFromEnv } from '../lib/factors/phone/send-limits';
import { json, parseJsonBody, route } from '../lib/http';
import { mfaContext } from '../lib/mfa';
import { phoneSendCodeSchema } from '../lib/mfa/schemas';
import { sendLoginCode } from '../lib/mfa/send-code';
import { emfMetrics } from '../lib/emf-metrics';

// Cold start: PHONE_ORIGINATION_IDENTITY and the caps checked, loudly.
const { config, store, now } = mfaContext('signingKeys', 'encryptionKeys');
const phone = phoneSenderConfig(process.env);
const client = phoneClient(phone);
const limits = phoneSendLimitsFromEnv(process.env);
const deps = { config, store, now };
// PhoneCodesSent / PhoneCodesFailed, as embedded-metric lines (Powertools Metrics would put the bundle over 400 KB).
const metrics = emfMetrics(process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets');

/**
 * POST /mfa/phone/send `{ request_token, enrollment_id?, channel? }` (public; the request token authenticates): the
 * page's "Text me a code" / "Call me". 200 `{ sent_to, enrollment_id, expires_at, resend_after_sec, sends_left }`;
 * 429 `too_many_sends` (`retry_after_sec`, nothing sent) when the challenge's rules or any phone cap refuse; 422
 * `phone_rejected`, 503 `phone_unavailable`; the challenge's errors as POST /mfa/verify answers them.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, phoneSendCodeSchema);
  const acceptLanguage = event.headers?.['accept-language'];
  const sender = phoneLoginSender(client, phone, limits, metrics, input.channel);
  const sourceIp = event.requestContext?.http?.sourceIp;
  try {
    return json(200, await sendLoginCode(deps, { requestToken: input.request_token, enrollmentId: input.enrollment_id, acceptLanguage, sourceIp }, sender));
  } finally {
    metrics.flush();
  }
});
