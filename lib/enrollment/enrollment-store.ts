import { FACTORS } from '../factors/registry';
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
  type PendingStart,
  type WebauthnEnrollmentRecord,
  credentialKey,
} from '../store/records';
import type { ListedEnrollment } from '../factors/factor';
import { originUpdate, type RequestOrigin } from '../history/origin';
import { storeSentCode, type StoreSentCodeArgs } from './sent-code-store';

/**
 * What an attempt is made with: the TOTP start's transaction, or the registration challenge, each under the link
 * generation it was started with. A reservation and the redeem both require it to be still the ticket's.
 */
export type AttemptProof =
  | { kind: 'totp'; tx: string; generation: number }
  | { kind: 'webauthn'; challengeHash: string; generation: number }
  /** A start made through a factor's `begin` (the generic `pending` record): its transaction. */
  | { kind: 'pending'; tx: string; generation: number };

/** What the redeem spends: the attempt's proof (and, for a security key, the credential it made). */
export type RedeemProof =
  | Extract<AttemptProof, { kind: 'totp' | 'pending' }>
  | (Extract<AttemptProof, { kind: 'webauthn' }> & { credentialId: string });

/** The ticket's pending proof and link generation still those of `proof` (the challenge unexpired), as a condition. */
function proofCondition(proof: AttemptProof): { condition: string; values: Record<string, unknown> } {
  const generation = sameGeneration(proof.generation);
  if (proof.kind === 'pending') return { condition: `${generation.condition} AND pending.tx = :tx`, values: { ...generation.values, ':tx': proof.tx } };
  return proof.kind === 'totp'
    ? { condition: `${generation.condition} AND pending_totp.tx = :tx`, values: { ...generation.values, ':tx': proof.tx } }
    : {
        condition: `${generation.condition} AND pending_webauthn.challenge_hash = :tx AND pending_webauthn.expires_at > :now`,
        values: { ...generation.values, ':tx': proof.challengeHash },
      };
}


/** A ticket as it was when a condition on it failed (undefined: gone). */
export type Refused = { ok: false; current: TicketRecord | undefined };

/** An attempt taken: `attempts` is the ticket's count including it (1..MAX_ATTEMPTS). */
export type Reservation = { ok: true; attempts: number } | Refused;

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
export type EnrollmentSummary = ListedEnrollment;

/** The pointer from an enrollment's id to its user (and credential, so removing it frees the uniqueness item). */
const pointerOf = (enrollment: EnrollmentRecord, credentialId: string | undefined): EnrollmentPointerRecord => ({
  ...enrollmentPointerKey(enrollment.enrollment_id),
  type: 'enrollment-pointer',
  enrollment_id: enrollment.enrollment_id,
  user_id: enrollment.user_id,
  ...(credentialId ? { credential_id: credentialId } : {}),
});

/** One item per credential id: the same key is never registered twice, for this user or another. */
const credentialPut = (tableName: string, credentialId: string, enrollment: EnrollmentRecord, sameUserMayHoldIt = false) => ({
  Put: {
    TableName: tableName,
    Item: { ...credentialKey(credentialId), type: 'webauthn-credential', user_id: enrollment.user_id, enrollment_id: enrollment.enrollment_id },
    ...(sameUserMayHoldIt
      ? { ConditionExpression: 'attribute_not_exists(pk) OR user_id = :user', ExpressionAttributeValues: { ':user': enrollment.user_id } }
      : { ConditionExpression: 'attribute_not_exists(pk)' }),
  },
});

/** What a user's enrollment is when read whole for the admin API: secrets and the recovery code hash dropped. */
/** Every attribute an enrollment keeps sealed: what each factor declares, and the enrolling ticket's address. */
export const SEALED_ATTRIBUTES: ReadonlySet<string> = new Set([...FACTORS.flatMap((factor) => factor.sealed ?? []), 'contact_email']);

export type EnrollmentDetail = EnrollmentRecord extends infer E
  ? E extends EnrollmentRecord
    ? Omit<E, 'totp_secret' | 'recovery_code_hash'> & {
        /** Whether it carries the user's live recovery code (never the hash itself). */
        holds_recovery_code: boolean;
      }
    : never
  : never;

