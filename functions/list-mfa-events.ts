import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { HistoryStore } from '../lib/history/history-store';
import { listHistory } from '../lib/history/list';
import { adminRoute, json } from '../lib/http';

const config = getConfig('adminKeyHashes');
const store = new HistoryStore(documentClient(config), config.tableName);

/** GET /api/v2/users/{user_id}/mfa/events: the user's MFA history, newest first, one Query per page (docs/HISTORY.md). */
export const handler = adminRoute(config, async (event) =>
  json(200, await listHistory(store, event.pathParameters?.user_id ?? '', event.queryStringParameters)),
);
