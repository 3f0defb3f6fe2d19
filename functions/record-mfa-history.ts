import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { HistoryStore, recordHistory } from '../lib/history/history-store';
import { logger, withInvocationLogger } from '../lib/log';

const config = getConfig();
const deps = { store: new HistoryStore(documentClient(config), config.tableName), retentionDays: config.historyDays, logger };

/**
 * The table's stream → each user's MFA history (lib/history, docs/HISTORY.md): the same lifecycle events the
 * publisher sends, one item per event id. A consumer of its own, so a history write that fails never holds back the
 * events (nor the reverse). A record whose items could not be written is reported in `batchItemFailures`.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
  withInvocationLogger(context, {}, () => recordHistory(deps, event.Records));