/** An enrollment to write outside a redeem (an import): the item and, for a key, its credential id. */
export interface NewEnrollment {
  enrollment: EnrollmentRecord;
  credentialId?: string;
}

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

  /**
   * Puts the start a factor's `begin` made on the pending ticket, replacing any earlier start's (of any factor): only
   * the latest start can take a code or confirm, and only under the link generation it was started with.
   */
  async setPendingStart(ticketId: string, pending: PendingStart, now: number): Promise<{ ok: true } | Refused> {
    return this.setPending(ticketId, 'pending', pending, now);
  }

  /** Stores the code sent for the ticket's latest start: `storeSentCode` (./sent-code-store.ts) on this table. */
  async storeSentCode(...args: StoreSentCodeArgs): ReturnType<typeof storeSentCode> {
    return storeSentCode(this.db, this.tableName, ...args);
  }

  private async setPending(ticketId: string, field: 'pending_totp' | 'pending_webauthn' | 'pending', pending: { generation: number }, now: number) {
    const generation = sameGeneration(pending.generation);
    return this.conditionalUpdate(ticketId, {
      // Not `:${field}`: `:pending` already holds the status value.
      UpdateExpression: `SET ${field} = :offered`,
      ConditionExpression: `#status = :pending AND expires_at > :now AND attempts < :max AND ${generation.condition}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':offered': pending, ':pending': 'pending', ':now': now, ':max': MAX_ATTEMPTS, ...generation.values },
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
   * Takes one of the ticket's attempts BEFORE a code or ceremony is checked: pending ∧ unexpired ∧ attempts < limit ∧
   * the proof still the ticket's → attempts + 1, in one conditional write. So however many requests race, at most
   * MAX_ATTEMPTS proofs per ticket are ever checked; the others are refused unchecked (the item says why). A wrong
   * proof keeps its attempt, a right one gives it back in the redeem.
   */
  async reserveAttempt(ticketId: string, proof: AttemptProof, now: number): Promise<Reservation> {
    const spent = proofCondition(proof);
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ticketKey(ticketId),
          UpdateExpression: 'SET attempts = attempts + :one, last_attempt_at = :now',
          ConditionExpression: `#status = :pending AND expires_at > :now AND attempts < :max AND ${spent.condition}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':pending': 'pending', ':now': now, ':max': MAX_ATTEMPTS, ...spent.values },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, attempts: Number(Attributes?.attempts) };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const item = (err as { Item?: Record<string, unknown> }).Item;
      return { ok: false, current: fromWire(item) ?? (await this.ticket(ticketId)) };
    }
  }

  /**
   * Counts a wrong proof that held an attempt (`failures` + 1; attempts stay as reserved). Returns the failures
   * counted, or the ticket as it is when it is no longer pending (a right proof redeemed it meanwhile, it expired).
   */
  async keepFailure(ticketId: string, now: number): Promise<{ ok: true; failures: number } | Refused> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ticketKey(ticketId),
          UpdateExpression: 'SET failures = if_not_exists(failures, :zero) + :one, last_attempt_at = :now',
          ConditionExpression: '#status = :pending AND expires_at > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':pending': 'pending', ':now': now },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, failures: Number(Attributes?.failures) };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const item = (err as { Item?: Record<string, unknown> }).Item;
      return { ok: false, current: fromWire(item) ?? (await this.ticket(ticketId)) };
    }
  }

  /**
   * Locks the ticket: out of the pending index, pending secret and challenge dropped. `failures`: every attempt was
   * a wrong proof (so no right one is still being checked: it never loses to the lock); `attempts`: every attempt is
   * taken and the holders are long gone (checks that never finished count as wrong).
   */
  async lockExhausted(ticketId: string, now: number, counted: 'failures' | 'attempts' = 'failures', origin?: RequestOrigin): Promise<{ ok: true } | Refused> {
    const from = originUpdate(origin, now);
    return this.conditionalUpdate(ticketId, {
      UpdateExpression: `SET #status = :locked, locked_at = :now${from.set} REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code`,
      ConditionExpression: `#status = :pending AND expires_at > :now AND ${counted} >= :max`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':locked': 'locked', ':pending': 'pending', ':now': now, ':max': MAX_ATTEMPTS, ...from.values },
    });
  }

  /**
   * Gives back the attempt of a proof that verified but did not redeem (already enrolled, a credential already
   * registered, a conflict): a right proof never costs an attempt. A no-op once the ticket ended.
   */
  async releaseAttempt(ticketId: string, now: number): Promise<void> {
    await this.conditionalUpdate(ticketId, {
      UpdateExpression: 'SET attempts = attempts - :one',
      ConditionExpression: '#status = :pending AND expires_at > :now AND attempts > :zero',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':pending': 'pending', ':now': now },
    });
  }

  /**
   * Redeems the ticket and stores the enrollment in one transaction:
   * 1. the ticket: pending ∧ unexpired ∧ 1 ≤ attempts ≤ limit (this request holds one, reserved before its proof was
   *    checked, and gives it back) ∧ its link generation still the proof's ∧ its pending enrollment still the
   *    transaction (or challenge) that was verified → redeemed, remembering (the hash of) that transaction;
   * 2. the enrollment, and 3. its pointer by id, both new;
   * 4. the user's enrollment count + 1, which must be 0 unless the ticket allows multiple enrollments;
   * 5. for a security key or passkey, its credential id item, new;
   * 6. the recovery codes of `retiredCodes` (the user's other enrollments holding one, from recoveryCodeHolders)
   *    removed, each while still there: the new enrollment's code becomes the user's only live one, as a regeneration
   *    leaves it. A code spent, moved or deleted since the read cancels the redeem (`busy`: the caller answers retry).
   * Concurrent redeems of one ticket: exactly one commits; the others see the ticket redeemed.
   */
  async redeem(ticket: TicketRecord, proof: RedeemProof, enrollment: EnrollmentRecord, now: number, retiredCodes: readonly string[], origin?: RequestOrigin): Promise<RedeemResult> {
    // Both the ticket's redemption and the enrollment's creation are events: each item keeps where it came from.
    const from = originUpdate(origin, now);
    const pointer = pointerOf(enrollment, proof.kind === 'webauthn' ? proof.credentialId : undefined);
    // The TOTP start's transaction, or the registration challenge, unexpired: either is spent by this write alone.
    const spent = proofCondition(proof);
    const input: TransactWriteCommandInput = {
      TransactItems: [
        {
          Update: {
            TableName: this.tableName,
            Key: ticketKey(ticket.ticket_id),
            UpdateExpression:
              `SET #status = :redeemed, redeemed_at = :now, enrollment_id = :enrollment, redeemed_tx = :tx, attempts = attempts - :one${from.set} REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code`,
            ConditionExpression: `#status = :pending AND expires_at > :now AND attempts BETWEEN :one AND :max AND ${spent.condition}`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':redeemed': 'redeemed',
              ':pending': 'pending',
              ':now': now,
              ':max': MAX_ATTEMPTS,
              ':one': 1,
              ...spent.values,
              ':enrollment': enrollment.enrollment_id,
              ...from.values,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Put: { TableName: this.tableName, Item: origin ? { ...enrollment, origin: from.values[':origin'] } : enrollment, ConditionExpression: 'attribute_not_exists(pk)' } },
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
        ...(proof.kind === 'webauthn' ? [credentialPut(this.tableName, proof.credentialId, enrollment)] : []),
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
   * its secret would not open there either (lib/crypto/secret-box.ts binds it to the user and enrollment).
   */
  async listForUser(userId: string): Promise<EnrollmentSummary[]> {
    const items: EnrollmentSummary[] = [];
    const pages = paginateQuery({ client: this.db }, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ProjectionExpression: 'sk, user_id, enrollment_id, factor, #status, #name, created_at, masked_email, masked_phone, preferred_authentication_method',
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
    const [pointerItem, enrollmentItem, ...credentialItems] = this.removal(pointer);
    const reasons = await transactWrite(this.db, {
      TransactItems: [
        pointerItem!,
        enrollmentItem!,
        {
          Update: {
            TableName: this.tableName,
            Key: userProfileKey(pointer.user_id),
            UpdateExpression: 'SET updated_at = :now ADD enrollment_count :minus_one',
            ConditionExpression: 'enrollment_count > :zero',
            ExpressionAttributeValues: { ':now': now, ':minus_one': -1, ':zero': 0 },
          },
        },
        ...credentialItems,
      ],
    });
    if (!reasons) return true;
    if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
    throw new Error(`deleting enrollment ${enrollmentId} kept conflicting with other writes`);
  }

  /** The deletes that remove one enrollment: its pointer and item (each while there), and its credential's uniqueness item. */
  private removal(pointer: Pick<EnrollmentPointerRecord, 'enrollment_id' | 'user_id' | 'credential_id'>) {
    return [
      { Delete: { TableName: this.tableName, Key: enrollmentPointerKey(pointer.enrollment_id), ConditionExpression: 'attribute_exists(pk)' } },
      { Delete: { TableName: this.tableName, Key: enrollmentKey(pointer.user_id, pointer.enrollment_id), ConditionExpression: 'attribute_exists(pk)' } },
      ...(pointer.credential_id ? [{ Delete: { TableName: this.tableName, Key: credentialKey(pointer.credential_id) } }] : []),
    ];
  }

  /**
   * A user's enrollments whole (one Query, paged), for the admin API's authentication methods: the TOTP secret and
   * the recovery code hash are never returned (only whether a code is held). Items filed under another user's key
   * are left out, as in `listForUser`.
   */
  async detailsForUser(userId: string): Promise<EnrollmentDetail[]> {
    const items: EnrollmentDetail[] = [];
    const pages = paginateQuery({ client: this.db }, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userProfileKey(userId).pk, ':prefix': ENROLLMENT_SK_PREFIX },
      ConsistentRead: true,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        // Sealed values stay in the table (a secret, an address, a number, the ticket's kept address), and the code's hash.
        const { recovery_code_hash: code, ...rest } = Object.fromEntries(
          Object.entries(item).filter(([name]) => !SEALED_ATTRIBUTES.has(name)),
        ) as EnrollmentRecord;
        if (rest.user_id === userId && rest.sk === `${ENROLLMENT_SK_PREFIX}${rest.enrollment_id}` && rest.type === 'enrollment') {
          items.push({ ...rest, holds_recovery_code: typeof code === 'string' } as EnrollmentDetail);
        }
      }
    }
    return items.sort((a, b) => a.created_at - b.created_at);
  }

  /**
   * Writes enrollments that come from elsewhere (an import), and with `replacing` removes those enrollments first, in
   * ONE transaction: each enrollment with its pointer (and a key's uniqueness item, refused if anyone registered that
   * credential), and the user's count moved by the difference (`ADD`, so a redeem committing meanwhile stays counted).
   * `credential_registered` names the credential already taken; `busy`: something changed meanwhile (retry).
   */
  async writeImported(
    userId: string,
    added: readonly NewEnrollment[],
    now: number,
    replacing: ReadonlyArray<Pick<EnrollmentPointerRecord, 'enrollment_id' | 'user_id' | 'credential_id'>> = [],
  ): Promise<{ ok: true } | { ok: false; reason: 'credential_registered'; credentialId: string } | { ok: false; reason: 'busy' }> {
    // A key both removed and added again (a replace that keeps it) is one write of its uniqueness item: DynamoDB allows
    // one operation per item in a transaction, and the item may then already be this user's.
    const kept = new Set(replacing.flatMap((p) => (p.credential_id && added.some((a) => a.credentialId === p.credential_id) ? [p.credential_id] : [])));
    const removals = replacing.flatMap((pointer) => this.removal(pointer.credential_id && kept.has(pointer.credential_id) ? { ...pointer, credential_id: undefined } : pointer));
    const writes = added.flatMap(({ enrollment, credentialId }) => [
      { Put: { TableName: this.tableName, Item: enrollment, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: pointerOf(enrollment, credentialId), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...(credentialId ? [credentialPut(this.tableName, credentialId, enrollment, kept.has(credentialId))] : []),
    ]);
    const profile = {
      Update: {
        TableName: this.tableName,
        Key: userProfileKey(userId),
        UpdateExpression: 'SET #type = :user, user_id = :user_id, updated_at = :now ADD enrollment_count :delta',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':user': 'user', ':user_id': userId, ':now': now, ':delta': added.length - replacing.length },
      },
    };
    const items = [...removals, ...writes, profile];
    const reasons = await transactWrite(this.db, { TransactItems: items });
    if (!reasons) return { ok: true };
    const taken = reasons.findIndex((r, i) => r?.Code === 'ConditionalCheckFailed' && String((items[i] as { Put?: { Item: { pk: string } } }).Put?.Item.pk ?? '').startsWith('WEBAUTHN#'));
    if (taken >= 0) return { ok: false, reason: 'credential_registered', credentialId: String((items[taken] as { Put: { Item: { pk: string } } }).Put.Item.pk).slice('WEBAUTHN#'.length) };
    return { ok: false, reason: 'busy' };
  }

  /** Whose enrollment an id is (its pointer), or undefined. */
  async ownerOf(enrollmentId: string): Promise<Pick<EnrollmentPointerRecord, 'user_id' | 'credential_id'> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: enrollmentPointerKey(enrollmentId), ConsistentRead: true, ProjectionExpression: 'user_id, credential_id' }),
    );
    return Item as Pick<EnrollmentPointerRecord, 'user_id' | 'credential_id'> | undefined;
  }

  /**
   * Changes one of the user's enrollments as the vendor's PATCH does: `name`, and the way a factor with several sends
   * its codes (`preferred_authentication_method`, only on an enrollment that has one). False when it is not theirs, or
   * has no such field to change.
   */
  async update(userId: string, enrollmentId: string, changes: { name?: string; preferred_authentication_method?: 'sms' | 'voice' }): Promise<boolean> {
    const set = [
      ...(changes.name !== undefined ? ['#name = :name'] : []),
      ...(changes.preferred_authentication_method !== undefined ? ['preferred_authentication_method = :way'] : []),
    ];
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: enrollmentKey(userId, enrollmentId),
          UpdateExpression: `SET ${set.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND user_id = :user AND enrollment_id = :id${changes.preferred_authentication_method !== undefined ? ' AND attribute_exists(preferred_authentication_method)' : ''}`,
          ...(changes.name !== undefined ? { ExpressionAttributeNames: { '#name': 'name' } } : {}),
          ExpressionAttributeValues: {
            ':user': userId,
            ':id': enrollmentId,
            ...(changes.name !== undefined ? { ':name': changes.name } : {}),
            ...(changes.preferred_authentication_method !== undefined ? { ':way': changes.preferred_authentication_method } : {}),
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
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
