import { DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { enrollmentKey, enrollmentSecretContext, type EnrollmentRecord } from '../../lib/store/records';
import { seal } from '../../lib/crypto/secret-box';
import { AppError } from '../../lib/errors';
import { challengeKey, type ChallengeRecord } from '../../lib/mfa/challenge';
import { totpFactor } from '../../lib/factors/totp/login';
import { login, type LoginDeps } from '../../lib/mfa/login';

const verifyLoginOtp = (deps: LoginDeps, challenge: ChallengeRecord, code: string) => login(deps, challenge, totpFactor, code);
import { MfaStore } from '../../lib/mfa/mfa-store';
import { totp, wrongCode } from '../support/totp';

/** The AWS edge of the login flow: what it asks DynamoDB to guarantee, and what it does when DynamoDB says no. */
const ddb = mockClient(DynamoDBDocumentClient);
const config = { ...resultSigningConfig({ ...loadConfig(process.env), publicBaseUrl: 'https://mfa.example.com' }) };
const store = new MfaStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'tickets-unit');
const NOW = 1_800_000_000_000;
const SECRET = Buffer.from('12345678901234567890');
const ENR = 'enr_AAAAAAAAAAAAAAAAAAAAAA';
const deps = { store, config, now: () => NOW };

const enrollment: EnrollmentRecord = {
  ...enrollmentKey('user-1', ENR),
  type: 'enrollment',
  enrollment_id: ENR,
  user_id: 'user-1',
  factor: 'otp',
  status: 'confirmed',
  name: 'Authenticator app',
  totp_secret: seal(SECRET, config.encryptionKeys, enrollmentSecretContext('user-1', ENR)),
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  last_used_step: Math.floor(NOW / 30_000) - 5,
  ticket_id: 'tkt_x',
  created_at: NOW - 100_000,
};
const challenge: ChallengeRecord = {
  ...challengeKey('chl_BBBBBBBBBBBBBBBBBBBBBB'),
  type: 'challenge',
  challenge_id: 'chl_BBBBBBBBBBBBBBBBBBBBBB',
  user_id: 'user-1',
  result_url: 'https://app.example.com/cb',
  factors: ['otp'],
  status: 'pending',
  attempts: 2,
  created_at: NOW - 1000,
  expires_at: NOW + 60_000,
  ttl: 0,
};
const cancelled = (...reasons: Array<{ Code: string; Item?: Record<string, unknown> }>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons.map((r) => ({ Code: r.Code, Item: r.Item ? (marshall(r.Item) as never) : undefined })),
  });
const code = async (p: Promise<unknown>) => p.then(() => 'ok', (err) => (err instanceof AppError ? err.code : (err as Error).name));

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user', enrollment_count: 1 }, enrollment] });
});

