import { originOfRequest } from '../lib/history/origin';
import { signingDeviceContext } from '../lib/guardian/context';
import { bearerMode, credentials, deviceRoute, invalidToken, RECOVER_ACCOUNT_ERRORS } from '../lib/guardian/http';
import { loginRecoverAccount } from '../lib/guardian/login';
import { recoveryCodeFactor } from '../lib/factors/recovery-code/login';
import { recoverAccountSchema } from '../lib/guardian/schemas';
import { json, parseJsonBody } from '../lib/http';

const { config, store, now } = signingDeviceContext('signingKeys', 'encryptionKeys');

/**
 * POST /guardian/api/recover-account (the vendor's device protocol, login only), `Bearer <transaction_token>` of a
 * login (or the bare request token): spends the recovery code on the challenge and answers the next one
 * `{ recovery_code }`, shown once. An enrollment transaction is refused (401): a ticket never logs anyone in.
 */
export const handler = deviceRoute(
  async (event) => {
    const auth = credentials(event);
    if (auth.kind !== 'bearer' || bearerMode(auth.token) !== 'login') throw invalidToken('authorization: Bearer <transaction_token> of a sign-in is required');
    const { recovery_code: recoveryCode } = parseJsonBody(event, recoverAccountSchema);
    return json(200, await loginRecoverAccount({ config, store, now, origin: originOfRequest(event, 'device') }, auth.token, recoveryCode, recoveryCodeFactor));
  },
  RECOVER_ACCOUNT_ERRORS,
);
