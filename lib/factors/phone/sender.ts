import type { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { enrollmentSecretContext, open } from '../../crypto/secret-box';
import { filedEnrollmentOwner } from '../../store/records';
import type { CodeSender } from '../factor';
import { phoneDescriptor } from './descriptor';
import { maskPhone } from './mask';
import { numberKey, type PhoneChannel } from './number';
import { sendPhoneCode, type PhoneMetrics, type PhoneSenderConfig } from './send';
import { phoneNumberHourRate, requesterCaps, type PhoneSendLimits } from './send-limits';

/**
 * Signing in by phone, the step before the code (POST /mfa/phone/send): the enrolled number, opened only here and
 * only after the send rules passed, and the code texted or read out through End User Messaging (./send.ts). The way
 * is the one asked for (`channel`), else the enrollment's `preferred_authentication_method`; it is kept on the
 * challenge's pending code, so the login reports `sms`/`["sms"]` or `voice`/`["tel"]`. Every send takes a slot from
 * each of the phone caps (./send-limits.ts) in the same transaction as the challenge's own send rules.
 */
export function phoneLoginSender(
  client: Pick<PinpointSMSVoiceV2Client, 'send'>,
  config: PhoneSenderConfig,
  limits: PhoneSendLimits,
  metrics: PhoneMetrics,
  channel: PhoneChannel | undefined,
): CodeSender {
  return {
    name: phoneDescriptor.name,
    channel: 'phone',
    usable: phoneDescriptor.usable,
    rate: phoneNumberHourRate(limits),
    destination(enrollment, keys) {
      if (enrollment.factor !== 'phone') throw new Error(`enrollment ${enrollment.enrollment_id} has no number`);
      // The owner from where the item is filed, as for TOTP secrets: a copy under another user does not open.
      const owner = filedEnrollmentOwner(enrollment);
      const to = open(enrollment.phone_number, keys, enrollmentSecretContext(owner.userId, owner.enrollmentId)).toString('utf8');
      const method = channel ?? enrollment.preferred_authentication_method;
      return { to, rateKey: numberKey(to, keys), masked: enrollment.masked_phone || maskPhone(to), method };
    },
    caps(destination, requester, keys) {
      return requesterCaps(limits, destination.rateKey, requester, keys);
    },
    async deliver(destination, code, locale) {
      const via: PhoneChannel = destination.method === 'voice' ? 'voice' : 'sms';
      await sendPhoneCode(client, config, { to: destination.to, channel: via, locale, code, purpose: 'login' }, metrics);
    },
  };
}
