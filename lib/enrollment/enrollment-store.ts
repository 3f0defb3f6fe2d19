import {
  GetCommand,
  paginateQuery,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isConditionFailure, transactWrite } from '../dynamodb-transactions';
import { MAX_ATTEMPTS, sameGeneration, ticketKey, type TicketRecord } from '../tickets/ticket';
import {
  ENROLLMENT_SK_PREFIX,
  enrollmentKey,
  enrollmentPointerKey,
  userProfileKey,
  type EnrollmentPointerRecord,
  type EnrollmentRecord,
  type PendingTotp,
  type PendingWebauthn,
  type WebauthnEnrollmentRecord,
  credentialKey,
} from './records';

/**
 * What the redeem spends: the TOTP start's transaction, or the registration challenge (and the credential it made),
 * each under the link generation it was started with (the ticket must still be at it).
 */
export type RedeemProof =
  | { kind: 'totp'; tx: string; generation: number }
  | { kind: 'webauthn'; challengeHash: string; credentialId: string; generation: number };


/** A ticket as it was when a condition on it failed (undefined: gone). */
export type Refused = { ok: false; current: TicketRecord | undefined };

export type WrongCodeResult = { ok: true; attempts: number; locked: boolean } | Refused;

export type RedeemResult =
  | { ok: true }
  | ({ reason: 'ticket' } & Refused)
  | { ok: false; reason: 'already_enrolled' }
  | { ok: false; reason: 'credential_registered' }
  | { ok: false; reason: 'busy' };

/** The fields of an enrollment the admin API shows: never the secret or the recovery code hash, not even read. */
export type EnrollmentSummary = Pick<EnrollmentRecord, 'enrollment_id' | 'factor' | 'status' | 'name' | 'created_at'>;

/** Items returned by a failed condition come in wire format, even through the DocumentClient. */
const fromWire = (item: Record<string, unknown> | undefined) => (item ? (unmarshall(item as never) as TicketRecord) : undefined);

/**
 * The enrollment side of the table: the ticket transitions the enrollment flow makes (start, wrong code, redeem),
 * and the enrollments themselves. Each state change is one conditional write or one transaction.
 */
