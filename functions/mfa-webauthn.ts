import { webauthnConfig } from '../lib/config';
import { json, parseJsonBody, route } from '../lib/http';
import { signingMfaContext } from '../lib/mfa';
import { webauthnLoginFor } from '../lib/factors/webauthn/login';
import { login, openChallenge } from '../lib/mfa/login';
import { webauthnLoginSchema } from '../lib/mfa/schemas';

const { config, store, now } = signingMfaContext('signingKeys');
webauthnConfig(config); // no relying party configured: refuse to start, loudly
const deps = { config, store, now };

/**
 * POST /mfa/webauthn (public; the request token authenticates): a security key's or passkey's assertion for the
 * challenge. 200 `{ signature, state?, post_action_url, mfa_method: "webauthn", enrollment_id }`, which the page
 * form-POSTs to the app; errors as lib/mfa/login.ts lists them (a refused assertion is 400 `invalid_code`).
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, webauthnLoginSchema);
  const challenge = await openChallenge(deps, input.request_token);
  return json(200, await login(deps, challenge, webauthnLoginFor(config, challenge.challenge_id), input.credential));
});
