import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ticketKey, type TicketRecord } from './ticket';

const isConditionFailure = (err: unknown) =>
  err instanceof Error && err.name === 'ConditionalCheckFailedException';

/** The outcome of a conditional transition: the new record, or the record as it was when the condition failed. */
export type Transition = { ok: true; ticket: TicketRecord } | { ok: false; current: TicketRecord | undefined };

/** Tickets in DynamoDB. Every state change is one conditional write; nothing here reads before it writes. */
export class TicketStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async insert(ticket: TicketRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: ticket, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async get(ticketId: string): Promise<TicketRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: ticketKey(ticketId), ConsistentRead: true }),
    );
    return Item as TicketRecord | undefined;
  }

  /** pending ∧ unexpired → revoked, and out of the pending index. */
  async revoke(ticketId: string, now: number): Promise<Transition> {
    return this.transition(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ticketKey(ticketId),
        UpdateExpression: 'SET #status = :revoked, revoked_at = :now REMOVE pending_shard',
        ConditionExpression: '#status = :pending AND expires_at > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':revoked': 'revoked', ':pending': 'pending', ':now': now },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      ticketId,
    );
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
