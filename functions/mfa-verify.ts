import { json, parseJsonBody, route } from '../lib/http';
import { signingMfaContext } from '../lib/mfa';
import { emailLoginFactor } from '../lib/factors/email/login';
import { recoveryCodeFactor } from '../lib/factors/recovery-code/login';
import { totpFactor } from '../lib/factors/totp/login';
import { login, openChallenge } from '../lib/mfa/login';
import { pageVerifySchema } from '../lib/mfa/schemas';

const { config, store, now } = signingMfaContext('signingKeys', 'encryptionKeys');
const deps = { config, store, now };

/**
 * POST /mfa/verify (public; the request token authenticates): the hosted login page's check. 200 `{ signature,
 * state?, post_action_url, mfa_method, enrollment_id, recovery_code? }`, which the page form-POSTs to the app
 * (`code`: an authenticator app's; `email_code`: the one POST /mfa/email/send emailed);
 * errors as lib/mfa/login.ts lists them.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, pageVerifySchema);
  const challenge = await openChallenge(deps, input.request_token);
  const result =
    input.code !== undefined
      ? await login(deps, challenge, totpFactor, input.code)
      : input.email_code !== undefined
        ? await login(deps, challenge, emailLoginFactor, input.email_code)
        : await login(deps, challenge, recoveryCodeFactor, input.recovery_code!);
  return json(200, result);
});
