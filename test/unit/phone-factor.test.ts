import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { issueDeliveredCode, type CodeContext } from '../../lib/delivered-code/code';
import { enrollmentView } from '../../lib/enrollment/admin';
import type { FactorContext, MfaMethod, PendingLoginCode } from '../../lib/factors/factor';
import { phoneDescriptor } from '../../lib/factors/phone/descriptor';
import { phoneLoginFactor } from '../../lib/factors/phone/login';
import { phoneLoginSender } from '../../lib/factors/phone/sender';
import { DEFAULT_PHONE_SEND_LIMITS } from '../../lib/factors/phone/send-limits';
import { AppError } from '../../lib/errors';
import { sendLoginCode } from '../../lib/mfa/send-code';
import { signRequestToken } from '../../lib/mfa/request-token';
import { availableFactors, factorOfMethod, FACTOR_NAMES, maskedDestinations, PHISHING_RESISTANT_FACTORS } from '../../lib/factors/registry';
import { challengeKey, type ChallengeRecord } from '../../lib/mfa/challenge';
import { login } from '../../lib/mfa/login';
import { MfaStore } from '../../lib/mfa/mfa-store';
import { satisfiedAcr } from '../../lib/mfa/policy';
import { emailEnrollmentRecord } from '../support/email-enrollment';
import { phoneEnrollmentRecord } from '../support/phone-enrollment';

/** The phone factor against the descriptor and login interfaces: a texted code and a called one, each its own method and amr. */
const ddb = mockClient(DynamoDBDocumentClient);
const config = { ...resultSigningConfig({ ...loadConfig(process.env), publicBaseUrl: 'https://mfa.example.com' }) };
const keys = config.encryptionKeys;
const store = new MfaStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'tickets-unit');
const NOW = 1_800_000_000_000;
const USER = 'user-1';
const ENR = 'enr_PPPPPPPPPPPPPPPPPPPPPP';
const CHL = 'chl_CCCCCCCCCCCCCCCCCCCCCC';
const NUMBER = '+12015550134';

const enrollment = phoneEnrollmentRecord(USER, ENR, NUMBER, keys, NOW - 100_000);
const loginContext = (challengeId = CHL, userId = USER, channel: 'phone' | 'email' = 'phone'): CodeContext => ({ channel, purpose: 'login', challengeId, userId });
function sent(method: MfaMethod | undefined = 'sms', context = loginContext()): { code: string; pending: PendingLoginCode } {
  const { code, pending } = issueDeliveredCode({ context, keys, now: NOW - 1000 });
  return { code, pending: { ...pending, factor: 'phone', enrollment_id: ENR, ...(method ? { method } : {}) } };
}
const factorContext = (pendingCode: PendingLoginCode | undefined, now = NOW): FactorContext => ({
  keys,
  now,
  random: () => Buffer.alloc(0),
  challenge: { challengeId: CHL, userId: USER, pendingCode },
});

const phoneChallenge = (): ChallengeRecord => ({
  ...challengeKey(CHL),
  type: 'challenge',
  challenge_id: CHL,
  user_id: USER,
  result_url: 'https://app.example.com/cb',
  factors: ['phone'],
  status: 'pending',
  attempts: 0,
  created_at: NOW - 5000,
  expires_at: NOW + 300_000,
  ttl: 0,
});

beforeEach(() => ddb.reset());

