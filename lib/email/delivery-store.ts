import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { MAX_RECIPIENTS, ticketKey, type EmailDelivery, type Recipient, type TicketRecord } from '../tickets/ticket';

/** A conditional write's outcome: the item as written, or as it was when the condition failed (undefined: no item). */
export type Written = { ok: true; ticket: TicketRecord } | { ok: false; current: TicketRecord | undefined };

/** A failure the mailer records on the ticket. */
export interface DeliveryFailure {
  code: string;
  reason: string;
}

/**
 * What a send does to the ticket's recipient, decided against the item as last seen; the write's condition checks that
 * the item still is that way, so a concurrent send cannot slip between the decision and the write.
 */
export type RecipientUpdate =
  /** The address the ticket has: `email` (when the request names one) must still be it. The link stays. */
  | { kind: 'keep'; email?: string }
  /** The ticket has no address yet: this becomes its first recipient. The link stays (no one else was mailed it). */
  | { kind: 'first'; email: string; entries: Recipient[] }
  /**
   * A different address: the link moves to generation `next`, so every earlier link stops working, and any enrollment
   * started under it (pending TOTP secret or registration challenge) is removed. Conditional on
   * the address (`from`) and generation (`seenGeneration`, undefined: a ticket from before generations) still being
   * the ones seen. `entries` are appended to the history.
   */
  | { kind: 'change'; email: string; from: string; seenGeneration: number | undefined; next: number; entries: Recipient[] };

export interface SendRequest {
  requestId: string;
  now: number;
  /** The recipient of this and later sends (see RecipientUpdate). */
  recipient: RecipientUpdate;
  /** Replaces the ticket's locale for this and later sends. */
  emailLocale?: string;
  /** At most `limit` resends in any `windowMs`. */
  limit: number;
  windowMs: number;
}

/** `resend_1` … `resend_<limit>`: times of the last `limit` resend requests, oldest first. */
export const resendSlot = (i: number) => `resend_${i}`;

/**
 * The email's state on the ticket item. Every write is one conditional UpdateItem that touches only
 * `email_delivery` (and, for a resend, the address, the locale, the rate-limit slots and, when the address changes, the
 * link generation and any enrollment started under the old link): a mail failure never
 * changes the ticket itself, and the mailer needs no permission beyond dynamodb:UpdateItem.
 */
