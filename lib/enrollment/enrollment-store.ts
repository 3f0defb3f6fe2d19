import {
  GetCommand,
  paginateQuery,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isConditionFailure, transactWrite } from '../dynamodb-transactions';
import { MAX_ATTEMPTS, ticketKey, type TicketRecord } from '../tickets/ticket';
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

/** What the redeem spends: the TOTP start's transaction, or the registration challenge (and the credential it made). */
export type RedeemProof =
  | { kind: 'totp'; tx: string }
  | { kind: 'webauthn'; challengeHash: string; credentialId: string };


/** A ticket as it was when a condition on it failed (undefined: gone). */
export type Refused = { ok: false; current: TicketRecord | undefined };

export type WrongCodeResult = { ok: true; attempts: number; locked: boolean } | Refused;

export type RedeemResult =
  | { ok: true }
  | ({ reason: 'ticket' } & Refused)
  | { ok: false; reason: 'already_enrolled' }
  | { ok: false; reason: 'credential_registered' }
  | { ok: false; reason: 'busy' };

/**
 * How many older recovery codes one redeem retires: a transaction holds at most 100 items and a redeem writes up to 5
 * of its own. Since every redeem and regeneration leaves one live code per user, more holders than this only exist for
 * a user with that many enrollments confirmed before codes were retired; each later redeem retires the next ones.
 */
export const RETIRED_CODES_PER_REDEEM = 90;

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
   */
  async setPendingTotp(ticketId: string, pending: PendingTotp, now: number): Promise<{ ok: true } | Refused> {
    return this.conditionalUpdate(ticketId, {
      UpdateExpression: 'SET pending_totp = :pending_totp',
      ConditionExpression: '#status = :pending AND expires_at > :now AND attempts < :max',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending_totp': pending, ':pending': 'pending', ':now': now, ':max': MAX_ATTEMPTS },
    });
  }

  /**
   * Puts the registration challenge a start offers on the pending ticket, replacing any earlier one: only the latest
   * start's ceremony can redeem it, once, before its own expiry.
   */
  async setPendingWebauthn(ticketId: string, pending: PendingWebauthn, now: number): Promise<{ ok: true } | Refused> {
    return this.conditionalUpdate(ticketId, {
      UpdateExpression: 'SET pending_webauthn = :pending_webauthn',
      ConditionExpression: '#status = :pending AND expires_at > :now AND attempts < :max',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending_webauthn': pending, ':pending': 'pending', ':now': now, ':max': MAX_ATTEMPTS },
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
   * The user's enrollments that hold a live recovery code (ids, at most RETIRED_CODES_PER_REDEEM), for the redeem of
   * a further enrollment to retire them: a user has one live code, the latest one shown. Read by key from the user's
   * partition, so the redeem removes exactly the items read.
   */
  async recoveryCodeHolders(userId: string): Promise<string[]> {
    const ids: string[] = [];
    const pages = paginateQuery({ client: this.db }, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'attribute_exists(recovery_code_hash)',
      ProjectionExpression: 'sk, enrollment_id',
      ExpressionAttributeValues: { ':pk': userProfileKey(userId).pk, ':prefix': ENROLLMENT_SK_PREFIX },
      ConsistentRead: true,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const id = String(item.enrollment_id);
        // An item filed under another id than its own is not one of this user's enrollments as the redeem keys them.
        if (item.sk === `${ENROLLMENT_SK_PREFIX}${id}`) ids.push(id);
        if (ids.length === RETIRED_CODES_PER_REDEEM) return ids;
      }
    }
    return ids;
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
   * 1. the ticket: pending ∧ unexpired ∧ attempts < limit ∧ its pending enrollment still the transaction that was
   *    verified → redeemed, remembering (the hash of) that transaction;
   * 2. the enrollment, and 3. its pointer by id, both new;
   * 4. the user's enrollment count + 1, which must be 0 unless the ticket allows multiple enrollments;
   * 5. for a security key or passkey, its credential id item, new;
   * 6. the recovery codes of `retiredCodes` (the user's other enrollments holding one, from recoveryCodeHolders)
   *    removed, each while still there: the new enrollment's code becomes the user's only live one, as a regeneration
   *    leaves it. A code spent, moved or deleted since the read cancels the redeem (`busy`: the caller answers retry).
   * Concurrent redeems of one ticket: exactly one commits; the others see the ticket redeemed.
   */
  async redeem(ticket: TicketRecord, proof: RedeemProof, enrollment: EnrollmentRecord, now: number, retiredCodes: readonly string[]): Promise<RedeemResult> {
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
    const input: TransactWriteCommandInput = {
      TransactItems: [
        {
          Update: {
            TableName: this.tableName,
            Key: ticketKey(ticket.ticket_id),
            UpdateExpression:
              'SET #status = :redeemed, redeemed_at = :now, enrollment_id = :enrollment, redeemed_tx = :tx REMOVE pending_shard, pending_totp, pending_webauthn',
            ConditionExpression: `#status = :pending AND expires_at > :now AND attempts < :max AND ${spent.condition}`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':redeemed': 'redeemed',
              ':pending': 'pending',
              ':now': now,
              ':max': MAX_ATTEMPTS,
              ...spent.values,
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
        ...retiredCodes.slice(0, RETIRED_CODES_PER_REDEEM).map((enrollmentId) => ({
          Update: {
            TableName: this.tableName,
            Key: enrollmentKey(enrollment.user_id, enrollmentId),
            UpdateExpression: 'REMOVE recovery_code_hash',
            ConditionExpression: 'attribute_exists(recovery_code_hash)',
          },
        })),
      ],
    };
    const reasons = await transactWrite(this.db, input);
    if (!reasons) return { ok: true };
    if (reasons[0]?.Code === 'ConditionalCheckFailed') {
      return { ok: false, reason: 'ticket', current: fromWire(reasons[0].Item) ?? (await this.ticket(ticket.ticket_id)) };
    }
    if (reasons[3]?.Code === 'ConditionalCheckFailed') return { ok: false, reason: 'already_enrolled' };
    if (proof.kind === 'webauthn' && reasons[4]?.Code === 'ConditionalCheckFailed') return { ok: false, reason: 'credential_registered' };
    // Still conflicting after retries, or an older recovery code changed meanwhile: let the caller look again.
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
