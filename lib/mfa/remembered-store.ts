import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, transactWrite } from '../dynamodb-transactions';
import { enrollmentKey, userProfileKey } from '../store/records';
import { challengeKey } from './challenge';
import { BROWSER_SK_PREFIX, browserKey, type RememberedBrowserRecord } from './remembered-browser';
import { originUpdate, type RequestOrigin } from '../history/origin';

/** A user's remembered browsers (lib/mfa/remembered-browser.ts), in their partition. */
export class RememberedBrowserStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async remember(item: RememberedBrowserRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(userId: string, browserId: string): Promise<RememberedBrowserRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: browserKey(userId, browserId), ConsistentRead: true }));
    return Item as RememberedBrowserRecord | undefined;
  }

  /**
   * A remembered browser completes a challenge, in one transaction: the challenge pending ∧ unexpired ∧ allowing a
   * remembered browser → accepted, stating the original proof; the browser's token still `currentHash` ∧ unexpired ∧
   * used within the idle limit → `nextHash`, while the enrollment it was remembered with still exists (the current one kept as `previous_token_hash`). Two requests with one
   * cookie: exactly one commits; the other's token is then the previous one.
   */
  async acceptRemembered(input: {
    challengeId: string;
    browser: RememberedBrowserRecord;
    currentHash: string;
    nextHash: string;
    now: number;
    idleCutoff: number;
    origin?: RequestOrigin;
  }): Promise<'ok' | 'challenge' | 'browser'> {
    const { challengeId, browser, currentHash, nextHash, now, idleCutoff } = input;
    const from = originUpdate(input.origin, now);
    const reasons = await transactWrite(this.db, {
      TransactItems: [
        {
          Update: {
            TableName: this.tableName,
            Key: challengeKey(challengeId),
            UpdateExpression: `SET #status = :accepted, accepted_at = :now, #method = :method, enrollment_id = :enrollment, remembered_browser = :yes, remembered_auth_time = :authTime${browser.amr ? ', amr = :amr' : ''}${from.set}`,
            ConditionExpression: '#status = :pending AND expires_at > :now AND allow_remembered = :yes AND attribute_not_exists(allowed_factors)',
            ExpressionAttributeNames: { '#status': 'status', '#method': 'method' },
            ExpressionAttributeValues: {
              ':accepted': 'accepted',
              ':pending': 'pending',
              ':now': now,
              ':method': browser.method,
              ':enrollment': browser.enrollment_id,
              ':yes': true,
              ':authTime': browser.auth_time,
              ...(browser.amr ? { ':amr': browser.amr } : {}),
              ...from.values,
            },
          },
        },
        // The authenticator that was proved is still the user's (removing one ends what it vouched for).
        { ConditionCheck: { TableName: this.tableName, Key: enrollmentKey(browser.user_id, browser.enrollment_id), ConditionExpression: 'attribute_exists(pk)' } },
        {
          Update: {
            TableName: this.tableName,
            Key: browserKey(browser.user_id, browser.browser_id),
            UpdateExpression: 'SET token_hash = :next, previous_token_hash = :current, last_used_at = :now',
            ConditionExpression: 'token_hash = :current AND expires_at > :now AND last_used_at > :cutoff',
            ExpressionAttributeValues: { ':next': nextHash, ':current': currentHash, ':now': now, ':cutoff': idleCutoff },
          },
        },
      ],
    });
    if (!reasons) return 'ok';
    return reasons[0]?.Code === 'ConditionalCheckFailed' ? 'challenge' : 'browser';
  }

  /** Every remembered browser of the user, oldest first. */
  async list(userId: string): Promise<RememberedBrowserRecord[]> {
    const items: RememberedBrowserRecord[] = [];
    const pages = paginateQuery({ client: this.db }, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userProfileKey(userId).pk, ':prefix': BROWSER_SK_PREFIX },
      ConsistentRead: true,
    });
    for await (const page of pages) items.push(...((page.Items ?? []) as RememberedBrowserRecord[]));
    return items.sort((a, b) => a.created_at - b.created_at);
  }

  /** Forgets one browser; false when the user has no such browser. */
  async forget(userId: string, browserId: string): Promise<boolean> {
    try {
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: browserKey(userId, browserId), ConditionExpression: 'attribute_exists(pk)' }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Forgets all of the user's browsers (each removal is a `MFA Browser Forgotten` event); how many there were. */
  async forgetAll(userId: string): Promise<number> {
    const browsers = await this.list(userId);
    const removed = await Promise.all(browsers.map((b) => this.forget(userId, b.browser_id)));
    return removed.filter(Boolean).length;
  }

  /**
   * A rotated-away token came back: marked on its browser (`reuse_detected_at`, the `MFA Browser Token Reused` event)
   * before `forgetAll` removes it; nothing is written when it is already gone.
   */
  async markReused(userId: string, browserId: string, now: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: browserKey(userId, browserId),
          UpdateExpression: 'SET reuse_detected_at = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

}