describe('the login writes: an attempt is reserved before the code is checked', () => {
  const reservation = () => ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
  const acceptance = () => ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;

  it('reserves one attempt on the challenge and one failure on the budget, in one transaction of increments', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('ok');
    const [onChallenge, onBudget] = reservation();
    expect(onChallenge!.Update).toMatchObject({
      Key: challengeKey(challenge.challenge_id),
      UpdateExpression: 'SET attempts = attempts + :one, last_attempt_at = :now',
      ConditionExpression: '#status = :pending AND expires_at > :now AND attempts < :max',
      ExpressionAttributeValues: { ':max': 5, ':now': NOW },
    });
    // No failure counted yet: the budget starts now.
    expect(onBudget!.Update).toMatchObject({
      Key: { pk: 'USER#user-1', sk: 'PROFILE' },
      UpdateExpression: expect.stringContaining('SET mfa_failure_tat = :now + :refill'),
      ConditionExpression: 'attribute_not_exists(mfa_failure_tat) OR mfa_failure_tat <= :now',
      ExpressionAttributeValues: expect.objectContaining({ ':now': NOW, ':refill': 360_000 }),
    });
  });

  it('with failures outstanding the reservation adds to the budget (commutative), bounded by where the last attempt starts', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { ...challenge, attempts: 3, failures: 3 } });
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user', mfa_failure_tat: NOW + 3 * 360_000 }, enrollment] });
    expect(await code(verifyLoginOtp(deps, challenge, wrongCode(SECRET, NOW)))).toBe('invalid_code');
    expect(reservation()[1]!.Update).toMatchObject({
      UpdateExpression: expect.stringContaining('SET mfa_failure_tat = mfa_failure_tat + :refill'),
      ConditionExpression: 'mfa_failure_tat > :above AND mfa_failure_tat <= :atMost',
      ExpressionAttributeValues: expect.objectContaining({ ':above': NOW, ':atMost': NOW + 8 * 360_000 }),
    });
  });

  it('a right code: challenge pending→accepted and the step spent, both attempts given back, in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('ok');
    const [accept, spend, refund] = acceptance();
    expect(accept!.Update).toMatchObject({
      Key: challengeKey(challenge.challenge_id),
      UpdateExpression: expect.stringContaining('attempts = attempts - :one'),
      ConditionExpression: '#status = :pending AND expires_at > :now',
    });
    expect(spend!.Update).toMatchObject({
      Key: enrollmentKey('user-1', ENR),
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_step) OR last_used_step < :step)',
      ExpressionAttributeValues: { ':step': Math.floor(NOW / 30_000) },
    });
    expect(refund!.Update).toMatchObject({
      Key: { pk: 'USER#user-1', sk: 'PROFILE' },
      UpdateExpression: 'SET mfa_failure_tat = mfa_failure_tat - :refill',
      // Only while the budget is not spent (nobody holds its last attempt), and no lockout since this attempt began.
      ConditionExpression:
        'attribute_exists(mfa_failure_tat) AND mfa_failure_tat <= :limit AND (attribute_not_exists(locked_out_at) OR locked_out_at < :reserved)',
      ExpressionAttributeValues: { ':refill': 360_000, ':reserved': NOW, ':limit': NOW + 9 * 360_000 },
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(JSON.stringify(ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input))).not.toContain(totp(SECRET, NOW));
  });

  it('a wrong code keeps its reserved attempt: the challenge counts the failure, the budget needs no write', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { ...challenge, attempts: 3, failures: 3 } });
    const err = (await verifyLoginOtp(deps, challenge, wrongCode(SECRET, NOW)).catch((e: AppError) => e)) as AppError;
    expect([err.code, err.details, err.message]).toEqual(['invalid_code', { attempts_remaining: 2 }, 'code: wrong code; 2 attempts left']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const [kept] = ddb.commandCalls(UpdateCommand);
    expect(kept!.args[0].input).toMatchObject({ Key: challengeKey(challenge.challenge_id), UpdateExpression: expect.stringContaining('failures = if_not_exists(failures, :zero) + :one') });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('the fifth failure kept on a challenge locks it: 410 challenge_locked, told it was a wrong code', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolvesOnce({ Attributes: { ...challenge, attempts: 5, failures: 5 } }).resolves({});
    const err = (await verifyLoginOtp(deps, { ...challenge, attempts: 4 }, wrongCode(SECRET, NOW)).catch((e: AppError) => e)) as AppError;
    expect([err.code, err.details]).toEqual(['challenge_locked', { attempts_remaining: 0 }]);
    expect(err.message).toMatch(/^code: wrong code; /);
    const lock = ddb.commandCalls(UpdateCommand)[1]!.args[0].input;
    expect(lock).toMatchObject({ UpdateExpression: 'SET #status = :locked, locked_at = :now', ConditionExpression: '#status = :pending AND expires_at > :now AND failures >= :max' });
  });

  it('the wrong code that held the budget\'s last attempt records locked_out_at (the MFA User Locked Out event); earlier ones do not', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { ...challenge, attempts: 3, failures: 3, mfa_failure_tat: NOW + 10 * 360_000 } });
    const profileWith = (tat: number) => ({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user', mfa_failure_tat: tat }, enrollment] });
    // 8 failures counted: the ninth leaves one attempt.
    ddb.on(QueryCommand).resolves(profileWith(NOW + 8 * 360_000));
    expect(await code(verifyLoginOtp(deps, challenge, wrongCode(SECRET, NOW)))).toBe('invalid_code');
    expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.UpdateExpression)).not.toContain('SET locked_out_at = :now');
    // 9 counted: the tenth takes the last attempt, and is wrong.
    ddb.on(QueryCommand).resolves(profileWith(NOW + 9 * 360_000));
    const err = (await verifyLoginOtp(deps, challenge, wrongCode(SECRET, NOW)).catch((e: AppError) => e)) as AppError;
    expect([err.code, err.details]).toEqual(['too_many_attempts', { retry_after_sec: 360 }]);
    expect(err.message).toMatch(/^code: wrong code; /);
    expect(ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems![1]!.Update).toMatchObject({
      ConditionExpression: 'mfa_failure_tat > :above AND mfa_failure_tat <= :atMost',
      ExpressionAttributeValues: expect.objectContaining({ ':above': NOW + 8 * 360_000, ':atMost': NOW + 9 * 360_000 }),
    });
    const lockout = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input).find((i) => i.UpdateExpression === 'SET locked_out_at = :now');
    expect(lockout).toMatchObject({ Key: { pk: 'USER#user-1', sk: 'PROFILE' }, ConditionExpression: 'mfa_failure_tat > :limit', ExpressionAttributeValues: { ':now': NOW, ':limit': NOW + 9 * 360_000 } });
  });

  it('a request\'s origin is kept, with the write\'s time, on the items whose changes are the events: accepted, locked, locked out', async () => {
    const origin = { via: 'page', ip: '203.0.113.9', ua_summary: 'Chrome on macOS' } as const;
    const withOrigin = { ...deps, origin };
    ddb.on(TransactWriteCommand).resolves({});
    expect(await code(verifyLoginOtp(withOrigin, challenge, totp(SECRET, NOW)))).toBe('ok');
    expect(acceptance()[0]!.Update).toMatchObject({
      UpdateExpression: expect.stringContaining(', origin = :origin'),
      ExpressionAttributeValues: expect.objectContaining({ ':origin': { ...origin, at: NOW } }),
    });
    // Only the challenge carries it: the enrollment's spend and the budget's refund are no events.
    expect(acceptance().slice(1).map((i) => i.Update!.UpdateExpression).filter((e) => e!.includes('origin'))).toEqual([]);

    ddb.reset();
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { ...challenge, attempts: 5, failures: 5, mfa_failure_tat: NOW + 10 * 360_000 } });
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user', mfa_failure_tat: NOW + 9 * 360_000 }, enrollment] });
    expect(await code(verifyLoginOtp(withOrigin, { ...challenge, attempts: 4 }, wrongCode(SECRET, NOW)))).toBe('too_many_attempts');
    const [kept, lock, lockout] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(kept!.UpdateExpression).not.toContain('origin');
    expect(lock).toMatchObject({ UpdateExpression: 'SET #status = :locked, locked_at = :now, origin = :origin', ExpressionAttributeValues: expect.objectContaining({ ':origin': { ...origin, at: NOW } }) });
    expect(lockout).toMatchObject({ UpdateExpression: 'SET locked_out_at = :now, origin = :origin', ExpressionAttributeValues: expect.objectContaining({ ':origin': { ...origin, at: NOW } }) });
  });

  it('no attempt left on the budget: 429 before the code is looked at, says so, and nothing is written', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', mfa_failure_tat: NOW + 10 * 360_000 }, enrollment] });
    const err = (await verifyLoginOtp(deps, challenge, totp(SECRET, NOW)).catch((e: AppError) => e)) as AppError;
    expect([err.code, err.status, err.details]).toEqual(['too_many_attempts', 429, { retry_after_sec: 360 }]);
    expect(err.message).toContain('this code was not checked');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('the reservation refused because the challenge ended meanwhile: answered from the item DynamoDB returned, unchecked', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'ConditionalCheckFailed', Item: { ...challenge, status: 'accepted' } }, { Code: 'None' }));
    const err = (await verifyLoginOtp(deps, challenge, totp(SECRET, NOW)).catch((e: AppError) => e)) as AppError;
    expect(err.code).toBe('challenge_accepted');
    expect(err.message).toContain('this code was not checked');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('the reservation refused because the budget moved: reads again and reserves the other way', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' })).resolves({});
    ddb.on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user' }, enrollment] })
      .resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user', mfa_failure_tat: NOW + 360_000 }, enrollment] });
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('ok');
    const [first, second] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems![1]!.Update!.ConditionExpression);
    expect([first, second]).toEqual(['attribute_not_exists(mfa_failure_tat) OR mfa_failure_tat <= :now', 'mfa_failure_tat > :above AND mfa_failure_tat <= :atMost']);
  });

  it('every attempt of the challenge held by requests being checked: waits for their outcome, then answers unchecked', async () => {
    ddb.on(GetCommand).resolvesOnce({ Item: { ...challenge, attempts: 5 } }).resolves({ Item: { ...challenge, attempts: 4, status: 'accepted' } });
    const err = (await verifyLoginOtp(deps, { ...challenge, attempts: 5 }, totp(SECRET, NOW)).catch((e: AppError) => e)) as AppError;
    expect(err.code).toBe('challenge_accepted');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('the step was spent by a concurrent request: the right code becomes a counted wrong one', async () => {
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' }, { Code: 'None' }));
    ddb.on(UpdateCommand).resolves({ Attributes: { ...challenge, attempts: 3, failures: 3 } });
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('invalid_code');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('a lockout recorded after the reservation: the right code is accepted, its attempt stays spent', async () => {
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled({ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' })).resolves({});
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('ok');
    const retried = ddb.commandCalls(TransactWriteCommand)[2]!.args[0].input.TransactItems!;
    expect(retried).toHaveLength(2);
  });

  it('throttling that outlasts the SDK retries surfaces as the AWS error (the HTTP layer answers a retryable 503)', async () => {
    ddb.on(TransactWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('ProvisionedThroughputExceededException');
  });
});

describe('a remembered browser accepting a challenge', () => {
  beforeEach(() => ddb.reset());

  it('keeps the request\'s origin, stamped with the write\'s time, on the challenge it accepts (and nowhere else)', async () => {
    const { RememberedBrowserStore } = await import('../../lib/mfa/remembered-store');
    const browsers = new RememberedBrowserStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'tickets-unit');
    ddb.on(TransactWriteCommand).resolves({});
    const origin = { via: 'page', ip: '198.51.100.4', ua_summary: 'Firefox on Linux' } as const;
    const browser = { user_id: 'user-1', browser_id: 'b1', enrollment_id: ENR, method: 'totp', auth_time: NOW - 1000 } as never;
    const base = { challengeId: 'ch_AAAAAAAAAAAAAAAAAAAAAA', browser, currentHash: 'h1', nextHash: 'h2', now: NOW, idleCutoff: NOW - 1 };
    expect(await browsers.acceptRemembered({ ...base, origin })).toBe('ok');
    expect(await browsers.acceptRemembered(base)).toBe('ok');
    const [withOrigin, without] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
    expect(withOrigin![0]!.Update).toMatchObject({
      UpdateExpression: expect.stringMatching(/, origin = :origin$/),
      ExpressionAttributeValues: expect.objectContaining({ ':origin': { ...origin, at: NOW } }),
    });
    expect(withOrigin!.slice(1).filter((i) => JSON.stringify(i).includes('origin'))).toEqual([]);
    expect(without![0]!.Update!.UpdateExpression).not.toContain('origin');
  });
});