describe('the phone descriptor', () => {
  it('lists phone for a user with a phone enrollment; not phishing-resistant; sms and voice are its methods', () => {
    expect(availableFactors([enrollment])).toEqual(['phone']);
    expect(availableFactors([emailEnrollmentRecord(USER, 'enr_e', 'a@example.com', keys, NOW)])).not.toContain('phone');
    expect(FACTOR_NAMES).toContain('phone');
    expect(PHISHING_RESISTANT_FACTORS).not.toContain('phone');
    expect(factorOfMethod('sms')).toBe(phoneDescriptor);
    expect(factorOfMethod('voice')).toBe(phoneDescriptor);
    expect(satisfiedAcr(undefined, 'voice')).toBe(satisfiedAcr(undefined, 'email'));
  });

  it('a challenge shows where codes would go, masked, for the listed factors that send them: never a sealed value', () => {
    const email = emailEnrollmentRecord(USER, 'enr_e', 'a@example.com', keys, NOW);
    expect(maskedDestinations([enrollment, email], ['phone', 'email'])).toEqual([
      { factor: 'email', enrollment_id: 'enr_e', masked: email.masked_email },
      { factor: 'phone', enrollment_id: ENR, masked: '+1 ••• ••• ••34' },
    ]);
    // A step-up that allows neither, or a user with neither: nothing to show.
    expect(maskedDestinations([enrollment, email], ['otp', 'webauthn-roaming'])).toEqual([]);
    expect(maskedDestinations([email], ['phone'])).toEqual([]);
    expect(JSON.stringify(maskedDestinations([enrollment, email], ['phone', 'email']))).not.toContain(enrollment.phone_number);
  });

  it('the admin row: type phone, the vendor auth_method of its channel, the masked number, never the sealed one', () => {
    expect(enrollment.phone_number).not.toContain('5550134');
    const row = enrollmentView(enrollment);
    expect(row).toMatchObject({ id: ENR, type: 'phone', auth_method: 'sms', name: 'Phone', identifier: '+1 ••• ••• ••34' });
    expect(JSON.stringify(row)).not.toContain(enrollment.phone_number);
    expect(enrollmentView({ ...enrollment, preferred_authentication_method: 'voice' })).toMatchObject({ auth_method: 'voice' });
  });
});

describe('the phone factor (LoginFactor)', () => {
  it('a texted code: method sms, amr ["sms"]; a called one: method voice, amr ["tel"]; spent by removing that pending code', () => {
    const text = sent('sms');
    expect(phoneLoginFactor.verify([enrollment], text.code, factorContext(text.pending))).toEqual({
      method: 'sms',
      enrollment,
      spend: { kind: 'pending-code', hash: text.pending.hash },
      amr: ['sms'],
    });
    const call = sent('voice');
    expect(phoneLoginFactor.verify([enrollment], call.code, factorContext(call.pending))).toMatchObject({ method: 'voice', amr: ['tel'] });
  });

  it('refuses a wrong or expired code, one of another challenge, user or channel, another factor\'s, or without a pending code', () => {
    const { code, pending } = sent();
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(phoneLoginFactor.verify([enrollment], wrong, factorContext(pending))).toBeUndefined();
    expect(phoneLoginFactor.verify([enrollment], code, factorContext(pending, pending.expires_at))).toBeUndefined();
    for (const context of [loginContext('chl_OOOOOOOOOOOOOOOOOOOOOO'), loginContext(CHL, 'user-2'), loginContext(CHL, USER, 'email')]) {
      const other = sent('sms', context);
      expect(phoneLoginFactor.verify([enrollment], other.code, factorContext(other.pending))).toBeUndefined();
    }
    expect(phoneLoginFactor.verify([enrollment], code, factorContext({ ...pending, factor: 'email' }))).toBeUndefined();
    expect(phoneLoginFactor.verify([{ ...enrollment, enrollment_id: 'enr_other' }], code, factorContext(pending))).toBeUndefined();
    expect(phoneLoginFactor.verify([enrollment], code, factorContext(undefined))).toBeUndefined();
    expect(phoneLoginFactor.verify([enrollment], code, { keys, now: NOW, random: () => Buffer.alloc(0) })).toBeUndefined();
  });

  it('logging in with a called code: the accepting write records voice and ["tel"], and removes the pending code', async () => {
    const { code, pending } = sent('voice');
    ddb.on(QueryCommand).resolves({ Items: [{ pk: `USER#${USER}`, sk: 'PROFILE', type: 'user', enrollment_count: 1 }, enrollment] });
    ddb.on(TransactWriteCommand).resolves({});
    const result = await login({ store, config, now: () => NOW }, { ...phoneChallenge(), pending_code: pending }, phoneLoginFactor, code);
    expect(result).toMatchObject({ mfa_method: 'voice', enrollment_id: ENR });
    const accept = ddb.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems![0]!.Update!;
    expect(accept.UpdateExpression).toMatch(/amr = :amr.* REMOVE pending_code$/);
    expect(accept.ExpressionAttributeValues).toMatchObject({ ':method': 'voice', ':amr': ['tel'], ':codeHash': pending.hash });
  });
});

