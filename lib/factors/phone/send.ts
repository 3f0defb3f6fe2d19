import { PinpointSMSVoiceV2Client, SendTextMessageCommand, SendVoiceMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { DEFAULT_EMAIL_LOCALE, emailLocaleFor } from '../../email/locales';
import { AppError } from '../../errors';
import { logger } from '../../log';
import { CODE_TTL_MS } from '../../delivered-code/code';
import { smsText, voiceMessage, type PhoneCodePurpose } from './message';
import type { PhoneChannel } from './number';

/**
 * Sending a code by text or call through AWS End User Messaging SMS and voice (`SendTextMessage`,
 * `SendVoiceMessage`), the service AWS points new SMS work to. docs/PHONE.md says what a deployer sets up.
 */

/** The deploy parameters of a sender. */
export interface PhoneSenderConfig {
  /** PHONE_ORIGINATION_IDENTITY: the phone number, sender ID, pool (id or ARN) texts and calls come from. */
  originationIdentity: string;
  /** PHONE_CONFIGURATION_SET: where delivery events go (optional). */
  configurationSet?: string;
  /** PHONE_MAX_PRICE_PER_SMS / PHONE_MAX_PRICE_PER_MINUTE: AWS refuses a message dearer than this, in US dollars (optional). */
  maxPricePerSms?: string;
  maxPricePerMinute?: string;
  /** PHONE_ENDPOINT: the local phone (infra/local/phone.ts); unset deployed, where the SDK's regional endpoint is used. */
  endpoint?: string;
}

const PRICE = /^[0-9]{1,3}(\.[0-9]{1,5})?$/;

/** From the environment; fails loudly at the cold start of a function that sends codes when it is incomplete. */
export function phoneSenderConfig(env: NodeJS.ProcessEnv): PhoneSenderConfig {
  const value = (name: string) => env[name]?.trim() || undefined;
  const originationIdentity = value('PHONE_ORIGINATION_IDENTITY');
  if (!originationIdentity) throw new Error('Invalid configuration: PHONE_ORIGINATION_IDENTITY: is required by the functions that text or call codes');
  const price = (name: string) => {
    const v = value(name);
    if (v !== undefined && !PRICE.test(v)) throw new Error(`Invalid configuration: ${name}: must be a price in US dollars such as 0.05`);
    return v;
  };
  return {
    originationIdentity,
    configurationSet: value('PHONE_CONFIGURATION_SET'),
    maxPricePerSms: price('PHONE_MAX_PRICE_PER_SMS'),
    maxPricePerMinute: price('PHONE_MAX_PRICE_PER_MINUTE'),
    endpoint: value('PHONE_ENDPOINT'),
  };
}

/**
 * One client per process. One attempt only (the SDK would otherwise retry throttling and timeouts): a retried send
 * that had in fact gone through texts or calls twice and is paid twice; the user asks again after the cooldown.
 */
export function phoneClient(config: Pick<PhoneSenderConfig, 'endpoint'>): PinpointSMSVoiceV2Client {
  return new PinpointSMSVoiceV2Client({
    endpoint: config.endpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
}

export interface SendPhoneCodeInput {
  /** E.164, as `parsePhoneNumber` wrote it. */
  to: string;
  channel: PhoneChannel;
  /** A language tag; unsupported or absent → the default locale. */
  locale: string | undefined;
  code: string;
  purpose: PhoneCodePurpose;
}

/** The metric every send adds to (namespace POWERTOOLS_METRICS_NAMESPACE): the stack-wide budget's alarm reads it. */
export const PHONE_METRICS = { sent: 'PhoneCodesSent', failed: 'PhoneCodesFailed' } as const;

export interface PhoneMetrics {
  addMetric: (name: string, unit: 'Count', value: number) => void;
}

/**
 * AWS says no to this message for good: the number is refused or opted out (`ValidationException`,
 * `ConflictException`). Everything else — throttling, a spend limit or quota reached (`ServiceQuotaExceeded`), an
 * outage, a missing origination identity or permission (an operator's fix, logged by name) — is 503: the user can
 * ask again later or use another factor.
 */
const REJECTED = new Set(['ValidationException', 'ConflictException']);

/**
 * Texts or calls a code, once (see `phoneClient`). Call it only after the send limits passed (the pending code and
 * every counter taken in one transaction, ./send-limits.ts).
 *
 * Neither the number nor the code is logged, and AWS's error text is not passed on: it may quote the number. A
 * failure is thrown as 422 `phone_rejected` (this number cannot get it) or 503 `phone_unavailable` (ask again later).
 */
export async function sendPhoneCode(
  client: Pick<PinpointSMSVoiceV2Client, 'send'>,
  config: PhoneSenderConfig,
  input: SendPhoneCodeInput,
  metrics: PhoneMetrics,
): Promise<{ messageId: string }> {
  const locale = emailLocaleFor(input.locale) ?? DEFAULT_EMAIL_LOCALE;
  const common = {
    DestinationPhoneNumber: input.to,
    OriginationIdentity: config.originationIdentity,
    ConfigurationSetName: config.configurationSet,
    // A code delivered after it expired is of no use to anyone.
    TimeToLive: CODE_TTL_MS / 1000,
    // Lets an operator tell enrollment codes from sign-in codes in the configuration set's events.
    Context: { kind: `code-${input.purpose}` },
  };
  try {
    let sent;
    if (input.channel === 'sms') {
      sent = await client.send(
        new SendTextMessageCommand({ ...common, MessageBody: smsText(locale, input.purpose, input.code), MessageType: 'TRANSACTIONAL', MaxPrice: config.maxPricePerSms }),
      );
    } else {
      const voice = voiceMessage(locale, input.purpose, input.code);
      sent = await client.send(
        new SendVoiceMessageCommand({ ...common, MessageBody: voice.ssml, MessageBodyTextType: 'SSML', VoiceId: voice.voiceId, MaxPricePerMinute: config.maxPricePerMinute }),
      );
    }
    const messageId = sent.MessageId ?? 'unknown';
    metrics.addMetric(PHONE_METRICS.sent, 'Count', 1);
    logger.info('phone code sent', { channel: input.channel, purpose: input.purpose, locale, messageId });
    return { messageId };
  } catch (err) {
    const e = (err ?? {}) as { name?: string; Reason?: string };
    const errorCode = typeof e.name === 'string' && e.name !== 'Error' ? e.name : 'network_error';
    const rejected = REJECTED.has(errorCode);
    metrics.addMetric(PHONE_METRICS.failed, 'Count', 1);
    // The name and AWS's reason code (`DESTINATION_PHONE_NUMBER_OPTED_OUT`, ...) only: never the message, which may quote the number.
    logger.warn('phone code not sent', { channel: input.channel, purpose: input.purpose, locale, errorCode, reason: typeof e.Reason === 'string' && /^[A-Z_]{1,64}$/.test(e.Reason) ? e.Reason : undefined, rejected });
    throw rejected
      ? new AppError(422, 'phone_rejected', 'phone_number: the code could not be sent to this number; check it, or use another way to verify')
      : new AppError(503, 'phone_unavailable', 'the code could not be sent just now; ask for a new code in a moment, or use another way to verify');
  }
}
