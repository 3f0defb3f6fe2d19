import type { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { badRequest } from '../../errors';
import type { CodeDelivery } from '../factor';
import { maskPhone, numberKey, parsePhoneNumber, type PhoneChannel } from './number';
import { sendPhoneCode, type PhoneMetrics, type PhoneSenderConfig } from './send';
import { phoneNumberHourRate, requesterCaps, type PhoneSendLimits } from './send-limits';

/**
 * Where an enrollment code goes and how: the number the user typed (a ticket names none), parsed, of an allowed
 * country and, for a text, a mobile (./number.ts: 400s naming `phone_number`), texted or called as `channel` says.
 * Every send takes a slot from each phone cap (./send-limits.ts) in the ticket's send transaction.
 */
export function phoneDelivery(
  client: Pick<PinpointSMSVoiceV2Client, 'send'>,
  config: PhoneSenderConfig,
  limits: PhoneSendLimits,
  metrics: PhoneMetrics,
  request: { channel: PhoneChannel; allowedCountries: ReadonlySet<string> },
): CodeDelivery {
  return {
    channel: 'phone',
    method: request.channel,
    limits,
    rate: phoneNumberHourRate(limits),
    destination(_ticket, requested) {
      if (requested === undefined) throw badRequest('phone_number_required', 'phone_number: is required');
      return parsePhoneNumber(requested, { field: 'phone_number', channel: request.channel, allowedCountries: request.allowedCountries }).e164;
    },
    destinationKey: numberKey,
    caps(destination, requester, keys) {
      return requesterCaps(limits, numberKey(destination, keys), requester, keys);
    },
    masked: maskPhone,
    async deliver(to, code, locale) {
      await sendPhoneCode(client, config, { to, channel: request.channel, locale, code, purpose: 'enroll' }, metrics);
    },
  };
}
