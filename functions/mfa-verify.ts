import { originOfRequest } from '../lib/history/origin';
import { json, parseJsonBody, route } from '../lib/http';
import { signingMfaContext } from '../lib/mfa';
import { emailLoginFactor } from '../lib/factors/email/login';
import { phoneLoginFactor } from '../lib/factors/phone/login';
import { recoveryCodeFactor } from '../lib/factors/recovery-code/login';
import { totpFactor } from '../lib/factors/totp/login';
import { login, openChallenge } from '../lib/mfa/login';
import { answerProof, loginRemembered, requestBrowserCookies, withCookie } from '../lib/mfa/remembered-login';
import { RememberedBrowserStore } from '../lib/mfa/remembered-store';
import { pageVerifySchema } from '../lib/mfa/schemas';

const { config, store, db, now } = signingMfaContext('signingKeys', 'encryptionKeys');
const deps = { config, store, now, browsers: new RememberedBrowserStore(db, config.tableName) };

/**
 * POST /mfa/verify (public; the request token authenticates): the hosted login page's check. 200 `{ signature,
 * state?, post_action_url, mfa_method, enrollment_id, recovery_code? }`, which the page form-POSTs to the app
 * (`code`: an authenticator app's; `email_code`: the one POST /mfa/email/send emailed; `phone_code`: the one
 * POST /mfa/phone/send texted or called); errors as lib/mfa/login.ts
 * lists them. `remember_browser: true` (the box) also sets the remembered browser's cookie;
 * `remembered_browser: true` instead of a code: the cookie is the proof (lib/mfa/remembered-login.ts), 400
 * `browser_not_remembered` when it is not one.
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, pageVerifySchema);
  const challenge = await openChallenge(deps, input.request_token);
  const proving = { ...deps, origin: originOfRequest(event, 'page') };
  if (input.remembered_browser) {
    const { result, cookie } = await loginRemembered(proving, challenge, requestBrowserCookies(event));
    return withCookie(json(200, result), cookie);
  }
  const result =
    input.code !== undefined
      ? await login(proving, challenge, totpFactor, input.code)
      : input.email_code !== undefined
        ? await login(proving, challenge, emailLoginFactor, input.email_code)
        : input.phone_code !== undefined
          ? await login(proving, challenge, phoneLoginFactor, input.phone_code)
          : await login(proving, challenge, recoveryCodeFactor, input.recovery_code!);
  return answerProof(deps, challenge, event, input.remember_browser, result);
});