export class EnrollmentStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Puts the enrollment a start offers on the pending ticket, replacing whatever an earlier start left there: the
   * latest start is the only one that can confirm (a link scanner that started first holds a secret no one enrolls).
   * Only while the link it was started from is current: a start that read the ticket before a recipient change
   * stores nothing after it.
   */
  async setPendingTotp(ticketId: string, pending: PendingTotp & { generation: number }, now: number): Promise<{ ok: true } | Refused> {
    return this.setPending(ticketId, 'pending_totp', pending, now);
  }

  /**
   * Puts the registration challenge a start offers on the pending ticket, replacing any earlier one: only the latest
   * start's ceremony can redeem it, once, before its own expiry (and under the link generation it was started with).
   */
  async setPendingWebauthn(ticketId: string, pending: PendingWebauthn & { generation: number }, now: number): Promise<{ ok: true } | Refused> {
    return this.setPending(ticketId, 'pending_webauthn', pending, now);
  }

  private async setPending(ticketId: string, field: 'pending_totp' | 'pending_webauthn', pending: { generation: number }, now: number) {
    const generation = sameGeneration(pending.generation);
    return this.conditionalUpdate(ticketId, {
      UpdateExpression: `SET ${field} = :${field}`,
      ConditionExpression: `#status = :pending AND expires_at > :now AND attempts < :max AND ${generation.condition}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { [`:${field}`]: pending, ':pending': 'pending', ':now': now, ':max': MAX_ATTEMPTS, ...generation.values },
    });
  }

  /** The user's security keys and passkeys (ids and transports only): a new registration excludes them. */
  async webauthnCredentials(userId: string): Promise<Array<Pick<WebauthnEnrollmentRecord, 'credential_id' | 'transports'>>> {
    const items: Array<Pick<WebauthnEnrollmentRecord, 'credential_id' | 'transports'>> = [];
    const pages = paginateQuery({ client: this.db }, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'attribute_exists(credential_id)',
      ProjectionExpression: 'credential_id, transports',
      ExpressionAttributeValues: { ':pk': userProfileKey(userId).pk, ':prefix': ENROLLMENT_SK_PREFIX },
      ConsistentRead: true,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) items.push({ credential_id: String(item.credential_id), transports: (item.transports as string[]) ?? [] });
    }
    return items;
  }

  /**
   * Counts one wrong code, compare-and-set on the count the caller saw (so concurrent wrong codes each count once).
   * The one that reaches MAX_ATTEMPTS locks the ticket in the same write: out of the pending index, secret dropped.
   */
  async recordWrongCode(ticketId: string, seenAttempts: number, now: number): Promise<WrongCodeResult> {
    const attempts = seenAttempts + 1;
    const locked = attempts >= MAX_ATTEMPTS;
    const result = await this.conditionalUpdate(ticketId, {
      UpdateExpression: locked
        ? 'SET attempts = :attempts, last_attempt_at = :now, #status = :locked, locked_at = :now REMOVE pending_shard, pending_totp, pending_webauthn'
        : 'SET attempts = :attempts, last_attempt_at = :now',
      ConditionExpression: '#status = :pending AND expires_at > :now AND attempts = :seen',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':attempts': attempts,
        ':seen': seenAttempts,
        ':pending': 'pending',
        ':now': now,
        ...(locked ? { ':locked': 'locked' } : {}),
      },
    });
    return result.ok ? { ok: true, attempts, locked } : result;
  }

  /**
   * Redeems the ticket and stores the enrollment in one transaction:
   * 1. the ticket: pending ∧ unexpired ∧ attempts < limit ∧ its link generation still the transaction's ∧ its pending
   *    enrollment still the transaction that was verified → redeemed, remembering (the hash of) that transaction;
   * 2. the enrollment, and 3. its pointer by id, both new;
   * 4. the user's enrollment count + 1, which must be 0 unless the ticket allows multiple enrollments.
   * Concurrent redeems of one ticket: exactly one commits; the others see the ticket redeemed.
   */
  async redeem(ticket: TicketRecord, proof: RedeemProof, enrollment: EnrollmentRecord, now: number): Promise<RedeemResult> {
    const pointer: EnrollmentPointerRecord = {
      ...enrollmentPointerKey(enrollment.enrollment_id),
      type: 'enrollment-pointer',
      enrollment_id: enrollment.enrollment_id,
      user_id: enrollment.user_id,
      ...(proof.kind === 'webauthn' ? { credential_id: proof.credentialId } : {}),
    };
    // The TOTP start's transaction, or the registration challenge, unexpired: either is spent by this write alone.
    const spent =
      proof.kind === 'totp'
        ? { condition: 'pending_totp.tx = :tx', values: { ':tx': proof.tx } }
        : { condition: 'pending_webauthn.challenge_hash = :tx AND pending_webauthn.expires_at > :now', values: { ':tx': proof.challengeHash } };
    const generation = sameGeneration(proof.generation);
    const input: TransactWriteCommandInput = {
      TransactItems: [
        {
          Update: {
            TableName: this.tableName,
            Key: ticketKey(ticket.ticket_id),
            UpdateExpression:
              'SET #status = :redeemed, redeemed_at = :now, enrollment_id = :enrollment, redeemed_tx = :tx REMOVE pending_shard, pending_totp, pending_webauthn',
            ConditionExpression: `#status = :pending AND expires_at > :now AND attempts < :max AND ${generation.condition} AND ${spent.condition}`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':redeemed': 'redeemed',
              ':pending': 'pending',
              ':now': now,
              ':max': MAX_ATTEMPTS,
              ...spent.values,
              ...generation.values,
              ':enrollment': enrollment.enrollment_id,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Put: { TableName: this.tableName, Item: enrollment, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: this.tableName, Item: pointer, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Update: {
            TableName: this.tableName,
            Key: userProfileKey(enrollment.user_id),
            UpdateExpression: 'SET #type = :user, user_id = :user_id, updated_at = :now ADD enrollment_count :one',
            ...(ticket.allow_multiple_enrollments
              ? {}
              : { ConditionExpression: 'attribute_not_exists(enrollment_count) OR enrollment_count = :zero' }),
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: {
              ':user': 'user',
              ':user_id': enrollment.user_id,
              ':now': now,
              ':one': 1,
              ...(ticket.allow_multiple_enrollments ? {} : { ':zero': 0 }),
            },
          },
        },
        // One item per credential id: the same key is never registered twice, for this user or another.
        ...(proof.kind === 'webauthn'
          ? [{
              Put: {
                TableName: this.tableName,
                Item: { ...credentialKey(proof.credentialId), type: 'webauthn-credential', user_id: enrollment.user_id, enrollment_id: enrollment.enrollment_id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            }]
          : []),
      ],
    };
    const reasons = await transactWrite(this.db, input);
    if (!reasons) return { ok: true };
    if (reasons[0]?.Code === 'ConditionalCheckFailed') {
      return { ok: false, reason: 'ticket', current: fromWire(reasons[0].Item) ?? (await this.ticket(ticket.ticket_id)) };
    }
    if (reasons[3]?.Code === 'ConditionalCheckFailed') return { ok: false, reason: 'already_enrolled' };
    if (reasons[4]?.Code === 'ConditionalCheckFailed') return { ok: false, reason: 'credential_registered' };
    // Still conflicting after retries: let the caller look at the ticket again.
    return { ok: false, reason: 'busy' };
  }

  /**
   * A user's confirmed enrollments (one Query, paged), secrets left unread. An item whose own user and id disagree
   * with the key it is filed under (an enrollment copied under another user's key) is not theirs and is left out;
   * its secret would not open there either (lib/enrollment/secret-box.ts binds it to the user and enrollment).
   */
  async listForUser(userId: string): Promise<EnrollmentSummary[]> {
    const items: EnrollmentSummary[] = [];
    const pages = paginateQuery({ client: this.db }, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ProjectionExpression: 'sk, user_id, enrollment_id, factor, #status, #name, created_at',
      ExpressionAttributeNames: { '#status': 'status', '#name': 'name' },
      ExpressionAttributeValues: { ':pk': userProfileKey(userId).pk, ':prefix': ENROLLMENT_SK_PREFIX },
      ConsistentRead: true,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { sk, user_id: owner, ...summary } = item as EnrollmentSummary & { sk: string; user_id: string };
        if (owner === userId && sk === `${ENROLLMENT_SK_PREFIX}${summary.enrollment_id}`) items.push(summary);
      }
    }
    return items.sort((a, b) => a.created_at - b.created_at);
  }

  /**
   * Removes an enrollment by id: the pointer, the enrollment and one from the user's count, together. False when
   * there is no such enrollment (or a concurrent delete removed it first).
   */
  async delete(enrollmentId: string, now: number): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: enrollmentPointerKey(enrollmentId), ConsistentRead: true }),
    );
    const pointer = Item as EnrollmentPointerRecord | undefined;
    if (!pointer) return false;
    const reasons = await transactWrite(this.db, {
      TransactItems: [
        { Delete: { TableName: this.tableName, Key: enrollmentPointerKey(enrollmentId), ConditionExpression: 'attribute_exists(pk)' } },
        { Delete: { TableName: this.tableName, Key: enrollmentKey(pointer.user_id, enrollmentId), ConditionExpression: 'attribute_exists(pk)' } },
        {
          Update: {
            TableName: this.tableName,
            Key: userProfileKey(pointer.user_id),
            UpdateExpression: 'SET updated_at = :now ADD enrollment_count :minus_one',
            ConditionExpression: 'enrollment_count > :zero',
            ExpressionAttributeValues: { ':now': now, ':minus_one': -1, ':zero': 0 },
          },
        },
        ...(pointer.credential_id ? [{ Delete: { TableName: this.tableName, Key: credentialKey(pointer.credential_id) } }] : []),
      ],
    });
    if (!reasons) return true;
    if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
    throw new Error(`deleting enrollment ${enrollmentId} kept conflicting with other writes`);
  }

  private async ticket(ticketId: string): Promise<TicketRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: ticketKey(ticketId), ConsistentRead: true }));
    return Item as TicketRecord | undefined;
  }

  private async conditionalUpdate(
    ticketId: string,
    expression: Pick<UpdateCommand['input'], 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<{ ok: true } | Refused> {
    try {
      await this.db.send(
        new UpdateCommand({ TableName: this.tableName, Key: ticketKey(ticketId), ...expression, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return { ok: true };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const item = (err as { Item?: Record<string, unknown> }).Item;
      return { ok: false, current: fromWire(item) ?? (await this.ticket(ticketId)) };
    }
  }
}
