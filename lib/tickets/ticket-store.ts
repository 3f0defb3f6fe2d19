import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import table from '../../infra/table.js';
import { userProfileKey } from '../store/records';
import { FactorSwitchStore, type FactorSwitches } from '../factors/switches';
import type { RequestOrigin } from '../history/origin';
import { ticketKey, type TicketRecord } from './ticket';

const isConditionFailure = (err: unknown) =>
  err instanceof Error && err.name === 'ConditionalCheckFailedException';

/** The marker item that makes `insertOnce` idempotent: one per key, living as long as its ticket. */
export const idempotencyMarkerKey = (key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' as const });

/** `inserted: false` means an earlier call with the same key created `ticketId` (unknown if the marker lacks it). */
export type InsertOnceResult = { inserted: true } | { inserted: false; ticketId: string | undefined };

/** One page of the sparse `pending-by-expiry` index: ids of pending tickets past their expiry, and what reading cost. */
export interface ExpiredPage {
  ticketIds: string[];
  /** Pass back to read the next page; undefined when the shard is exhausted. */
  next: Record<string, unknown> | undefined;
  /** Items DynamoDB read for this page (`ScannedCount`): what the query is billed on. */
  itemsRead: number;
  /** Read capacity consumed, as DynamoDB reports it (0 when the endpoint does not report it). */
  capacityUnits: number;
}

const TRANSACTION_ATTEMPTS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The outcome of a conditional transition: the new record, or the record as it was when the condition failed. */
export type Transition = { ok: true; ticket: TicketRecord } | { ok: false; current: TicketRecord | undefined };

/** Tickets in DynamoDB. Every state change is one conditional write; nothing here reads before it writes. */
export class TicketStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The factor switches (lib/factors/switches.ts), cached per container: a switched-off factor is not ticketed. */
  factorSwitches(): Promise<FactorSwitches> {
    return new FactorSwitchStore(this.db, this.tableName).get();
  }

  async insert(ticket: TicketRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: ticket, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  /**
   * Writes the ticket together with a marker for `key` in one transaction, each conditional on not existing yet: the
   * first call for a key creates the ticket, later ones (a retried signup event) create nothing and learn its id.
   * Two concurrent calls for one key conflict inside DynamoDB; the loser retries and then sees the marker.
   */
  async insertOnce(ticket: TicketRecord, key: string): Promise<InsertOnceResult> {
    const marker = {
      ...idempotencyMarkerKey(key),
      type: 'idempotency',
      ticket_id: ticket.ticket_id,
      created_at: ticket.created_at,
      ttl: ticket.ttl,
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: marker,
                  ConditionExpression: 'attribute_not_exists(pk)',
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              { Put: { TableName: this.tableName, Item: ticket, ConditionExpression: 'attribute_not_exists(pk)' } },
            ],
          }),
        );
        return { inserted: true };
      } catch (err) {
        if (!(err instanceof Error) || err.name !== 'TransactionCanceledException') throw err;
        const reasons = (err as { CancellationReasons?: Array<{ Code?: string; Item?: Record<string, unknown> }> }).CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          // The returned item is in wire format, even through the DocumentClient.
          const existing = reasons[0].Item ? unmarshall(reasons[0].Item as never) : undefined;
          return { inserted: false, ticketId: existing?.ticket_id as string | undefined };
        }
        if (attempt >= TRANSACTION_ATTEMPTS || !reasons.some((r) => r.Code === 'TransactionConflict')) throw err;
        await sleep(25 * attempt);
      }
    }
  }

  async get(ticketId: string): Promise<TicketRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: ticketKey(ticketId), ConsistentRead: true }),
    );
    return Item as TicketRecord | undefined;
  }

  /** Confirmed enrollments of a user (0 when none): what `allow_multiple_enrollments: false` checks at creation. */
  async enrollmentCount(userId: string): Promise<number> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: userProfileKey(userId), ProjectionExpression: 'enrollment_count', ConsistentRead: true }),
    );
    return Number(result?.Item?.enrollment_count ?? 0);
  }

  /** pending ∧ unexpired → revoked, and out of the pending index. */
  /** `origin`: who revoked it, kept for the user's MFA history (lib/history/origin.ts). */
  async revoke(ticketId: string, now: number, origin?: RequestOrigin): Promise<Transition> {
    const setOrigin = origin ? ', origin = :origin' : '';
    return this.transition(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ticketKey(ticketId),
        UpdateExpression: `SET #status = :revoked, revoked_at = :now${setOrigin} REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code`,
        ConditionExpression: '#status = :pending AND expires_at > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':revoked': 'revoked', ':pending': 'pending', ':now': now, ...(origin ? { ':origin': { ...origin, at: now } } : {}) },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      ticketId,
    );
  }

  /**
   * Keys of pending tickets in one shard of the sparse index whose expiry has passed. Only pending tickets carry the
   * index key, and the key condition stops at `now`, so a page costs what expired, whatever the table holds.
   */
  async expiredPendingPage(shard: string, now: number, limit: number, startKey?: Record<string, unknown>): Promise<ExpiredPage> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: table.PENDING_INDEX,
        KeyConditionExpression: 'pending_shard = :shard AND expires_at <= :now',
        ExpressionAttributeValues: { ':shard': shard, ':now': now },
        Limit: limit,
        ExclusiveStartKey: startKey,
        ReturnConsumedCapacity: 'INDEXES',
      }),
    );
    const ticketIds = (page.Items ?? [])
      .map((item) => String(item.pk))
      .filter((pk) => pk.startsWith('TICKET#'))
      .map((pk) => pk.slice('TICKET#'.length));
    return {
      ticketIds,
      next: page.LastEvaluatedKey,
      itemsRead: page.ScannedCount ?? page.Count ?? ticketIds.length,
      capacityUnits: page.ConsumedCapacity?.CapacityUnits ?? 0,
    };
  }

  /**
   * pending ∧ past expiry → expired: out of the pending index, and any unconfirmed TOTP secret of an enrollment that
   * was started but never confirmed is dropped. False when the ticket moved on first (redeemed at the last second,
   * revoked, already swept, deleted by TTL): the sweep then leaves it alone.
   */
  async expire(ticketId: string, now: number): Promise<boolean> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: ticketKey(ticketId),
      UpdateExpression: 'SET #status = :expired, expired_at = :now REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code',
      ConditionExpression: '#status = :pending AND expires_at <= :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':expired': 'expired', ':pending': 'pending', ':now': now },
    });
    return this.conditional(() => this.db.send(command));
  }

  /** Like `expire`, under the same condition, but removes the item (SWEEP_MODE=delete). */
  async deleteExpired(ticketId: string, now: number): Promise<boolean> {
    const command = new DeleteCommand({
      TableName: this.tableName,
      Key: ticketKey(ticketId),
      ConditionExpression: '#status = :pending AND expires_at <= :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': 'pending', ':now': now },
    });
    return this.conditional(() => this.db.send(command));
  }

  /** Runs one conditional write: true when it applied, false when its condition failed. */
  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  private async transition(command: UpdateCommand, ticketId: string): Promise<Transition> {
    try {
      const { Attributes } = await this.db.send(command);
      return { ok: true, ticket: Attributes as TicketRecord };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // The failed condition carries the current item (in wire format, even through the DocumentClient);
      // emulators that omit it cost one read.
      const item = (err as { Item?: Record<string, unknown> }).Item;
      return { ok: false, current: item ? (unmarshall(item as never) as TicketRecord) : await this.get(ticketId) };
    }
  }
}
