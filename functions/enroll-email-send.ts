import { header } from '../lib/admin-auth';
import { emailSendLimitsFromEnv } from '../lib/factors/email/send-limits';
import { emailDelivery } from '../lib/factors/email/deliver';
import { codeEmailConfig } from '../lib/factors/email/send';
import { sesClient } from '../lib/email/ses';
import { enrollmentContext } from '../lib/enrollment';
import { sendEmailCodeSchema } from '../lib/enrollment/schemas';
import { sendEnrollmentCode } from '../lib/enrollment/send-code';
import { json, parseJsonBody, route } from '../lib/http';

const { config, tickets, enrollments, now } = enrollmentContext('signingKeys', 'encryptionKeys');
// EMAIL_FROM missing or EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR malformed: fail at cold start, loudly.
const delivery = emailDelivery(sesClient(config), codeEmailConfig(config), emailSendLimitsFromEnv(process.env));

/**
 * POST /enroll/email/send (public; the ticket token and the start's transaction token authenticate): emails a code
 * for the ticket's latest start, to the ticket's address or, when it has none, to `email`. The only route that
 * sends one. Answers `{ sent_to, code_expires_at, retry_after_sec, sends_remaining }`; a refused send is 429
 * `too_many_sends` with `retry_after_sec` and sends nothing; 422 `email_rejected`, 503 `email_unavailable`.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, sendEmailCodeSchema);
  const { email, ...rest } = input;
  return json(
    200,
    await sendEnrollmentCode({ config, tickets, enrollments, now }, { ...rest, destination: email, acceptLanguage: header(event.headers, 'accept-language') }, delivery),
  );
});
