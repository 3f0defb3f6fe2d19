import * as v from 'valibot';
import type { PublicKeyRing } from '../config';
import { badRequest, conflict } from '../errors';
import type { MfaStore } from './mfa-store';
import { verifyResult, type ResultPayload } from './result-token';

export const verifyResultSchema = v.strictObject({
  signature: v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(4096, 'must be at most 4096 characters')),
});

/**
 * `POST /api/v2/mfa/results/verify`, for apps without a JOSE library: the claims of a login result, the first time
 * only. An enrollment result is refused (400 `not_a_login_result`) before single use is spent. Single use is a
 * conditional put on the result's `jti` (kept until well after the result expires, then removed by TTL).
 */
export async function verifyResultOnce(
  deps: { store: Pick<MfaStore, 'useResultOnce'>; config: { resultPublicKeys: PublicKeyRing; publicBaseUrl: string }; now: () => number },
  signature: string,
): Promise<ResultPayload> {
  const now = deps.now();
  const checked = await verifyResult(signature, deps.config.resultPublicKeys, deps.config.publicBaseUrl, now);
  if (!checked.ok) {
    if (checked.reason === 'expired') throw badRequest('result_expired', 'signature: this result has expired; the user must sign in again');
    if (checked.reason === 'not_login') throw badRequest('not_a_login_result', 'signature: not the result of a sign-in (purpose is not "mfa-login")');
    throw badRequest('invalid_signature', 'signature: not a result signed by this service');
  }
  if (!(await deps.store.useResultOnce(checked.claims.jti, checked.claims.exp, now))) {
    throw conflict('result_already_used', 'signature: this result was already verified once');
  }
  return checked.claims;
}
