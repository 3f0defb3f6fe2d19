import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { EnrollmentStore } from '../lib/enrollment/enrollment-store';
import { adminRoute } from '../lib/http';
import { logger } from '../lib/log';
import { MfaStore } from '../lib/mfa/mfa-store';
import { RememberedBrowserStore } from '../lib/mfa/remembered-store';
import { deleteAllAuthenticators } from '../lib/mfa/user-mfa';

const config = getConfig('adminKeyHashes');
const db = documentClient(config);
const deps = { store: new MfaStore(db, config.tableName), enrollments: new EnrollmentStore(db, config.tableName), now: () => Date.now() };
const browsers = new RememberedBrowserStore(db, config.tableName);

/**
 * DELETE /api/v2/users/{user_id}/authenticators: removes all of the user's enrollments, and forgets their remembered
 * browsers (nothing is left that they vouched for); 204 as the vendor answers.
 */
export const handler = adminRoute(config, async (event) => {
  const userId = event.pathParameters?.user_id ?? '';
  const removed = await deleteAllAuthenticators(deps, userId);
  const forgotten = await browsers.forgetAll(userId);
  logger.info('authenticators deleted', { removed, forgotten });
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
});
