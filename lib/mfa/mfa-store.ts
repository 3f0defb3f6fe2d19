import {
  GetCommand,
  PutCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isConditionFailure, transactWrite, type CancellationReason } from '../dynamodb-transactions';
import { enrollmentKey, userProfileKey, type EnrollmentRecord } from '../enrollment/records';
import type { FactorMatch } from '../factors';
import { budgetLimit, type FailureTat } from './budget';
import { CHALLENGE_MAX_ATTEMPTS, challengeKey, type ChallengeRecord } from './challenge';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A user as the login flow needs them: their enrollments and their failure budget, read in one Query. */
export interface UserMfaState {
  enrollments: EnrollmentRecord[];
  /** `mfa_failure_tat` of the profile item (lib/mfa/budget.ts). */
  failureTat: FailureTat;
}

/** Why a write was refused: the challenge moved on, the proof was spent meanwhile, the budget ran out, or contention. */
export type Refusal = 'challenge' | 'spent' | 'budget' | 'busy';
export type WriteResult = { ok: true } | { ok: false; reason: Refusal; challenge?: ChallengeRecord };

/** The challenge a login attempt is made against, as the caller read it. */
export type ChallengeRef = Pick<ChallengeRecord, 'challenge_id' | 'attempts'>;

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
   * A right proof, in one transaction: 1. the challenge (if any) pending ∧ unexpired ∧ under its attempt limit →
   * accepted; 2. the proof spent on its enrollment (TOTP step newer than the last; recovery code still the stored one);
   * 3. the user's failure budget not exhausted. Concurrent uses of one code: exactly one commits. `deviceTx` (the
   * hash of a device-protocol transaction id) is recorded on the challenge as `accepted_tx`.
   */
  async accept(input: { userId: string; challenge?: ChallengeRef; match: FactorMatch; now: number; deviceTx?: string }): Promise<WriteResult> {
    const { userId, challenge, match, now, deviceTx } = input;
    const items: TransactItem[] = [];
    if (challenge) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: challengeKey(challenge.challenge_id),
          UpdateExpression: `SET #status = :accepted, accepted_at = :now, #method = :method, enrollment_id = :enrollment${match.amr ? ', amr = :amr' : ''}${deviceTx ? ', accepted_tx = :tx' : ''}`,
          ConditionExpression: '#status = :pending AND expires_at > :now AND attempts < :max',
          ExpressionAttributeNames: { '#status': 'status', '#method': 'method' },
          ExpressionAttributeValues: {
            ':accepted': 'accepted',
            ':pending': 'pending',
            ':now': now,
            ':max': CHALLENGE_MAX_ATTEMPTS,
            ':method': match.method,
            ':enrollment': match.enrollment.enrollment_id,
            ...(match.amr ? { ':amr': [...match.amr] } : {}),
            ...(deviceTx ? { ':tx': deviceTx } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    const key = enrollmentKey(userId, match.enrollment.enrollment_id);
    const spend = match.spend;
    items.push({
      Update:
        spend.kind === 'totp-step'
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
    items.push({
      ConditionCheck: {
        TableName: this.tableName,
        Key: userProfileKey(userId),
        ConditionExpression: 'attribute_not_exists(mfa_failure_tat) OR mfa_failure_tat <= :limit',
        ExpressionAttributeValues: { ':limit': budgetLimit(now) },
      },
    });
    const reasons = await transactWrite(this.db, { TransactItems: items });
    if (!reasons) return { ok: true };
    return this.refusal(reasons, challenge ? ['challenge', 'spent', 'budget'] : ['spent', 'budget']);
  }

  /**
   * A wrong proof, counted in one transaction: the challenge's attempts (compare-and-set on the count the caller saw;
   * the fifth locks it) and the user's budget (compare-and-set on the value the caller saw). `lockOut`: this failure
   * spends the budget's last attempt, so the profile also records `locked_out_at` (the `MFA User Locked Out` event).
   * A refusal means another request moved one of them: read again and retry.
   */
  async recordFailure(input: {
    userId: string;
    challenge?: ChallengeRef;
    seenTat: FailureTat;
    nextTat: number;
    lockOut?: boolean;
    now: number;
  }): Promise<WriteResult> {
    const { userId, challenge, seenTat, nextTat, lockOut, now } = input;
    const items: TransactItem[] = [];
    if (challenge) {
      const attempts = challenge.attempts + 1;
      const locks = attempts >= CHALLENGE_MAX_ATTEMPTS;
      items.push({
        Update: {
          TableName: this.tableName,
          Key: challengeKey(challenge.challenge_id),
          UpdateExpression: locks
            ? 'SET attempts = :attempts, last_attempt_at = :now, #status = :locked, locked_at = :now'
            : 'SET attempts = :attempts, last_attempt_at = :now',
          ConditionExpression: '#status = :pending AND expires_at > :now AND attempts = :seen',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':attempts': attempts,
            ':seen': challenge.attempts,
            ':pending': 'pending',
            ':now': now,
            ...(locks ? { ':locked': 'locked' } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    items.push({
      Update: {
        TableName: this.tableName,
        Key: userProfileKey(userId),
        UpdateExpression: `SET mfa_failure_tat = :next, #type = if_not_exists(#type, :user), user_id = if_not_exists(user_id, :user_id)${lockOut ? ', locked_out_at = :now' : ''}`,
        ConditionExpression: seenTat === undefined ? 'attribute_not_exists(mfa_failure_tat)' : 'mfa_failure_tat = :seen',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':next': nextTat,
          ':user': 'user',
          ':user_id': userId,
          ...(seenTat === undefined ? {} : { ':seen': seenTat }),
          ...(lockOut ? { ':now': now } : {}),
        },
      },
    });
    const reasons = await transactWrite(this.db, { TransactItems: items });
    if (!reasons) return { ok: true };
    return this.refusal(reasons, challenge ? ['challenge', 'budget'] : ['budget']);
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

  private refusal(reasons: CancellationReason[], order: Array<Exclude<Refusal, 'busy'>>): WriteResult {
    const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
    if (index < 0) return { ok: false, reason: 'busy' };
    const reason = order[index]!;
    const item = reasons[index]?.Item;
    return { ok: false, reason, challenge: reason === 'challenge' && item ? (unmarshall(item as never) as ChallengeRecord) : undefined };
  }
}
