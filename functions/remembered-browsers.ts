import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { adminRoute, json } from '../lib/http';
import { logger } from '../lib/log';
import { forgetBrowser, invalidateRememberBrowser, listRememberedBrowsers } from '../lib/mfa/remembered-admin';
import { RememberedBrowserStore } from '../lib/mfa/remembered-store';

const config = getConfig('adminKeyHashes');
const browsers = new RememberedBrowserStore(documentClient(config), config.tableName);
const noContent = { statusCode: 204, headers: { 'cache-control': 'no-store' } };

/**
 * A user's remembered browsers (docs/MFA-LOGIN.md "Remember this browser"), one function for the three routes:
 * - POST /api/v2/users/{user_id}/multifactor/actions/invalidate-remember-browser (the vendor's): forget all; 204.
 * - GET /api/v2/users/{user_id}/remembered-browsers: `{ browsers: [{ id, created_at, last_used_at, expires_at, user_agent? }] }`.
 * - DELETE /api/v2/users/{user_id}/remembered-browsers/{browser_id}: forget one; 204, 404 `browser_not_found`.
 */
export const handler = adminRoute(config, async (event) => {
  const userId = event.pathParameters?.user_id ?? '';
  const method = event.requestContext?.http?.method ?? 'GET';
  if (method === 'POST') {
    logger.info('remembered browsers invalidated', { removed: await invalidateRememberBrowser(browsers, userId) });
    return noContent;
  }
  if (method === 'DELETE') {
    await forgetBrowser(browsers, userId, event.pathParameters?.browser_id ?? '');
    return noContent;
  }
  return json(200, await listRememberedBrowsers(browsers, userId));
});
