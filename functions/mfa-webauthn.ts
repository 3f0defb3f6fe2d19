import { originOfRequest } from '../lib/history/origin';
import { webauthnConfig } from '../lib/config';
import { parseJsonBody, route } from '../lib/http';
import { signingMfaContext } from '../lib/mfa';
import { webauthnLoginFor } from '../lib/factors/webauthn/login';
import { login, openChallenge } from '../lib/mfa/login';
import { answerProof } from '../lib/mfa/remembered-login';
import { RememberedBrowserStore } from '../lib/mfa/remembered-store';
import { webauthnLoginSchema } from '../lib/mfa/schemas';

const { config, store, db, now } = signingMfaContext('signingKeys', 'encryptionKeys');
webauthnConfig(config); // no relying party configured: refuse to start, loudly
const deps = { config, store, now, browsers: new RememberedBrowserStore(db, config.tableName) };

/**
 * POST /mfa/webauthn (public; the request token authenticates): a security key's or passkey's assertion for the
 * challenge. 200 `{ signature, state?, post_action_url, mfa_method: "webauthn", enrollment_id }`, which the page
 * form-POSTs to the app; errors as lib/mfa/login.ts lists them (a refused assertion is 400 `invalid_code`).
 * `remember_browser: true` (the box) also sets the remembered browser's cookie (ENCRYPTION_KEYS key its hash).
 */
export const handler = route(async (event) => {
  const input = parseJsonBody(event, webauthnLoginSchema);
  const challenge = await openChallenge(deps, input.request_token);
  const result = await login({ ...deps, origin: originOfRequest(event, 'page') }, challenge, webauthnLoginFor(config, challenge.challenge_id), input.credential);
  return answerProof(deps, challenge, event, input.remember_browser, result);
});
