import { signingDeviceContext } from '../lib/guardian/context';
import { enrollmentTransactionStateView, type EnrollmentResult } from '../lib/guardian/enrollment';
import { bearerMode, credentials, deviceRoute, invalidToken, TRANSACTION_STATE_ERRORS } from '../lib/guardian/http';
import { loginTransactionStateView } from '../lib/guardian/login';
import { json } from '../lib/http';
import { signEnrollmentResult } from '../lib/mfa/result-token';
import { totpDescriptor } from '../lib/factors/totp/descriptor';
import { phoneDeviceMethod } from '../lib/factors/phone/device';
import { factorEnrolling } from '../lib/factors/registry';

const { config, tickets, store, now } = signingDeviceContext('signingKeys');
const methods = [phoneDeviceMethod];
/**
 * After an enrollment the user just proved the new factor: the result says so (TOTP, `amr: ["otp"]`; a phone by
 * text, `amr: ["sms"]`), as an enrollment result (`purpose: "mfa-enrollment"`, its own audience), which no login
 * check accepts.
 */
const sign = (result: EnrollmentResult) => {
  const proved = factorEnrolling(result.factor) ?? totpDescriptor;
  return signEnrollmentResult(config.resultSigningKeys, config.publicBaseUrl, { ...result, method: proved.method, amr: proved.amr });
};

/**
 * POST /guardian/api/transaction-state (the vendor's device protocol, polled every 5 s), `Bearer <transaction_token>`:
 * `{ id, state: "pending" }`, then `{ id, state: "accepted", token, enrollment? }` (or `rejected` for a locked login).
 * Reads only. A transaction that can never be accepted answers 401, which stops the client's polling; so does a login
 * completed by another flow (`challenge_accepted`, no token: the result goes only to the transaction that proved it).
 */
export const handler = deviceRoute(
  async (event) => {
    const auth = credentials(event);
    if (auth.kind !== 'bearer') throw invalidToken('authorization: Bearer <transaction_token> is required');
    if (bearerMode(auth.token) === 'enrollment') {
      return json(200, await enrollmentTransactionStateView({ config, tickets, now, sign, publicBaseUrl: config.publicBaseUrl }, auth.token, methods));
    }
    return json(200, await loginTransactionStateView({ config, store, now }, auth.token));
  },
  TRANSACTION_STATE_ERRORS,
);
