import { json, parseJsonBody, route } from '../lib/http';
import { mfaContext } from '../lib/mfa';
import { webauthnOptionsSchema } from '../lib/mfa/schemas';
import { webauthnPrompt } from '../lib/factors/webauthn/prompt';
import { loginPrompt } from '../lib/mfa/prompt';

const { config, store, now } = mfaContext('signingKeys');
const deps = { config, store, now };
const factor = webauthnPrompt(config);

/**
 * POST /mfa/webauthn/options (public; the request token authenticates): `{ public_key }`, the options of the
 * browser's authentication ceremony for the user's security keys and passkeys. Writes nothing; loads no WebAuthn
 * library (docs/WEBAUTHN.md).
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, webauthnOptionsSchema);
  return json(200, await loginPrompt(deps, input.request_token, factor));
});
