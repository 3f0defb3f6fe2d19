import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../../dynamodb-transactions';
import { hourWindow, secondsUntil, type EmailSendLimits, type SendDecision } from './send-limits';

/**
 * The per-mailbox hourly send cap (send-limits.ts rule 2) in the tickets table: one counter item per mailbox and clock
 * hour, `pk: EMAILRATE#<addressKey>`, `sk: <hour, e.g. 2026-03-01T12>`, removed by DynamoDB TTL when its hour ends.
 * The key is `addressKey(address)` (address.ts), a keyed hash: the table holds no address in a key.
 *
 * Counting is one conditional UpdateItem, `ADD sends :one` if the hour's count is still under the cap: concurrent
 * sends to one mailbox each take a slot or are refused, with no read before the write.
 */
export const addressRateKey = (addressKey: string, window: string) => ({ pk: `EMAILRATE#${addressKey}`, sk: window });

/**
 * The write that takes one send from the mailbox's hour: as an UpdateCommand input (what `takeAddressSend` sends) or,
 * unchanged, as the `Update` of a TransactWriteItems entry, for a caller that wants the ticket's or challenge's own
 * send condition and this counter to commit together (a refusal by either then leaves both unchanged).
 */
export function addressSendUpdate(tableName: string, addressKey: string, now: number, maxPerHour: number) {
  const { window, endsAt } = hourWindow(now);
  return {
    TableName: tableName,
    Key: addressRateKey(addressKey, window),
    UpdateExpression: 'ADD sends :one SET #type = :type, #ttl = :ttl',
    ConditionExpression: 'attribute_not_exists(sends) OR sends < :max',
    ExpressionAttributeNames: { '#type': 'type', '#ttl': 'ttl' },
    // The item is of no use once its hour is over; TTL never deletes it earlier than that.
    ExpressionAttributeValues: { ':one': 1, ':max': maxPerHour, ':type': 'email-rate', ':ttl': Math.ceil(endsAt / 1000) },
  };
}

export class EmailSendLimitStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly limits: Pick<EmailSendLimits, 'maxPerAddressPerHour'>,
  ) {}

  /**
   * Takes one send from the mailbox's current hour, or refuses: `{ ok: false, reason: 'address', retry_after_sec }`,
   * the seconds until the hour turns. Other failures (throttling, network) are thrown: the caller sends nothing then.
   * Used alone, call it after the ticket's or challenge's own conditional write passed: a send refused there then
   * costs the mailbox nothing (else anyone could spend a victim's hour with requests their own ticket refuses), while
   * a send refused here has replaced the pending code with one never sent. To avoid both, prefer one transaction
   * holding that write and `addressSendUpdate`.
   */
  async takeAddressSend(addressKey: string, now: number): Promise<SendDecision> {
    try {
      await this.db.send(new UpdateCommand(addressSendUpdate(this.tableName, addressKey, now, this.limits.maxPerAddressPerHour)));
      return { ok: true };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return { ok: false, reason: 'address', retry_after_sec: secondsUntil(hourWindow(now).endsAt, now) };
    }
  }
}
