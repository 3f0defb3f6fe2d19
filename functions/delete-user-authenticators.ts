import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { EnrollmentStore } from '../lib/enrollment/enrollment-store';
import { adminRoute } from '../lib/http';
import { logger } from '../lib/log';
import { MfaStore } from '../lib/mfa/mfa-store';
import { deleteAllAuthenticators } from '../lib/mfa/user-mfa';

const config = getConfig();
const db = documentClient(config);
const deps = { store: new MfaStore(db, config.tableName), enrollments: new EnrollmentStore(db, config.tableName), now: () => Date.now() };

/** DELETE /api/v2/users/{user_id}/authenticators: removes all of the user's enrollments; 204 as the vendor answers. */
export const handler = adminRoute(config, async (event) => {
  const removed = await deleteAllAuthenticators(deps, event.pathParameters?.user_id ?? '');
  logger.info('authenticators deleted', { removed });
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
});
