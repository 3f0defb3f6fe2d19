import { GetCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { refusedCounters } from '../delivered-code/destination-rate';
import type { ConditionParts } from '../delivered-code/send-limits';
import { transactWrite } from '../dynamodb-transactions';
import type { PendingEnrollCode } from '../store/records';
import { MAX_ATTEMPTS, sameGeneration, ticketKey, type TicketRecord } from '../tickets/ticket';
import type { SendCodeDeps } from './send-code';

/**
 * The one write of an enrollment code's send, apart from the enrollment store (./enrollment-store.ts, which calls
 * it) so a send function carries only this and the ticket's read: a send that parses numbers is near its bundle budget.
 */

/** The ticket, read consistently (what `TicketStore.get` reads, without the ticket store). */
export async function readTicket(db: DynamoDBDocumentClient, tableName: string, ticketId: string): Promise<TicketRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: ticketKey(ticketId), ConsistentRead: true }));
  return Item as TicketRecord | undefined;
}

type Update = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']>;

export type StoreSentCodeArgs = [
  ticketId: string,
  start: { tx: string; generation: number },
  code: PendingEnrollCode,
  sendCondition: ConditionParts,
  destinationUpdate: Update,
  now: number,
  caps?: readonly Update[],
];

export type StoreSentCodeResult =
  | { ok: true }
  | { ok: false; reason: 'ticket'; current: TicketRecord | undefined }
  | { ok: false; reason: 'destination'; refused?: number[] }
  | { ok: false; reason: 'busy' };

/**
 * Stores the code sent for the ticket's latest start, in one transaction with the destination's hourly count
 * (`destinationUpdate`, lib/delivered-code/destination-rate.ts) and the factor's other `caps`, so a refusal by any
 * leaves all unchanged:
 * 1. the ticket: pending ∧ unexpired ∧ attempts left ∧ its link generation and latest start still `start`'s ∧ the
 *    send rules on its last code (`pendingSendCondition`: none yet, or under the count and past the cooldown) →
 *    `pending_code` replaced by `code`;
 * 2. the destination's count for this hour, under its cap; then each cap's.
 * `ticket` refused: the ticket as it is (the caller says why); `destination`: a cap is reached (`refused`: which).
 */
export async function storeSentCode(db: DynamoDBDocumentClient, tableName: string, ...args: StoreSentCodeArgs): Promise<StoreSentCodeResult> {
  const [ticketId, start, code, sendCondition, destinationUpdate, now, caps = []] = args;
  const generation = sameGeneration(start.generation);
  const reasons = await transactWrite(db, {
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: ticketKey(ticketId),
          UpdateExpression: 'SET pending_code = :code',
          ConditionExpression: `#status = :pending AND expires_at > :now AND attempts < :max AND ${generation.condition} AND pending.tx = :tx AND ${sendCondition.ConditionExpression}`,
          ExpressionAttributeNames: { '#status': 'status', ...sendCondition.ExpressionAttributeNames },
          ExpressionAttributeValues: {
            ':code': code,
            ':pending': 'pending',
            ':now': now,
            ':max': MAX_ATTEMPTS,
            ':tx': start.tx,
            ...generation.values,
            ...sendCondition.ExpressionAttributeValues,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      { Update: destinationUpdate },
      ...caps.map((Update) => ({ Update })),
    ],
  });
  if (!reasons) return { ok: true };
  if (reasons[0]?.Code === 'ConditionalCheckFailed') {
    const item = reasons[0].Item;
    const current = item ? (unmarshall(item as never) as TicketRecord) : await readTicket(db, tableName, ticketId);
    return { ok: false, reason: 'ticket', current };
  }
  const refused = refusedCounters(reasons);
  if (refused.length > 0) return { ok: false, reason: 'destination', refused };
  return { ok: false, reason: 'busy' };
}

/**
 * What `sendEnrollmentCode` (./send-code.ts) needs, built from these two alone: the deps of the send routes that parse numbers
 * (the page's and the device protocol's), which the ticket and enrollment stores would put over 400 KB.
 */
export function sentCodeDeps(db: DynamoDBDocumentClient, config: SendCodeDeps['config']): SendCodeDeps {
  return {
    config,
    tickets: { get: (ticketId: string) => readTicket(db, config.tableName, ticketId) },
    enrollments: { storeSentCode: (...args: StoreSentCodeArgs) => storeSentCode(db, config.tableName, ...args) },
    now: () => Date.now(),
  };
}
