import { getConfig } from '../lib/config';
import { documentClient } from '../lib/aws';
import { adminRoute, json } from '../lib/http';
import { logger } from '../lib/log';
import { MfaStore } from '../lib/mfa/mfa-store';
import { regenerateRecoveryCode } from '../lib/mfa/user-mfa';

const config = getConfig();
const store = new MfaStore(documentClient(config), config.tableName);

/** POST /api/v2/users/{user_id}/recovery-code-regeneration: 200 `{ recovery_code }`, as the vendor answers; the old one stops working. */
export const handler = adminRoute(config, async (event) => {
  const userId = event.pathParameters?.user_id ?? '';
  const result = await regenerateRecoveryCode({ store, config, now: () => Date.now() }, userId);
  logger.info('recovery code regenerated');
  return json(200, result);
});
