import { originOfRequest } from '../lib/history/origin';
import { adminRoute, json, parseJsonBody } from '../lib/http';
import { mfaContext } from '../lib/mfa';
import { recoveryCodeFactor } from '../lib/factors/recovery-code/login';
import { totpFactor } from '../lib/factors/totp/login';
import { verifyUserFactor } from '../lib/mfa/login';
import { checkUserId, verifyUserSchema } from '../lib/mfa/user-mfa';

const { config, store, now } = mfaContext('adminKeyHashes', 'encryptionKeys');

/**
 * POST /api/v2/users/{user_id}/mfa/verify `{ code }` or `{ recovery_code }`: 200 `{ verified: true, enrollment_id,
 * mfa_method, recovery_code? }`; 400 `invalid_code` with `attempts_remaining`; 429 `too_many_attempts`.
 */
export const handler = adminRoute(config, async (event) => {
  const userId = checkUserId(event.pathParameters?.user_id ?? '');
  const body = parseJsonBody(event, verifyUserSchema);
  const deps = { store, config, now, origin: originOfRequest(event, 'admin') };
  const verified =
    body.code !== undefined
      ? await verifyUserFactor(deps, userId, totpFactor, body.code)
      : await verifyUserFactor(deps, userId, recoveryCodeFactor, body.recovery_code!);
  return json(200, { verified: true, ...verified });
});
