import type { SESClient } from '@aws-sdk/client-ses';
import type { Settings } from '../../config';
import { enrollmentSecretContext, open } from '../../crypto/secret-box';
import { filedEnrollmentOwner } from '../../store/records';
import type { CodeSender } from '../factor';
import { addressKey, maskEmail } from './address';
import { emailDescriptor } from './descriptor';
import { sendCodeEmail, codeEmailConfig } from './send';
import { emailRate, type EmailSendLimits } from './send-limits';

/**
 * Signing in by email, the step before the code (POST /mfa/email/send): the enrolled address, opened only here and
 * only after the send conditions passed, and the code email through SES. Fails loudly at cold start without
 * EMAIL_FROM.
 */
export function emailLoginSender(
  ses: Pick<SESClient, 'send'>,
  config: Pick<Settings, 'emailFrom' | 'sesConfigurationSet'>,
  limits: Pick<EmailSendLimits, 'maxPerAddressPerHour'>,
): CodeSender {
  const mail = codeEmailConfig(config);
  return {
    name: emailDescriptor.name,
    channel: 'email',
    usable: emailDescriptor.usable,
    rate: emailRate(limits),
    destination(enrollment, keys) {
      if (enrollment.factor !== 'email') throw new Error(`enrollment ${enrollment.enrollment_id} has no address`);
      // The owner from where the item is filed, as for TOTP secrets: a copy under another user does not open.
      const owner = filedEnrollmentOwner(enrollment);
      const to = open(enrollment.email, keys, enrollmentSecretContext(owner.userId, owner.enrollmentId)).toString('utf8');
      return { to, rateKey: addressKey(to, keys), masked: enrollment.masked_email || maskEmail(to) };
    },
    async deliver(destination, code, locale) {
      await sendCodeEmail(ses, mail, { to: destination.to, locale, code, purpose: 'login' });
    },
  };
}
