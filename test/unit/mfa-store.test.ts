import { DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { enrollmentKey, enrollmentSecretContext, type EnrollmentRecord } from '../../lib/enrollment/records';
import { seal } from '../../lib/enrollment/secret-box';
import { AppError } from '../../lib/errors';
import { challengeKey, type ChallengeRecord } from '../../lib/mfa/challenge';
import { verifyLoginOtp } from '../../lib/mfa/login';
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

describe('the login transaction', () => {
  it('a right code: challenge pending→accepted, the step spent on the enrollment, the budget checked, in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('ok');
    const [call] = ddb.commandCalls(TransactWriteCommand);
    const [accept, spend, budget] = call!.args[0].input.TransactItems!;
    expect(accept!.Update).toMatchObject({ Key: challengeKey(challenge.challenge_id), ConditionExpression: '#status = :pending AND expires_at > :now AND attempts < :max' });
    expect(spend!.Update).toMatchObject({
      Key: enrollmentKey('user-1', ENR),
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_step) OR last_used_step < :step)',
      ExpressionAttributeValues: { ':step': Math.floor(NOW / 30_000) },
    });
    expect(budget!.ConditionCheck).toMatchObject({ ConditionExpression: 'attribute_not_exists(mfa_failure_tat) OR mfa_failure_tat <= :limit' });
    expect(JSON.stringify(call!.args[0].input)).not.toContain(totp(SECRET, NOW));
  });

  it('a wrong code: counted on the challenge (compare-and-set on attempts) and on the user budget, in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await code(verifyLoginOtp(deps, challenge, wrongCode(SECRET, NOW)))).toBe('invalid_code');
    const [counted, charged] = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(counted!.Update).toMatchObject({ ExpressionAttributeValues: { ':seen': 2, ':attempts': 3 } });
    expect(charged!.Update).toMatchObject({ Key: { pk: 'USER#user-1', sk: 'PROFILE' }, ConditionExpression: 'attribute_not_exists(mfa_failure_tat)', ExpressionAttributeValues: { ':next': NOW + 360_000 } });
  });

  it('the wrong code that spends the budget\'s last attempt also sets locked_out_at (the MFA User Locked Out event); earlier ones do not', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const profileWith = (tat: number) => ({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', type: 'user', mfa_failure_tat: tat }, enrollment] });
    // 8 failures counted: the ninth leaves one attempt.
    ddb.on(QueryCommand).resolves(profileWith(NOW + 8 * 360_000));
    expect(await code(verifyLoginOtp(deps, challenge, wrongCode(SECRET, NOW)))).toBe('invalid_code');
    // 9 counted: the tenth spends the budget.
    ddb.on(QueryCommand).resolves(profileWith(NOW + 9 * 360_000));
    expect(await code(verifyLoginOtp(deps, challenge, wrongCode(SECRET, NOW)))).toBe('too_many_attempts');
    const [ninth, tenth] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems![1]!.Update!);
    expect(ninth!.UpdateExpression).not.toContain('locked_out_at');
    expect(tenth!.UpdateExpression).toContain('locked_out_at = :now');
    expect(tenth!.ExpressionAttributeValues).toMatchObject({ ':now': NOW, ':seen': NOW + 9 * 360_000, ':next': NOW + 10 * 360_000 });
  });

  it('the step was spent by a concurrent request: the right code becomes a counted wrong one', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' }, { Code: 'None' })).resolves({});
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('invalid_code');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('the challenge was accepted meanwhile: reads the item DynamoDB returned and says so', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'ConditionalCheckFailed', Item: { ...challenge, status: 'accepted' } }, { Code: 'None' }, { Code: 'None' }));
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('challenge_accepted');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('throttling that outlasts the SDK retries surfaces as the AWS error (the HTTP layer answers a retryable 503)', async () => {
    ddb.on(TransactWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    expect(await code(verifyLoginOtp(deps, challenge, totp(SECRET, NOW)))).toBe('ProvisionedThroughputExceededException');
  });

  it('a spent budget answers 429 before the code is looked at: nothing is written', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'USER#user-1', sk: 'PROFILE', mfa_failure_tat: NOW + 10 * 360_000 }, enrollment] });
    const err = (await verifyLoginOtp(deps, challenge, totp(SECRET, NOW)).catch((e: AppError) => e)) as AppError;
    expect([err.code, err.status, err.details]).toEqual(['too_many_attempts', 429, { retry_after_sec: 360 }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
