import {
  GetCommand,
  PutCommand,
  UpdateCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { refusedCounters } from '../delivered-code/destination-rate';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isConditionFailure, transactWrite, type CancellationReason } from '../dynamodb-transactions';
import { enrollmentKey, userProfileKey, type EnrollmentRecord } from '../store/records';
import { pendingSendCondition } from '../delivered-code/send-limits';
import type { PendingLoginCode } from '../factors/factor';
import type { FactorMatch } from '../factors/registry';
import { FactorSwitchStore, type FactorSwitches } from '../factors/switches';
import { originUpdate, type RequestOrigin } from '../history/origin';
import { budgetLimit, REFILL_MS, type FailureTat, type Reservation } from './budget';
import { CHALLENGE_MAX_ATTEMPTS, challengeKey, type ChallengeRecord } from './challenge';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type Update = NonNullable<TransactItem['Update']>;

/** A user as the login flow needs them: their enrollments and their failure budget, read in one Query. */
export interface UserMfaState {
  enrollments: EnrollmentRecord[];
  /** `mfa_failure_tat` of the profile item (lib/mfa/budget.ts). */
  failureTat: FailureTat;
}

/** Why a write was refused: the challenge moved on, the proof was spent meanwhile, the budget moved, or contention. */
export type Refusal = 'challenge' | 'spent' | 'budget' | 'busy';
export type WriteResult = { ok: true } | { ok: false; reason: Refusal; challenge?: ChallengeRecord };

/** The challenge a login attempt is made against, as the caller read it. */
export type ChallengeRef = Pick<ChallengeRecord, 'challenge_id'>;

export const resultKey = (jti: string) => ({ pk: `RESULT#${jti}`, sk: 'RESULT' as const });


/**
 * The login side of the table: challenges, the user's enrollments and failure budget, used result ids. Every state
 * change is one conditional write or one transaction; nothing here decides, it only commits what lib/mfa decided
 * under the conditions that make the decision still true.
 */
