import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { issueDeliveredCode, type CodeContext } from '../../lib/delivered-code/code';
import { AppError } from '../../lib/errors';
import type { CodeSender, FactorContext, PendingLoginCode } from '../../lib/factors/factor';
import { emailLoginFactor } from '../../lib/factors/email/login';
import { emailLoginSender } from '../../lib/factors/email/sender';
import { challengeKey, type ChallengeRecord } from '../../lib/mfa/challenge';
import { login } from '../../lib/mfa/login';
import { MfaStore } from '../../lib/mfa/mfa-store';
import { sendLoginCode } from '../../lib/mfa/send-code';
import { signRequestToken } from '../../lib/mfa/request-token';
import { enrollmentKey } from '../../lib/store/records';
import { emailEnrollmentRecord } from '../support/email-enrollment';

/** The email factor against the login interface, and the flow's writes around it (sending, spending). */
const ddb = mockClient(DynamoDBDocumentClient);
const config = { ...resultSigningConfig({ ...loadConfig(process.env), publicBaseUrl: 'https://mfa.example.com' }) };
const keys = config.encryptionKeys;
const store = new MfaStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'tickets-unit');
const NOW = 1_800_000_000_000;
const USER = 'user-1';
const ENR = 'enr_EEEEEEEEEEEEEEEEEEEEEE';
const CHL = 'chl_CCCCCCCCCCCCCCCCCCCCCC';
const ADDRESS = 'ada.lovelace@example.com';

const enrollment = emailEnrollmentRecord(USER, ENR, ADDRESS, keys, NOW - 100_000);
const loginContext = (challengeId = CHL, userId = USER): CodeContext => ({ channel: 'email', purpose: 'login', challengeId, userId });
function sent(context = loginContext(), at = NOW - 1000): { code: string; pending: PendingLoginCode } {
  const { code, pending } = issueDeliveredCode({ context, keys, now: at });
  return { code, pending: { ...pending, factor: 'email', enrollment_id: ENR } };
}
const factorContext = (pendingCode: PendingLoginCode | undefined, now = NOW): FactorContext => ({
  keys,
  now,
  random: () => Buffer.alloc(0),
  challenge: { challengeId: CHL, userId: USER, pendingCode },
});
const challenge = (extra: Partial<ChallengeRecord> = {}): ChallengeRecord => ({
  ...challengeKey(CHL),
  type: 'challenge',
  challenge_id: CHL,
  user_id: USER,
  result_url: 'https://app.example.com/cb',
  factors: ['email'],
  status: 'pending',
  attempts: 0,
  created_at: NOW - 5000,
  expires_at: NOW + 300_000,
  ttl: 0,
  ...extra,
});
const cancelled = (...reasons: Array<{ Code: string; Item?: object }>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons.map((r) => ({ Code: r.Code, Item: r.Item ? (marshall(r.Item, { removeUndefinedValues: true }) as never) : undefined })),
  });
const outcome = async (p: Promise<unknown>) => p.then(() => 'ok', (err) => (err instanceof AppError ? err.code : (err as Error).message));

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [{ pk: `USER#${USER}`, sk: 'PROFILE', type: 'user', enrollment_count: 1 }, enrollment] });
});

