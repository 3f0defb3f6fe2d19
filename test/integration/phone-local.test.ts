import { PinpointSMSVoiceV2Client, SendTextMessageCommand, ValidationException } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import { parsePhoneNumber } from '../../lib/factors/phone/number';
import { phoneClient, phoneSenderConfig, sendPhoneCode } from '../../lib/factors/phone/send';
import { phoneMessages, stack } from '../support/stack';

/** A fresh French mobile per test, so each reads only its own messages. */
const freshNumber = () => `+336123${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;

// The region and credentials the functions get (Lambda sets them deployed; the local stack sets dummy ones).
for (const name of ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const) process.env[name] ??= stack.functionEnv[name];

describe('the local phone, through the production code path', () => {
  // The functions' own configuration: what the local stack gives them (PHONE_ENDPOINT, PHONE_ORIGINATION_IDENTITY).
  const config = phoneSenderConfig(stack.functionEnv);
  const client = phoneClient(config);
  const metrics = { addMetric: () => undefined };

  it('is wired into the functions\' environment', () => {
    expect(stack.functionEnv.PHONE_ENDPOINT).toBe(stack.phoneUrl);
    expect(stack.functionEnv.PHONE_ALLOWED_COUNTRIES).toBe('US,CA,GB,FR,DE,ES,BR');
  });

  it('a text sent by sendPhoneCode with the real client arrives, and GET /messages shows it', async () => {
    const to = parsePhoneNumber(freshNumber(), { field: 'phone_number', channel: 'sms', allowedCountries: new Set(['FR']) }).e164;
    const { messageId } = await sendPhoneCode(client, config, { to, channel: 'sms', locale: 'fr', code: '482913', purpose: 'login' }, metrics);
    const messages = await phoneMessages(to);
    expect(messages).toEqual([
      expect.objectContaining({ messageId, destination: to, channel: 'sms', body: '482913 est votre code de connexion. Il expire dans 10 minutes. Ne le partagez pas.', originationIdentity: '+12065550100' }),
    ]);
    expect(Date.parse(messages[0]!.timestamp)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a call reads the digits one by one, twice', async () => {
    const to = freshNumber();
    await sendPhoneCode(client, config, { to, channel: 'voice', locale: 'en', code: '048213', purpose: 'enroll' }, metrics);
    const [call] = await phoneMessages(to);
    expect(call).toMatchObject({ destination: to, channel: 'voice', voiceId: 'JOANNA' });
    expect(call!.body).toMatch(/^<speak>/);
    expect(call!.transcript).toBe('Your code to add this phone is: 0 4 8 2 1 3 Again, your code is: 0 4 8 2 1 3 Goodbye.');
  });

  it('keeps messages oldest first, and lists everyone\'s without a filter', async () => {
    const to = freshNumber();
    for (const code of ['111111', '222222']) await sendPhoneCode(client, config, { to, channel: 'sms', locale: 'en', code, purpose: 'login' }, metrics);
    expect((await phoneMessages(to)).map((m) => m.body.slice(0, 6))).toEqual(['111111', '222222']);
    const all = await phoneMessages();
    expect(all.filter((m) => m.destination === to)).toHaveLength(2);
    const viewer = await fetch(`${stack.phoneUrl}/`);
    expect(viewer.headers.get('content-type')).toMatch(/text\/html/);
    expect(await viewer.text()).toContain(to);
  });

  it('answers a bad request with the service\'s error shape, which the SDK reads as its exception', async () => {
    const err = await client.send(new SendTextMessageCommand({ DestinationPhoneNumber: 'not-a-number', MessageBody: 'x' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect((err as ValidationException).Reason).toBe('INVALID_PARAMETER');
    // Through sendPhoneCode: 422 phone_rejected, nothing kept.
    const refused = await sendPhoneCode(client, config, { to: '0612', channel: 'sms', locale: 'en', code: '123456', purpose: 'login' }, metrics).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('phone_rejected');
    expect(await phoneMessages('0612')).toEqual([]);
  });

  it('an unreachable phone is 503 phone_unavailable', async () => {
    const down = new PinpointSMSVoiceV2Client({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    const err = await sendPhoneCode(down, config, { to: freshNumber(), channel: 'sms', locale: 'en', code: '123456', purpose: 'login' }, metrics).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('phone_unavailable');
    down.destroy();
  });
});
