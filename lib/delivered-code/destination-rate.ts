import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../dynamodb-transactions';
import { rateWindow, secondsUntil, type RateWindow, type SendDecision, type SendRefusalReason } from './send-limits';

/**
 * The per-destination send cap (send-limits.ts rule 2) in the tickets table: one counter item per destination and
 * clock hour (or UTC day), `pk: <PREFIX>#<destination key>`, `sk: <hour, e.g. 2026-03-01T12, or day, 2026-03-01>`,
 * removed by DynamoDB TTL when its window ends. The destination key is a keyed hash (the email factor's
 * `addressKey`, the phone factor's number key): the table holds no address or number in a key. The phone factor
 * counts its other caps (per user, per source address, stack-wide) with the same counters under other prefixes.
 *
 * Counting is one conditional UpdateItem, `ADD sends :one` if the window's count is still under the cap: concurrent
 * sends to one destination each take a slot or are refused, with no read before the write.
 */
export type DestinationRate = {
  /** The counter items' key prefix and `type` (`EMAILRATE` / `email-rate`); one prefix per cap. */
  prefix: string;
  type: string;
} & (
  /** Sends to one destination per clock hour, over all tickets and challenges. */
  | { maxPerHour: number }
  /** Sends per `window` (a clock hour or a UTC day). */
  | { max: number; window: RateWindow }
);

/** One more counter a send takes in its transaction (the phone factor's per-day, per-user, per-source, stack-wide caps). */
export interface SendCap {
  rate: DestinationRate;
  /** The keyed hash it counts under (never a number, address or user id as such). */
  key: string;
  /** What a refusal by this cap says (`too_many_sends`'s reason). */
  reason: SendRefusalReason;
}

/** The refusal of a send that `caps` refused (those that failed), waiting for the longest: the user needs every one. */
export function capsRefusal(refused: readonly SendCap[], now: number): SendDecision & { ok: false } {
  const refusals = refused.map((cap) => rateRefusal(cap.rate, now, cap.reason));
  // None named (cancelled with no condition failed: other sends held the counters through every retry): try again.
  if (refusals.length === 0) return { ok: false, reason: 'busy', retry_after_sec: 1 };
  return refusals.reduce((a, b) => (b.retry_after_sec > a.retry_after_sec ? b : a));
}

/**
 * Which counters refused a cancelled send transaction laid out as [the send's own write, the destination's hour,
 * further caps...]: their indexes among the counters (0: the destination's hour).
 */
export const refusedCounters = (reasons: ReadonlyArray<{ Code?: string }>): number[] =>
  reasons.flatMap((r, i) => (i >= 1 && r.Code === 'ConditionalCheckFailed' ? [i - 1] : []));

/** A rate's cap and window, whichever way it was written. */
export const rateLimitOf = (rate: DestinationRate): { max: number; window: RateWindow } =>
  'maxPerHour' in rate ? { max: rate.maxPerHour, window: 'hour' } : { max: rate.max, window: rate.window };

export const destinationRateKey = (prefix: string, destinationKey: string, window: string) => ({ pk: `${prefix}#${destinationKey}`, sk: window });

/**
 * The write that takes one send from the destination's hour: as an UpdateCommand input (what `takeDestinationSend`
 * sends) or, unchanged, as the `Update` of a TransactWriteItems entry, for a caller that wants the ticket's or
 * challenge's own send condition and this counter to commit together (a refusal by either then leaves both unchanged).
 */
export function destinationSendUpdate(tableName: string, rate: DestinationRate, destinationKey: string, now: number) {
  const limit = rateLimitOf(rate);
  const { window, endsAt } = rateWindow(now, limit.window);
  return {
    TableName: tableName,
    Key: destinationRateKey(rate.prefix, destinationKey, window),
    UpdateExpression: 'ADD sends :one SET #type = :type, #ttl = :ttl',
    ConditionExpression: 'attribute_not_exists(sends) OR sends < :max',
    ExpressionAttributeNames: { '#type': 'type', '#ttl': 'ttl' },
    // The item is of no use once its window is over; TTL never deletes it earlier than that.
    ExpressionAttributeValues: { ':one': 1, ':max': limit.max, ':type': rate.type, ':ttl': Math.ceil(endsAt / 1000) },
  };
}

export class DestinationRateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly rate: DestinationRate,
  ) {}

  /**
   * Takes one send from the destination's current hour, or refuses: `{ ok: false, reason: 'destination',
   * retry_after_sec }`, the seconds until the hour turns. Other failures (throttling, network) are thrown: the caller
   * sends nothing then. Used alone, call it after the ticket's or challenge's own conditional write passed: a send
   * refused there then costs the destination nothing (else anyone could spend a victim's hour with requests their own
   * ticket refuses), while a send refused here has replaced the pending code with one never sent. To avoid both,
   * prefer one transaction holding that write and `destinationSendUpdate`.
   */
  async takeDestinationSend(destinationKey: string, now: number): Promise<SendDecision> {
    try {
      await this.db.send(new UpdateCommand(destinationSendUpdate(this.tableName, this.rate, destinationKey, now)));
      return { ok: true };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return rateRefusal(this.rate, now);
    }
  }
}

/** The refusal when `rate`'s counter is full: wait until its window turns. */
export function rateRefusal(rate: DestinationRate, now: number, reason: SendRefusalReason = 'destination'): SendDecision & { ok: false } {
  return { ok: false, reason, retry_after_sec: secondsUntil(rateWindow(now, rateLimitOf(rate).window).endsAt, now) };
}