describe('the email factor (LoginFactor)', () => {
  it('the code the challenge waits for matches its enrollment, and is spent by removing that very pending code', () => {
    const { code, pending } = sent();
    expect(emailLoginFactor.verify([enrollment], code, factorContext(pending))).toEqual({
      method: 'email',
      enrollment,
      spend: { kind: 'pending-code', hash: pending.hash },
    });
    expect(emailLoginFactor.verify([enrollment], `${code.slice(0, 3)} ${code.slice(3)}`, factorContext(pending))).toBeDefined();
  });

  it('refuses a wrong code, an expired one, one of another challenge or user, and any without a pending code', () => {
    const { code, pending } = sent();
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(emailLoginFactor.verify([enrollment], wrong, factorContext(pending))).toBeUndefined();
    expect(emailLoginFactor.verify([enrollment], code, factorContext(pending, pending.expires_at))).toBeUndefined();
    const other = sent(loginContext('chl_OOOOOOOOOOOOOOOOOOOOOO'));
    expect(emailLoginFactor.verify([enrollment], other.code, factorContext(other.pending))).toBeUndefined();
    const otherUser = sent(loginContext(CHL, 'user-2'));
    expect(emailLoginFactor.verify([enrollment], otherUser.code, factorContext(otherUser.pending))).toBeUndefined();
    expect(emailLoginFactor.verify([enrollment], code, factorContext(undefined))).toBeUndefined();
    expect(emailLoginFactor.verify([enrollment], code, { keys, now: NOW, random: () => Buffer.alloc(0) })).toBeUndefined();
  });

  it('refuses a code another factor sent, or one for an enrollment the user no longer has', () => {
    const { code, pending } = sent();
    expect(emailLoginFactor.verify([enrollment], code, factorContext({ ...pending, factor: 'otp' }))).toBeUndefined();
    expect(emailLoginFactor.verify([], code, factorContext(pending))).toBeUndefined();
    expect(emailLoginFactor.verify([{ ...enrollment, enrollment_id: 'enr_other' }], code, factorContext(pending))).toBeUndefined();
  });
});