describe('sending a login code by phone (POST /mfa/phone/send, through the generic flow)', () => {
  const sms = { send: vi.fn() };
  const metrics = { addMetric: vi.fn() };
  const phoneConfig = { originationIdentity: '+12025550100' };
  const token = () => signRequestToken({ sub: USER, txid: CHL, issuedAt: NOW - 5000, expiresAt: NOW + 300_000 }, config.signingKeys, config.publicBaseUrl);
  const deps = { store, config, now: () => NOW, random: () => Buffer.from([0, 1, 0xe2, 0x40]) }; // 123456

  beforeEach(() => {
    sms.send.mockReset().mockResolvedValue({ MessageId: 'm-1' });
    ddb.on(QueryCommand).resolves({ Items: [{ pk: `USER#${USER}`, sk: 'PROFILE', type: 'user', enrollment_count: 1 }, enrollment] });
    ddb.on(GetCommand).resolves({ Item: phoneChallenge() });
  });

  it('takes the challenge’s send and every phone cap in one transaction, then texts the code; the code verifies as sms', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const sender = phoneLoginSender(sms as never, phoneConfig, DEFAULT_PHONE_SEND_LIMITS, metrics, undefined);
    const answer = await sendLoginCode(deps, { requestToken: await token(), acceptLanguage: undefined, sourceIp: '203.0.113.9' }, sender);
    expect(answer).toMatchObject({ sent_to: '+1 ••• ••• ••34', enrollment_id: ENR, sends_left: 4 });
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((i) => String(i.Update!.Key!.pk).split('#')[0])).toEqual(['CHALLENGE', 'PHONEHOUR', 'PHONEDAY', 'PHONEUSER', 'PHONESOURCE', 'PHONEBUDGET']);
    expect(JSON.stringify(items)).not.toMatch(/5550134|203\.0\.113|123456/);
    const pending = items[0]!.Update!.ExpressionAttributeValues![':code'] as PendingLoginCode;
    expect(pending).toMatchObject({ factor: 'phone', enrollment_id: ENR, method: 'sms' });
    const text = sms.send.mock.calls[0]![0].input;
    expect(text).toMatchObject({ DestinationPhoneNumber: NUMBER, OriginationIdentity: phoneConfig.originationIdentity });
    expect(text.MessageBody).toContain('123456');
    expect(phoneLoginFactor.verify([enrollment], '123456', factorContext(pending))).toMatchObject({ method: 'sms', amr: ['sms'] });
  });

  it('a call when asked for: the pending code says voice, and the code is read out', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const sender = phoneLoginSender(sms as never, phoneConfig, DEFAULT_PHONE_SEND_LIMITS, metrics, 'voice');
    await sendLoginCode(deps, { requestToken: await token(), acceptLanguage: undefined }, sender);
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items).toHaveLength(5); // no source address: that cap is not counted
    expect(items[0]!.Update!.ExpressionAttributeValues![':code']).toMatchObject({ method: 'voice' });
    expect(sms.send.mock.calls[0]![0].constructor.name).toBe('SendVoiceMessageCommand');
  });

  it('a cap refusing in the transaction: 429 with the longest wait among the refusing caps and its reason, nothing sent', async () => {
    const codes = ['None', 'None', 'None', 'ConditionalCheckFailed', 'None', 'None'];
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) }),
    );
    const sender = phoneLoginSender(sms as never, phoneConfig, DEFAULT_PHONE_SEND_LIMITS, metrics, undefined);
    const refused = await sendLoginCode(deps, { requestToken: await token(), acceptLanguage: undefined, sourceIp: '203.0.113.9' }, sender).catch((e: AppError) => e);
    // The per-user cap is a day's: the wait is until the UTC day turns.
    const endOfDay = new Date(NOW).setUTCHours(24, 0, 0, 0);
    expect(refused).toMatchObject({ status: 429, code: 'too_many_sends', details: { retry_after_sec: (endOfDay - NOW) / 1000 } });
    expect(sms.send).not.toHaveBeenCalled();
  });
});
