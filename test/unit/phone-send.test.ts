import {
  ConflictException,
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  SendVoiceMessageCommand,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../lib/errors';
import { logger } from '../../lib/log';
import { phoneClient, phoneSenderConfig, sendPhoneCode, type PhoneSenderConfig } from '../../lib/factors/phone/send';

const TO = '+33612345678';
const CODE = '482913';
const CONFIG: PhoneSenderConfig = { originationIdentity: 'pool-abc', configurationSet: 'mfa-phone' };

describe('phone sender configuration', () => {
  it('needs an origination identity; the rest is optional; prices are checked', () => {
    expect(() => phoneSenderConfig({})).toThrow('Invalid configuration: PHONE_ORIGINATION_IDENTITY: is required');
    expect(phoneSenderConfig({ PHONE_ORIGINATION_IDENTITY: '+12065550100' })).toEqual({ originationIdentity: '+12065550100' });
    expect(
      phoneSenderConfig({
        PHONE_ORIGINATION_IDENTITY: 'pool-abc',
        PHONE_CONFIGURATION_SET: 'mfa-phone',
        PHONE_MAX_PRICE_PER_SMS: '0.05',
        PHONE_MAX_PRICE_PER_MINUTE: '0.1',
        PHONE_ENDPOINT: 'http://127.0.0.1:8015',
      }),
    ).toEqual({ originationIdentity: 'pool-abc', configurationSet: 'mfa-phone', maxPricePerSms: '0.05', maxPricePerMinute: '0.1', endpoint: 'http://127.0.0.1:8015' });
    expect(() => phoneSenderConfig({ PHONE_ORIGINATION_IDENTITY: 'x', PHONE_MAX_PRICE_PER_SMS: 'cheap' })).toThrow(/PHONE_MAX_PRICE_PER_SMS: must be a price/);
  });

  it('the client makes one attempt only (a retried send is a second, paid message)', async () => {
    const client = phoneClient({ endpoint: 'http://127.0.0.1:1' });
    expect(await client.config.maxAttempts()).toBe(1);
    client.destroy();
  });
});

describe('sendPhoneCode', () => {
  const sms = mockClient(PinpointSMSVoiceV2Client);
  const metrics = { addMetric: vi.fn() };
  let logged: unknown[][];
  beforeEach(() => {
    sms.reset();
    metrics.addMetric.mockReset();
    logged = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const) vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push(args));
  });
  afterEach(() => vi.restoreAllMocks());
  const client = new PinpointSMSVoiceV2Client({ region: 'us-east-1' });
  const nothingPersonalLogged = () => {
    const text = JSON.stringify(logged);
    expect(text).not.toContain('33612345678');
    expect(text).not.toContain(CODE);
    expect(text).not.toContain('4 8 2');
  };

  it('texts the code: one SendTextMessage, transactional, from the origination identity, living as long as the code', async () => {
    sms.on(SendTextMessageCommand).resolves({ MessageId: 'm-1' });
    await expect(sendPhoneCode(client, CONFIG, { to: TO, channel: 'sms', locale: 'fr-CA', code: CODE, purpose: 'login' }, metrics)).resolves.toEqual({ messageId: 'm-1' });
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(1);
    expect(sms.commandCalls(SendTextMessageCommand)[0]!.args[0].input).toEqual({
      DestinationPhoneNumber: TO,
      OriginationIdentity: 'pool-abc',
      ConfigurationSetName: 'mfa-phone',
      TimeToLive: 600,
      Context: { kind: 'code-login' },
      MessageBody: `${CODE} est votre code de connexion. Il expire dans 10 minutes. Ne le partagez pas.`,
      MessageType: 'TRANSACTIONAL',
      MaxPrice: undefined,
    });
    expect(metrics.addMetric).toHaveBeenCalledWith('PhoneCodesSent', 'Count', 1);
    nothingPersonalLogged();
  });

  it('calls with the code: SendVoiceMessage, SSML in the locale\'s voice, digits one by one; unknown locales in English', async () => {
    sms.on(SendVoiceMessageCommand).resolves({ MessageId: 'v-1' });
    await sendPhoneCode(client, { ...CONFIG, maxPricePerMinute: '0.10' }, { to: TO, channel: 'voice', locale: 'ja', code: CODE, purpose: 'enroll' }, metrics);
    const input = sms.commandCalls(SendVoiceMessageCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ DestinationPhoneNumber: TO, OriginationIdentity: 'pool-abc', MessageBodyTextType: 'SSML', VoiceId: 'JOANNA', MaxPricePerMinute: '0.10', TimeToLive: 600, Context: { kind: 'code-enroll' } });
    expect(input.MessageBody).toContain('Your code to add this phone is:');
    expect(input.MessageBody).toContain('<say-as interpret-as="characters">4</say-as><break time="400ms"/><say-as interpret-as="characters">8</say-as>');
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(0);
    expect(metrics.addMetric).toHaveBeenCalledWith('PhoneCodesSent', 'Count', 1);
    nothingPersonalLogged();
  });

  it.each([
    ['a refused number', new ValidationException({ message: `Invalid destination ${TO}`, $metadata: {}, Reason: 'INVALID_ARGUMENTS' } as never), 422, 'phone_rejected'],
    ['an opted-out number', new ConflictException({ message: `${TO} opted out`, $metadata: {}, Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT' } as never), 422, 'phone_rejected'],
    ['throttling', new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }), 503, 'phone_unavailable'],
    ['the spend limit', new ServiceQuotaExceededException({ message: `Monthly spend limit reached sending to ${TO}`, $metadata: {}, Reason: 'MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT' } as never), 503, 'phone_unavailable'],
    ['the network', Object.assign(new Error(`connect ECONNREFUSED for ${TO}`), { code: 'ECONNREFUSED' }), 503, 'phone_unavailable'],
  ])('%s → %i %s, without AWS\'s text, the number or the code', async (_label, failure, status, code) => {
    sms.on(SendTextMessageCommand).rejects(failure);
    const err = (await sendPhoneCode(client, CONFIG, { to: TO, channel: 'sms', locale: 'en', code: CODE, purpose: 'login' }, metrics).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect([err.status, err.code]).toEqual([status, code]);
    expect(err.message).not.toContain('3361');
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(1); // no retry
    expect(metrics.addMetric).toHaveBeenCalledWith('PhoneCodesFailed', 'Count', 1);
    expect(metrics.addMetric).not.toHaveBeenCalledWith('PhoneCodesSent', 'Count', 1);
    nothingPersonalLogged();
    expect(JSON.stringify(logged)).toContain('phone code not sent');
  });
});
