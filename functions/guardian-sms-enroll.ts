import { header } from '../lib/admin-auth';
import { emfMetrics } from '../lib/emf-metrics';
import { sendEnrollmentCode } from '../lib/enrollment/send-code';
import { phoneDelivery } from '../lib/factors/phone/deliver';
import { allowedCountriesSetting } from '../lib/factors/phone/number';
import { phoneClient, phoneSenderConfig } from '../lib/factors/phone/send';
import { phoneSendLimitsFromEnv } from '../lib/factors/phone/send-limits';
import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { sentCodeDeps } from '../lib/enrollment/sent-code-store';
import { bearerMode, credentials, deviceRoute, invalidToken, SEND_CODE_ERRORS } from '../lib/guardian/http';
import { smsEnrollSchema } from '../lib/guardian/schemas';
import { json, parseJsonBody } from '../lib/http';

// Cold start: PHONE_ORIGINATION_IDENTITY, PHONE_ALLOWED_COUNTRIES and the caps checked, loudly.
const config = getConfig('signingKeys', 'encryptionKeys');
// The ticket's read and the send's one write, not the stores (as POST /enroll/phone/send): the number's parser is 88 KB.
const deps = sentCodeDeps(documentClient(config), config);
const phone = phoneSenderConfig(process.env);
const metrics = emfMetrics(process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets');
// The client texts only: its enrollment has no way to ask for a call.
const delivery = phoneDelivery(phoneClient(phone), phone, phoneSendLimitsFromEnv(process.env), metrics, {
  channel: 'sms',
  allowedCountries: allowedCountriesSetting(process.env),
});

/**
 * POST /guardian/api/device-accounts/{id}/sms-enroll `{ phone_number }` (the vendor's device protocol),
 * `Bearer <transaction_token>` of a phone ticket's start-flow, `id` its device account: texts a code for that start to
 * the number (an allowed country's mobile), under the ticket's send rules and every phone cap, as
 * POST /enroll/phone/send does; verify-otp then confirms it. Empty body on success; 429 `too_many_sms` with
 * `retry_after_sec` when a rule refuses (nothing sent), 400 naming `phone_number`, 404 for another device account.
 */
export const handler = deviceRoute(async (event) => {
  const auth = credentials(event);
  if (auth.kind !== 'bearer' || bearerMode(auth.token) !== 'enrollment') throw invalidToken('authorization: Bearer <transaction_token> of an enrollment is required');
  const { phone_number } = parseJsonBody(event, smsEnrollSchema);
  try {
    await sendEnrollmentCode(
      deps,
      {
        transaction_token: auth.token,
        enrollmentId: event.pathParameters?.id ?? '',
        destination: phone_number,
        acceptLanguage: header(event.headers, 'accept-language'),
        sourceIp: event.requestContext?.http?.sourceIp,
      },
      delivery,
    );
    return json(200, {});
  } finally {
    metrics.flush();
  }
}, SEND_CODE_ERRORS);
