import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * `NOTIFIED#<event_id>` / `NOTIFIED`: one item per lifecycle event a notification was attempted for, so a stream
 * record delivered again (a retry, a bisected batch, a replay) sends nothing twice. Kept for `MARKER_TTL_SEC` (the
 * stream keeps records for 24 hours; DynamoDB TTL removes the marker well after any redelivery could come).
 *
 * States: `sending` (claimed, SES not known to have accepted), `failed` (SES refused for a transient reason: the
 * retry sends), `sent` and `rejected` (final: never sent again).
 */
export const MARKER_TTL_SEC = 7 * 86_400;
export const notifiedKey = (eventId: string) => ({ pk: `NOTIFIED#${eventId}`, sk: 'NOTIFIED' as const });

export type MarkerStatus = 'sending' | 'failed' | 'sent' | 'rejected';

/** The claim's outcome: ours to send, or already final (`sent`, `rejected`). */
export type Claim = { ok: true; retried: boolean } | { ok: false; status: MarkerStatus };

export class NotificationMarkerStore {
  constructor(
    private readonly db: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
  ) {}

  /**
   * Mark, then send: the marker is written `sending` before SES is called. A marker left `sending` or `failed` by an
   * earlier delivery of the same record is taken over (that attempt failed or died before recording SES's answer),
   * so a crash never loses the mail; only `sent` and `rejected` stop it. Records of a shard are handled one batch at
   * a time (parallelizationFactor 1), so two live attempts on one event do not happen in the normal path.
   */
  async claim(eventId: string, kind: string, now: number): Promise<Claim> {
    try {
      const { Attributes } = await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...notifiedKey(eventId),
            type: 'notification-marker',
            kind,
            status: 'sending',
            claimed_at: now,
            ttl: Math.floor(now / 1000) + MARKER_TTL_SEC,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status IN (:sending, :failed)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sending': 'sending', ':failed': 'failed' },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { ok: true, retried: Attributes !== undefined };
    } catch (err) {
      if (!(err instanceof Error && err.name === 'ConditionalCheckFailedException')) throw err;
      const item = (err as { Item?: Record<string, unknown> }).Item;
      const status = item ? (unmarshall(item as never).status as MarkerStatus) : 'sent';
      return { ok: false, status };
    }
  }

  /** SES accepted it (`sent`), refused it for good (`rejected`), or failed transiently (`failed`: the retry sends). */
  async finish(eventId: string, status: Exclude<MarkerStatus, 'sending'>, now: number, messageId?: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: notifiedKey(eventId),
        UpdateExpression: `SET #status = :status, finished_at = :now${messageId ? ', message_id = :mid' : ''}`,
        ConditionExpression: '#status = :sending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':now': now, ':sending': 'sending', ...(messageId ? { ':mid': messageId } : {}) },
      }),
    );
  }
}