describe('logging in with an emailed code: the challenge rules, the spend in the accepting transaction', () => {
  const deps = { store, config, now: () => NOW };

  it('one transaction accepts the challenge and removes the pending code if it is still this one; the result says email', async () => {
    const { code, pending } = sent();
    ddb.on(TransactWriteCommand).resolves({});
    const result = await login(deps, challenge({ pending_code: pending }), emailLoginFactor, code);
    expect(result).toMatchObject({ mfa_method: 'email', enrollment_id: ENR });
    const [reserve, accept] = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
    expect(reserve![0]!.Update!.ConditionExpression).toContain('attempts < :max');
    expect(accept![0]!.Update).toMatchObject({
      Key: challengeKey(CHL),
      UpdateExpression: expect.stringMatching(/SET #status = :accepted.* REMOVE pending_code$/),
      ConditionExpression: '#status = :pending AND expires_at > :now AND pending_code.#hash = :codeHash',
      ExpressionAttributeValues: expect.objectContaining({ ':codeHash': pending.hash }),
    });
    expect(accept![1]!.Update).toMatchObject({ Key: enrollmentKey(USER, ENR), ConditionExpression: 'attribute_exists(pk)' });
  });

  it('a code replaced by a newer send (the challenge still pending) is a wrong code, counted, not a retry loop', async () => {
    const { code, pending } = sent();
    const newer = sent(loginContext(), NOW - 10).pending;
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled({ Code: 'ConditionalCheckFailed', Item: challenge({ attempts: 1, pending_code: newer }) }, { Code: 'None' }));
    ddb.on(UpdateCommand).resolves({ Attributes: { attempts: 1, failures: 1 } });
    expect(await outcome(login(deps, challenge({ pending_code: pending }), emailLoginFactor, code))).toBe('invalid_code');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('a code spent by a concurrent login: that challenge is accepted, this request is told so', async () => {
    const { code, pending } = sent();
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled({ Code: 'ConditionalCheckFailed', Item: challenge({ status: 'accepted' }) }, { Code: 'None' }));
    ddb.on(UpdateCommand).resolves({});
    expect(await outcome(login(deps, challenge({ pending_code: pending }), emailLoginFactor, code))).toBe('challenge_accepted');
  });
});

describe('sending a login code (POST /mfa/email/send)', () => {
  const ses = { send: vi.fn() };
  const sender: CodeSender = emailLoginSender(ses as never, { emailFrom: 'mfa@example.com', sesConfigurationSet: undefined }, { maxPerAddressPerHour: 5 });
  const token = () => signRequestToken({ sub: USER, txid: CHL, issuedAt: NOW - 5000, expiresAt: NOW + 300_000 }, config.signingKeys, config.publicBaseUrl);
  const deps = { store, config, now: () => NOW, random: () => Buffer.from([0, 1, 0xe2, 0x40]) }; // 123456

  beforeEach(() => {
    ses.send.mockReset().mockResolvedValue({ MessageId: 'm-1' });
  });

  it('writes the code’s hash on the challenge and takes the address’s hour in one transaction, then emails the code', async () => {
    ddb.on(GetCommand).resolves({ Item: challenge() });
    ddb.on(TransactWriteCommand).resolves({});
    const answer = await sendLoginCode(deps, { requestToken: await token(), acceptLanguage: 'fr-FR,fr;q=0.9' }, sender);
    expect(answer).toMatchObject({ sent_to: 'a•••@example.com', enrollment_id: ENR, resend_after_sec: 30, sends_left: 4 });
    const [onChallenge, onAddress] = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(onChallenge!.Update).toMatchObject({
      Key: challengeKey(CHL),
      ConditionExpression: expect.stringContaining('#status = :pending AND expires_at > :now AND (attribute_not_exists(#codePending)'),
      ExpressionAttributeValues: expect.objectContaining({ ':code': expect.objectContaining({ factor: 'email', enrollment_id: ENR, sends: 1 }) }),
    });
    const pending = onChallenge!.Update!.ExpressionAttributeValues![':code'] as PendingLoginCode;
    expect(JSON.stringify(pending)).not.toContain('123456');
    expect(onAddress!.Update!.Key!.pk).toMatch(/^EMAILRATE#/);
    expect(JSON.stringify(onAddress)).not.toContain('ada');
    const email = ses.send.mock.calls[0]![0].input;
    expect(email.Destination.ToAddresses).toEqual([ADDRESS]);
    expect(email.Message.Body.Text.Data).toContain('123456');
    expect(email.Message.Subject.Data).not.toContain('123456');
    // What the email says verifies on this challenge.
    expect(emailLoginFactor.verify([enrollment], '123456', factorContext(pending))).toBeDefined();
  });

  it('a send within 30 s of the last is 429 too_many_sends with retry_after_sec, without a write or an email', async () => {
    ddb.on(GetCommand).resolves({ Item: challenge({ pending_code: sent(loginContext(), NOW - 10_000).pending }) });
    const refused = await sendLoginCode(deps, { requestToken: await token(), acceptLanguage: undefined }, sender).catch((e: AppError) => e);
    expect(refused).toMatchObject({ status: 429, code: 'too_many_sends', details: { retry_after_sec: 20 } });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(ses.send).not.toHaveBeenCalled();
  });

  it('the address’s hourly cap refuses in the same transaction: 429 until the hour turns, nothing emailed', async () => {
    ddb.on(GetCommand).resolves({ Item: challenge() });
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' }));
    const refused = await sendLoginCode(deps, { requestToken: await token(), acceptLanguage: undefined }, sender).catch((e: AppError) => e);
    expect(refused).toMatchObject({ status: 429, code: 'too_many_sends' });
    expect(ses.send).not.toHaveBeenCalled();
  });

  it('two sends at once: the one the condition refuses reads the winner’s code and answers 429, nothing emailed', async () => {
    ddb.on(GetCommand).resolves({ Item: challenge() });
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'ConditionalCheckFailed', Item: challenge({ pending_code: sent(loginContext(), NOW).pending }) }, { Code: 'None' }));
    const refused = await sendLoginCode(deps, { requestToken: await token(), acceptLanguage: undefined }, sender).catch((e: AppError) => e);
    expect(refused).toMatchObject({ status: 429, code: 'too_many_sends', details: { retry_after_sec: 30 } });
    expect(ses.send).not.toHaveBeenCalled();
  });

  it('a challenge that does not offer email sends nothing: 409 factor_not_offered', async () => {
    ddb.on(GetCommand).resolves({ Item: challenge({ factors: ['otp'] }) });
    expect(await outcome(sendLoginCode(deps, { requestToken: await token(), acceptLanguage: undefined }, sender))).toBe('factor_not_offered');
    expect(ses.send).not.toHaveBeenCalled();
  });
});
