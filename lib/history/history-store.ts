import type { Logger } from '@aws-lambda-powertools/logger';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { historyItemsOf, historyPk, type HistoryItem } from './history';

/** The history's two table operations: a write that happens once per event id, and one Query per page. */
export class HistoryStore {
  constructor(
    private readonly db: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the item unless it is already there: a redelivered stream record (a retry, a bisected batch) finds its
   * events' items in place and writes nothing. False when it was already there.
   */
  async putOnce(item: HistoryItem): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (err) {
      if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  /**
   * One Query, newest first: the user's items at or after `fromSk`, before `beforeSk` (the cursor), those of `types`
   * only when given. `limit` items are read; the filter then keeps what matches.
   */
  async page(q: { userId: string; fromSk?: string; beforeSk?: string; types?: readonly string[]; limit: number }) {
    const pk = historyPk(q.userId);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': pk };
    let filter: string | undefined;
    if (q.fromSk !== undefined) values[':from'] = q.fromSk;
    if (q.types?.length) {
      names['#dt'] = 'detail_type';
      q.types.forEach((t, i) => (values[`:t${i}`] = t));
      filter = `#dt IN (${q.types.map((_, i) => `:t${i}`).join(', ')})`;
    }
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: q.fromSk === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :from',
        ExclusiveStartKey: q.beforeSk === undefined ? undefined : { pk, sk: q.beforeSk },
        FilterExpression: filter,
        ExpressionAttributeNames: filter ? names : undefined,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: q.limit,
      }),
    );
    const last = out.LastEvaluatedKey?.sk;
    return { items: (out.Items ?? []) as Array<Record<string, unknown>>, lastSk: typeof last === 'string' ? last : undefined };
  }
}

export interface RecordHistoryDeps {
  store: Pick<HistoryStore, 'putOnce'>;
  retentionDays: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/**
 * A batch of stream records → history items, each written once (HistoryStore.putOnce). The writes go out together;
 * the first record that could not be read, or one of whose items could not be written, is reported in
 * `batchItemFailures`: Lambda retries from it, and the items already written are skipped by their condition then.
 */
export async function recordHistory(deps: RecordHistoryDeps, records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  let failedAt: number | undefined;
  const writes: Array<Promise<number | undefined>> = [];
  for (const [index, record] of records.entries()) {
    let items: HistoryItem[];
    try {
      items = historyItemsOf(record, deps.retentionDays);
    } catch (err) {
      deps.logger.error('stream record could not be turned into history items', {
        correlation_id: record.eventID,
        error: err instanceof Error ? err.message : String(err),
      });
      failedAt = index;
      break;
    }
    for (const item of items) {
      writes.push(
        deps.store.putOnce(item).then(
          (written) => {
            if (written) deps.logger.info('history item written', { correlation_id: record.eventID, event_id: item.event_id, detail_type: item.detail_type });
            return undefined;
          },
          (err: unknown) => {
            deps.logger.warn('history write failed; the stream retries its record', {
              correlation_id: record.eventID,
              event_id: item.event_id,
              error: err instanceof Error ? err.name : String(err),
            });
            return index;
          },
        ),
      );
    }
  }
  for (const failed of await Promise.all(writes)) {
    if (failed !== undefined) failedAt = Math.min(failed, failedAt ?? failed);
  }
  const sequenceNumber = failedAt === undefined ? undefined : records[failedAt]?.dynamodb?.SequenceNumber;
  return { batchItemFailures: sequenceNumber === undefined ? [] : [{ itemIdentifier: sequenceNumber }] };
}
