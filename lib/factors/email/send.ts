import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { Settings } from '../../config';
import { DEFAULT_EMAIL_LOCALE, emailLocaleFor } from '../../email/locales';
import { classifySendError } from '../../email/ses';
import { AppError } from '../../errors';
import { logger } from '../../log';
import type { CodeEmailPurpose } from './message';
import { codeEmail } from './prerendered';

/** What sending a code needs: the ticket mailer's From address and configuration set (EMAIL_FROM, SES_CONFIGURATION_SET). */
export type CodeEmailConfig = Pick<Settings, 'sesConfigurationSet'> & { emailFrom: string };

/** Fails loudly at the cold start of a function that sends codes when EMAIL_FROM is not configured. */
export function codeEmailConfig(config: Pick<Settings, 'emailFrom' | 'sesConfigurationSet'>): CodeEmailConfig {
  if (!config.emailFrom) throw new Error('Invalid configuration: EMAIL_FROM: is required by the functions that email codes');
  return { emailFrom: config.emailFrom, sesConfigurationSet: config.sesConfigurationSet };
}

export interface SendCodeEmailInput {
  /** The address as enrolled or given (never a normalized form: that one is for counting only). */
  to: string;
  /** A language tag (the ticket's `email_locale`, or the user's); unsupported or absent → the default locale's templates. */
  locale: string | undefined;
  code: string;
  purpose: CodeEmailPurpose;
}

/**
 * Emails a code, once: no retry here, since a user waiting at the page asks again after the cooldown, and a retried
 * SendEmail that had in fact gone through would mail two codes. Call it only after the send conditions passed (the
 * pending code written under `pendingSendCondition`, the address's hour taken).
 *
 * Nothing about the recipient or the code is logged, and SES's own error text is not passed on: it quotes the address
 * (`MessageRejected: ... identities failed the check ...: ada@example.com`). A failure is thrown as
 * - 422 `email_rejected`: SES refuses this message for good (the address or the sender is refused, sending paused);
 * - 503 `email_unavailable`: throttling, an SES outage, the network; the user can ask again.
 */
export async function sendCodeEmail(
  ses: Pick<SESClient, 'send'>,
  config: CodeEmailConfig,
  input: SendCodeEmailInput,
): Promise<{ messageId: string }> {
  const locale = emailLocaleFor(input.locale) ?? DEFAULT_EMAIL_LOCALE;
  // The templates rendered ahead of time (./prerendered.ts): the same bytes, without the template engine.
  const message = codeEmail(locale, input.purpose, input.code);
  try {
    const sent = await ses.send(
      new SendEmailCommand({
        Source: config.emailFrom,
        Destination: { ToAddresses: [input.to] },
        Message: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
        },
        ConfigurationSetName: config.sesConfigurationSet,
        // Lets an operator tell code emails from ticket emails in the configuration set's events.
        Tags: config.sesConfigurationSet ? [{ Name: 'email_kind', Value: `code-${input.purpose}` }] : undefined,
      }),
    );
    const messageId = sent.MessageId ?? 'unknown';
    logger.info('code email sent', { purpose: input.purpose, locale, messageId });
    return { messageId };
  } catch (err) {
    const failure = classifySendError(err);
    logger.warn('code email not sent', { purpose: input.purpose, locale, errorCode: failure.code, permanent: failure.permanent });
    throw failure.permanent
      ? new AppError(422, 'email_rejected', 'email: the code could not be sent to this address; check it, or use another way to verify')
      : new AppError(503, 'email_unavailable', 'the code email could not be sent just now; ask for a new code in a moment');
  }
}