export class EmailDeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Records a new send request (the stream then delivers it) for a pending, unexpired ticket, if fewer than `limit`
   * resends were requested in the last `windowMs`. The slots shift by one per request, so the condition only has to
   * look at the oldest: one write decides and records, with no read before it. A change of address raises the link's
   * generation in the same write (lib/tickets/tokens.ts), so the request and the link it carries cannot diverge.
   */
  async requestSend(ticketId: string, request: SendRequest): Promise<Written> {
    const { limit, now } = request;
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {
      ':pending': 'pending',
      ':now': now,
      ':windowStart': now - request.windowMs,
      ':zero': 0,
      ':delivery': { request_id: request.requestId, status: 'pending', requested_at: now } satisfies EmailDelivery,
    };
    const sets = ['email_delivery = :delivery'];
    const removes: string[] = [];
    for (let i = 1; i < limit; i += 1) sets.push(`${resendSlot(i)} = if_not_exists(${resendSlot(i + 1)}, :zero)`);
    sets.push(`${resendSlot(limit)} = :now`);
    const conditions = [
      '#status = :pending',
      'expires_at > :now',
      `(attribute_not_exists(${resendSlot(1)}) OR ${resendSlot(1)} <= :windowStart)`,
    ];
    const recipient = request.recipient;
    if (recipient.kind === 'keep') {
      if (recipient.email === undefined) {
        conditions.push('attribute_exists(email)');
      } else {
        conditions.push('email = :email');
        values[':email'] = recipient.email;
      }
    } else {
      sets.push('email = :email', 'recipients = list_append(if_not_exists(recipients, :noRecipients), :recipients)');
      values[':email'] = recipient.email;
      values[':recipients'] = recipient.entries;
      values[':noRecipients'] = [];
      values[':recipientsBefore'] = MAX_RECIPIENTS - recipient.entries.length;
      conditions.push('(attribute_not_exists(recipients) OR size(recipients) <= :recipientsBefore)');
      if (recipient.kind === 'first') {
        conditions.push('attribute_not_exists(email)');
      } else {
        sets.push('generation = :generation');
        // Every enrollment started under the old link ends with it (its transaction carries the old generation too).
        removes.push('pending_totp', 'pending_webauthn', 'pending');
        values[':generation'] = recipient.next;
        values[':from'] = recipient.from;
        conditions.push('email = :from');
        if (recipient.seenGeneration === undefined) {
          conditions.push('attribute_not_exists(generation)');
        } else {
          conditions.push('generation = :seenGeneration');
          values[':seenGeneration'] = recipient.seenGeneration;
        }
      }
    }
    if (request.emailLocale !== undefined) {
      sets.push('email_locale = :locale');
      values[':locale'] = request.emailLocale;
    }
    return this.write(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ticketKey(ticketId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  }

  /**
   * The check before sending: succeeds only while this request is the ticket's latest, not yet sent or failed, and the
   * ticket is still pending and unexpired. It counts the attempt and returns the ticket as it is now.
   */
  async claim(ticketId: string, requestId: string, now: number): Promise<Written> {
    return this.write(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ticketKey(ticketId),
        UpdateExpression:
          'SET email_delivery.#status = :sending, email_delivery.attempts = if_not_exists(email_delivery.attempts, :zero) + :one, email_delivery.last_attempt_at = :now',
        ConditionExpression:
          'email_delivery.request_id = :rid AND email_delivery.#status IN (:requested, :sending) AND #status = :pending AND expires_at > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':rid': requestId,
          ':requested': 'pending',
          ':sending': 'sending',
          ':pending': 'pending',
          ':now': now,
          ':zero': 0,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  }

  /** SES accepted the message. False when the request was meanwhile replaced by a newer one (that one sends too). */
  async recordSent(ticketId: string, requestId: string, messageId: string, now: number): Promise<boolean> {
    return this.finish(ticketId, requestId, 'SET email_delivery.#status = :sent, email_delivery.message_id = :mid, email_delivery.sent_at = :now', {
      ':sent': 'sent',
      ':mid': messageId,
      ':now': now,
    });
  }

  /** A permanent failure: recorded with its reason, never retried (the admin can resend, e.g. to a corrected address). */
  async recordFailed(ticketId: string, requestId: string, failure: DeliveryFailure, now: number): Promise<boolean> {
    return this.finish(
      ticketId,
      requestId,
      'SET email_delivery.#status = :failed, email_delivery.error_code = :code, email_delivery.#error = :reason, email_delivery.failed_at = :now',
      { ':failed': 'failed', ':code': failure.code, ':reason': failure.reason, ':now': now },
      { '#error': 'error' },
    );
  }

  private async finish(
    ticketId: string,
    requestId: string,
    updateExpression: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    const result = await this.write(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ticketKey(ticketId),
        UpdateExpression: updateExpression,
        ConditionExpression: 'email_delivery.request_id = :rid AND email_delivery.#status IN (:requested, :sending)',
        ExpressionAttributeNames: { '#status': 'status', ...names },
        ExpressionAttributeValues: { ':rid': requestId, ':requested': 'pending', ':sending': 'sending', ...values },
      }),
    );
    return result.ok;
  }

  private async write(command: UpdateCommand): Promise<Written> {
    try {
      const { Attributes } = await this.db.send(command);
      return { ok: true, ticket: Attributes as TicketRecord };
    } catch (err) {
      if (!(err instanceof Error && err.name === 'ConditionalCheckFailedException')) throw err;
      // The failed condition carries the item as it was (wire format, even through the DocumentClient).
      const item = (err as { Item?: Record<string, unknown> }).Item;
      return { ok: false, current: item ? (unmarshall(item as never) as TicketRecord) : undefined };
    }
  }
}
