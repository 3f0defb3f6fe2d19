import { adminRoute, json, parseJsonBody } from '../lib/http';
import { verifyingMfaContext } from '../lib/mfa';
import { verifyResultOnce, verifyResultSchema } from '../lib/mfa/verify-result';

const { config, store, now } = verifyingMfaContext('adminKeyHashes');

/** POST /api/v2/mfa/results/verify `{ signature }`: 200 claims the first time; 409 `result_already_used`; 400 `invalid_signature` / `result_expired`. */
export const handler = adminRoute(config, async (event) => {
  const { signature } = parseJsonBody(event, verifyResultSchema);
  return json(200, await verifyResultOnce({ store, config, now }, signature));
});
