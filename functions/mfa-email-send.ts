import { sesClient } from '../lib/email/ses';
import { emailLoginSender } from '../lib/factors/email/sender';
import { emailSendLimitsFromEnv } from '../lib/factors/email/send-limits';
import { json, parseJsonBody, route } from '../lib/http';
import { mfaContext } from '../lib/mfa';
import { sendCodeSchema } from '../lib/mfa/schemas';
import { sendLoginCode } from '../lib/mfa/send-code';

// Cold start: EMAIL_FROM and EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR checked, loudly.
const { config, store, now } = mfaContext('signingKeys', 'encryptionKeys');
const sender = emailLoginSender(sesClient(config), config, emailSendLimitsFromEnv(process.env));
const deps = { config, store, now };

/**
 * POST /mfa/email/send `{ request_token, enrollment_id? }` (public; the request token authenticates): the page's
 * "Email me a code". 200 `{ sent_to, enrollment_id, expires_at, resend_after_sec, sends_left }`; 429 `too_many_sends`
 * (`retry_after_sec`, nothing sent); 422 `email_rejected`, 503 `email_unavailable`; the challenge's errors as
 * POST /mfa/verify answers them.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, sendCodeSchema);
  const acceptLanguage = event.headers?.['accept-language'];
  return json(200, await sendLoginCode(deps, { requestToken: input.request_token, enrollmentId: input.enrollment_id, acceptLanguage }, sender));
});