export class MfaStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putChallenge(challenge: ChallengeRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: challenge, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async getChallenge(challengeId: string): Promise<ChallengeRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: challengeKey(challengeId), ConsistentRead: true }));
    return Item as ChallengeRecord | undefined;
  }

  /** The factor switches (lib/factors/switches.ts): cached per container, so most logins read nothing for them. */
  factorSwitches(): Promise<FactorSwitches> {
    return new FactorSwitchStore(this.db, this.tableName).get();
  }

  /** The user's profile and enrollments: one Query on their partition (strongly consistent). */
  async loadUser(userId: string): Promise<UserMfaState> {
    const state: UserMfaState = { enrollments: [], failureTat: undefined };
    const pages = paginateQuery({ client: this.db }, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': userProfileKey(userId).pk },
      ConsistentRead: true,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (item.type === 'enrollment' && item.status === 'confirmed') state.enrollments.push(item as EnrollmentRecord);
        if (item.sk === 'PROFILE' && typeof item.mfa_failure_tat === 'number') state.failureTat = item.mfa_failure_tat;
      }
    }
    state.enrollments.sort((a, b) => a.created_at - b.created_at);
    return state;
  }

  /**
   * Takes one attempt before a proof is checked, in one transaction: 1. the challenge (if any) pending ∧ unexpired ∧
   * attempts < 5 → attempts + 1; 2. the user's failure budget not spent → one failure more, as `budget` says
   * (lib/mfa/budget.ts `reservationAt`). Both writes are increments, so a burst of attempts does not fight over a
   * compare-and-set: each one that fits commits, the rest are refused (`challenge`: the item as it is; `budget`: read
   * again). The attempt stays a failure unless `accept` gives it back.
   */
  async reserve(input: { userId: string; challenge?: ChallengeRef; budget: Reservation; now: number }): Promise<WriteResult> {
    const { userId, challenge, budget, now } = input;
    const items: TransactItem[] = [];
    if (challenge) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: challengeKey(challenge.challenge_id),
          UpdateExpression: 'SET attempts = attempts + :one, last_attempt_at = :now',
          ConditionExpression: '#status = :pending AND expires_at > :now AND attempts < :max',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':now': now, ':pending': 'pending', ':max': CHALLENGE_MAX_ATTEMPTS },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    items.push({
      Update: {
        TableName: this.tableName,
        Key: userProfileKey(userId),
        UpdateExpression: `SET mfa_failure_tat = ${budget.fresh ? ':now + :refill' : 'mfa_failure_tat + :refill'}, #type = if_not_exists(#type, :user), user_id = if_not_exists(user_id, :user_id)`,
        ConditionExpression: budget.fresh
          ? 'attribute_not_exists(mfa_failure_tat) OR mfa_failure_tat <= :now'
          : 'mfa_failure_tat > :above AND mfa_failure_tat <= :atMost',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':refill': REFILL_MS,
          ':user': 'user',
          ':user_id': userId,
          ...(budget.fresh ? { ':now': now } : { ':above': budget.above, ':atMost': budget.atMost }),
        },
      },
    });
    const reasons = await transactWrite(this.db, { TransactItems: items });
    if (!reasons) return { ok: true };
    return this.refusal(reasons, challenge ? ['challenge', 'budget'] : ['budget']);
  }

  /**
   * A right proof on its reserved attempt, in one transaction: 1. the challenge (if any) pending ∧ unexpired →
   * accepted, its attempt given back; 2. the proof spent on its enrollment (TOTP step newer than the last; recovery
   * code still the stored one; WebAuthn counter as read); `deviceTx` (the hash of a device-protocol transaction id) is recorded as `accepted_tx`; 3. with `refund`, the budget's attempt given back — unless a
   * lockout was recorded since it was reserved (`reservedAt`): then it stays spent, as the lockout said. Concurrent
   * uses of one code: exactly one commits.
   */
  async accept(input: { userId: string; challenge?: ChallengeRef; match: FactorMatch; now: number; deviceTx?: string; refund?: { reservedAt: number }; origin?: RequestOrigin }): Promise<WriteResult> {
    const { userId, challenge, match, now, deviceTx, refund } = input;
    const from = originUpdate(input.origin, now);
    const items: TransactItem[] = [];
    const spend = match.spend;
    // A sent code lives on the challenge itself: its spend is part of the challenge's write (one item, one operation).
    const codeSpend = spend.kind === 'pending-code' ? spend : undefined;
    if (codeSpend && !challenge) throw new Error('a sent code is spent on its challenge');
    if (challenge) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: challengeKey(challenge.challenge_id),
          UpdateExpression: `SET #status = :accepted, accepted_at = :now, #method = :method, enrollment_id = :enrollment, attempts = attempts - :one${match.amr ? ', amr = :amr' : ''}${deviceTx ? ', accepted_tx = :tx' : ''}${from.set}${codeSpend ? ' REMOVE pending_code' : ''}`,
          ConditionExpression: `#status = :pending AND expires_at > :now${codeSpend ? ' AND pending_code.#hash = :codeHash' : ''}`,
          ExpressionAttributeNames: { '#status': 'status', '#method': 'method', ...(codeSpend ? { '#hash': 'hash' } : {}) },
          ExpressionAttributeValues: {
            ...(codeSpend ? { ':codeHash': codeSpend.hash } : {}),
            ':accepted': 'accepted',
            ':pending': 'pending',
            ':now': now,
            ':one': 1,
            ':method': match.method,
            ':enrollment': match.enrollment.enrollment_id,
            ...(match.amr ? { ':amr': [...match.amr] } : {}),
            ...(deviceTx ? { ':tx': deviceTx } : {}),
            ...from.values,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    const key = enrollmentKey(userId, match.enrollment.enrollment_id);
    items.push({
      Update:
        spend.kind === 'pending-code'
          ? {
              // The enrollment the code was sent to must still be there (not removed since the send).
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'SET last_used_at = :now',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':now': now },
            }
          : spend.kind === 'totp-step'
          ? {
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'SET last_used_step = :step, last_used_at = :now',
              ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_step) OR last_used_step < :step)',
              ExpressionAttributeValues: { ':step': spend.step, ':now': now },
            }
          : spend.kind === 'webauthn-counter'
          ? {
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'SET sign_count = :next, last_used_at = :now',
              ConditionExpression: 'sign_count = :seen',
              ExpressionAttributeValues: { ':next': spend.next, ':seen': spend.seen, ':now': now },
            }
          : {
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'SET recovery_code_hash = :next, recovery_code_used_at = :now',
              ConditionExpression: 'recovery_code_hash = :used',
              ExpressionAttributeValues: { ':next': spend.nextHash, ':used': spend.usedHash, ':now': now },
            },
    });
    if (refund) items.push({ Update: this.giveBackUpdate(userId, refund.reservedAt) });
    const reasons = await transactWrite(this.db, { TransactItems: items });
    if (!reasons) return { ok: true };
    const refused = this.refusal(reasons, challenge ? ['challenge', 'spent', 'budget'] : ['spent', 'budget']);
    // Still pending but waiting for another code (a newer send replaced it, or a concurrent login spent it): for this
    // proof it is a replay, not a challenge that moved on.
    const old = refused.ok ? undefined : refused.challenge;
    if (codeSpend && old && old.status === 'pending' && old.expires_at > now && old.pending_code?.hash !== codeSpend.hash) {
      return { ok: false, reason: 'spent' };
    }
    return refused;
  }

  /**
   * Stores the code a challenge now waits for, and takes the send from its destination's hour, in one transaction:
   * 1. the challenge pending ∧ unexpired ∧ the send rules (`pendingSendCondition`: cooldown, sends left) →
   * `pending_code` replaced; 2. `destination`, the per-destination counter's update (lib/delivered-code/
   * destination-rate.ts `destinationSendUpdate`). A refusal by either leaves both as they were: nothing is sent, and a
   * request refused by its challenge costs the destination nothing. Refused: `challenge` (with the item as it is) or
   * `destination`.
   */
  async putPendingCode(input: { challengeId: string; pending: PendingLoginCode; destination: Update; caps?: readonly Update[]; now: number }): Promise<
    { ok: true } | { ok: false; reason: 'challenge' | 'busy'; challenge?: ChallengeRecord } | { ok: false; reason: 'destination'; refused?: number[] }
  > {
    const { challengeId, pending, destination, caps = [], now } = input;
    const send = pendingSendCondition('pending_code', now);
    const reasons = await transactWrite(this.db, {
      TransactItems: [
        {
          Update: {
            TableName: this.tableName,
            Key: challengeKey(challengeId),
            UpdateExpression: 'SET #codePending = :code',
            ConditionExpression: `#status = :pending AND expires_at > :now AND ${send.ConditionExpression}`,
            ExpressionAttributeNames: { '#status': 'status', ...send.ExpressionAttributeNames },
            ExpressionAttributeValues: { ':code': pending, ':pending': 'pending', ':now': now, ...send.ExpressionAttributeValues },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Update: destination },
        ...caps.map((Update) => ({ Update })),
      ],
    });
    if (!reasons) return { ok: true };
    const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
    if (index < 0) return { ok: false, reason: 'busy' };
    // Which counters refused (0: the destination's hour, then `caps` in order): the answer waits for the longest.
    if (index >= 1) return { ok: false, reason: 'destination', refused: refusedCounters(reasons) };
    const item = reasons[0]?.Item;
    return { ok: false, reason: 'challenge', challenge: item ? (unmarshall(item as never) as ChallengeRecord) : undefined };
  }

  /** The budget's attempt given back alone (a right proof whose challenge ended meanwhile); false when it stays spent. */
  async giveBack(userId: string, reservedAt: number): Promise<boolean> {
    return this.conditionalUpdate(this.giveBackUpdate(userId, reservedAt));
  }

  /**
   * A wrong proof keeps its reserved attempt; the challenge counts it as a failure too. Returns the challenge after
   * the write (undefined when it is gone): once `failures` reaches 5, every attempt the challenge ever gave was a
   * wrong proof, and the request that sees it locks the challenge (`lockChallenge`).
   */
  async keepFailure(challengeId: string, now: number): Promise<Pick<ChallengeRecord, 'attempts' | 'failures'> | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: challengeKey(challengeId),
          UpdateExpression: 'SET failures = if_not_exists(failures, :zero) + :one, last_attempt_at = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as Pick<ChallengeRecord, 'attempts' | 'failures'>;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /** pending ∧ unexpired ∧ 5 failures kept → locked; false when it was not (ended meanwhile). */
  lockChallenge(challengeId: string, now: number, origin?: RequestOrigin): Promise<boolean> {
    const from = originUpdate(origin, now);
    return this.conditionalUpdate({
      TableName: this.tableName,
      Key: challengeKey(challengeId),
      UpdateExpression: `SET #status = :locked, locked_at = :now${from.set}`,
      ConditionExpression: '#status = :pending AND expires_at > :now AND failures >= :max',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':locked': 'locked', ':pending': 'pending', ':now': now, ':max': CHALLENGE_MAX_ATTEMPTS, ...from.values },
    });
  }

  /**
   * The wrong proof that held the budget's last attempt records the lockout (`locked_out_at`, the `MFA User Locked
   * Out` event) — if the budget is still spent now (a right proof in flight may have given its attempt back first).
   * Returns the budget's value when it recorded it.
   */
  async recordLockout(userId: string, now: number, origin?: RequestOrigin): Promise<FailureTat> {
    const from = originUpdate(origin, now);
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: userProfileKey(userId),
          UpdateExpression: `SET locked_out_at = :now${from.set}`,
          ConditionExpression: 'mfa_failure_tat > :limit',
          ExpressionAttributeValues: { ':now': now, ':limit': budgetLimit(now), ...from.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes?.mfa_failure_tat as number;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /** Marks a result id used; false when it was used before. The item lives as long as the result could verify. */
  async useResultOnce(jti: string, expiresAtSec: number, now: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...resultKey(jti), type: 'result', jti, used_at: now, ttl: expiresAtSec + 3600 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Gives the user a new recovery code: its hash on `target`, and the other enrollments' codes removed, together (the
   * vendor's user has one recovery code; the old one stops working).
   */
  async replaceRecoveryCode(userId: string, target: { enrollmentId: string; hash: string }, others: readonly string[], now: number): Promise<boolean> {
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.tableName,
          Key: enrollmentKey(userId, target.enrollmentId),
          UpdateExpression: 'SET recovery_code_hash = :hash, recovery_code_issued_at = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':hash': target.hash, ':now': now },
        },
      },
      ...others.map(
        (enrollmentId): TransactItem => ({
          Update: {
            TableName: this.tableName,
            Key: enrollmentKey(userId, enrollmentId),
            UpdateExpression: 'REMOVE recovery_code_hash',
            ConditionExpression: 'attribute_exists(pk)',
          },
        }),
      ),
    ];
    return (await transactWrite(this.db, { TransactItems: items })) === undefined;
  }

  private giveBackUpdate(userId: string, reservedAt: number): Update {
    return {
      TableName: this.tableName,
      Key: userProfileKey(userId),
      UpdateExpression: 'SET mfa_failure_tat = mfa_failure_tat - :refill',
      // Not while the budget is spent: then another request holds its last attempt, and giving one back would let a
      // further request take the last attempt again (two lockouts for one). The attempt then stays spent.
      ConditionExpression:
        'attribute_exists(mfa_failure_tat) AND mfa_failure_tat <= :limit AND (attribute_not_exists(locked_out_at) OR locked_out_at < :reserved)',
      ExpressionAttributeValues: { ':refill': REFILL_MS, ':reserved': reservedAt, ':limit': budgetLimit(reservedAt) },
    };
  }

  private async conditionalUpdate(update: Update): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand(update));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  private refusal(reasons: CancellationReason[], order: Array<Exclude<Refusal, 'busy'>>): WriteResult {
    const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
    if (index < 0) return { ok: false, reason: 'busy' };
    const reason = order[index]!;
    const item = reasons[index]?.Item;
    return { ok: false, reason, challenge: reason === 'challenge' && item ? (unmarshall(item as never) as ChallengeRecord) : undefined };
  }
}
