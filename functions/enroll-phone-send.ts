import { header } from '../lib/admin-auth';
import { emfMetrics } from '../lib/emf-metrics';
import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { sendPhoneCodeSchema } from '../lib/enrollment/schemas';
import { sendEnrollmentCode } from '../lib/enrollment/send-code';
import { sentCodeDeps } from '../lib/enrollment/sent-code-store';
import { phoneDelivery } from '../lib/factors/phone/deliver';
import { allowedCountriesSetting } from '../lib/factors/phone/number';
import { phoneClient, phoneSenderConfig } from '../lib/factors/phone/send';
import { phoneSendLimitsFromEnv } from '../lib/factors/phone/send-limits';
import { json, parseJsonBody, route } from '../lib/http';

const config = getConfig('signingKeys', 'encryptionKeys');
// The ticket's read and the send's one write, not the ticket and enrollment stores: this function is near the 400 KB
// bundle budget (the number's parser and metadata are 88 KB of it).
const deps = sentCodeDeps(documentClient(config), config);
// Cold start: PHONE_ORIGINATION_IDENTITY, PHONE_ALLOWED_COUNTRIES and the caps checked, loudly.
const phone = phoneSenderConfig(process.env);
const client = phoneClient(phone);
const limits = phoneSendLimitsFromEnv(process.env);
const allowedCountries = allowedCountriesSetting(process.env);
// PhoneCodesSent / PhoneCodesFailed, as embedded-metric lines (the stack-wide budget's alarm reads them).
const metrics = emfMetrics(process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets');

/**
 * POST /enroll/phone/send `{ ticket, transaction_token, phone_number, channel? }` (public; the ticket token and the
 * start's transaction token authenticate): texts (`sms`, the default) or calls (`voice`) a code for the ticket's
 * latest start to the number typed. Answers `{ sent_to, code_expires_at, retry_after_sec, sends_remaining }`; a number
 * refused is 400 naming `phone_number`; a refused send is 429 `too_many_sends` with `retry_after_sec` and sends
 * nothing; 422 `phone_rejected`, 503 `phone_unavailable`.
 */
export const handler = route(async (event) => {
  const { phone_number, channel, ...rest } = parseJsonBody(event, sendPhoneCodeSchema);
  const delivery = phoneDelivery(client, phone, limits, metrics, { channel, allowedCountries });
  const input = { ...rest, destination: phone_number, acceptLanguage: header(event.headers, 'accept-language'), sourceIp: event.requestContext?.http?.sourceIp };
  try {
    return json(200, await sendEnrollmentCode(deps, input, delivery));
  } finally {
    metrics.flush();
  }
});
