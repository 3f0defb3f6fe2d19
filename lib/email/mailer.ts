import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { MailerConfig } from '../config';
import { logger } from '../log';
import { ticketUrl } from '../tickets/create-ticket';
import { effectiveStatus, type TicketRecord } from '../tickets/ticket';
import { ticketToken } from '../tickets/tokens';
import type { EmailDeliveryStore } from './delivery-store';
import { DEFAULT_EMAIL_LOCALE, emailLocaleFor } from './locales';
import { classifySendError } from './ses';
import { formatExpiry, prepareTemplates, renderTicketEmail } from './templates';

/** A stream record that asks for an email: the ticket as written and the request to honour. */
export interface EmailJob {
  ticket: TicketRecord;
  requestId: string;
}

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;
const ticketOf = (image: Image | undefined) =>
  image ? (unmarshall(image as Parameters<typeof unmarshall>[0]) as TicketRecord) : undefined;

/**
 * The records the mailer acts on: a ticket written with a pending email request (INSERT with `send_mail`) or one
 * whose request changed (MODIFY by a resend). Everything else is ignored, including the mailer's own updates (same
 * request id) and every other item type in the table.
 */
export function emailJobOf(record: DynamoDBRecord): EmailJob | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return undefined;
  const ticket = ticketOf(record.dynamodb?.NewImage);
  const delivery = ticket?.type === 'ticket' ? ticket.email_delivery : undefined;
  if (!ticket || delivery?.status !== 'pending') return undefined;
  if (record.eventName === 'MODIFY' && ticketOf(record.dynamodb?.OldImage)?.email_delivery?.request_id === delivery.request_id) {
    return undefined;
  }
  return { ticket, requestId: delivery.request_id };
}

/** Thrown for a failure worth retrying; its message names no address, URL or token (Lambda logs it). */
export class RetryableEmailError extends Error {
  constructor(ticketId: string, code: string) {
    super(`email for ticket ${ticketId} not sent yet (${code}); the stream retries it`);
    this.name = 'RetryableEmailError';
  }
}

export interface MailerDeps {
  ses: Pick<SESClient, 'send'>;
  deliveries: EmailDeliveryStore;
  config: Pick<MailerConfig, 'emailFrom' | 'publicBaseUrl' | 'sesConfigurationSet' | 'signingKeys'>;
  now: () => number;
}

export type Outcome = 'ignored' | 'sent' | 'failed' | 'skipped';

/**
 * Sends the email a stream record asks for, at most once per request as far as the table can tell:
 * claim (conditional: this request is current, unsent and the ticket pending) → render → SES → record the outcome
 * (conditional on the same request). A duplicate or retried record finds the request sent or failed and sends nothing.
 * The one window left, SES accepting the message and the process dying before it is recorded, is in docs/EMAIL.md.
 */
export async function handleEmailRecord(deps: MailerDeps, record: DynamoDBRecord): Promise<Outcome> {
  const job = emailJobOf(record);
  if (!job) return 'ignored';
  const ticketId = job.ticket.ticket_id;
  const { requestId } = job;
  const now = deps.now();

  const claim = await deps.deliveries.claim(ticketId, requestId, now);
  if (!claim.ok) {
    const current = claim.current;
    const delivery = current?.email_delivery;
    if (!current || delivery?.request_id !== requestId) {
      logger.info('email request superseded or ticket gone; nothing sent', { ticketId, requestId });
      return 'skipped';
    }
    if (delivery.status === 'sent' || delivery.status === 'failed') {
      logger.info('email request already handled; nothing sent', { ticketId, requestId, status: delivery.status });
      return 'skipped';
    }
    const status = effectiveStatus(current, now);
    await deps.deliveries.recordFailed(ticketId, requestId, { code: `ticket_${status}`, reason: `The ticket was ${status} before the email was sent.` }, now);
    logger.info('ticket no longer pending; email not sent', { ticketId, requestId, status });
    return 'failed';
  }

  // The ticket as claimed, not as the record had it: its address and link generation are the current ones (a send to
  // a new address replaces the request, so this request's address is the one the current link belongs to).
  const ticket = claim.ticket;
  const fail = async (code: string, reason: string) => {
    await deps.deliveries.recordFailed(ticketId, requestId, { code, reason }, deps.now());
    logger.warn('email failed permanently', { ticketId, requestId, errorCode: code, reason });
    return 'failed' as const;
  };
  const key = deps.config.signingKeys.byId.get(ticket.key_id);
  if (!key) return fail('signing_key_unavailable', `The signing key "${ticket.key_id}" that made this ticket is no longer configured.`);
  if (!ticket.email) return fail('email_missing', 'The ticket has no email address.');
  const locale = emailLocaleFor(ticket.email_locale) ?? DEFAULT_EMAIL_LOCALE;
  try {
    // The locale's templates are compiled and checked on its first use (not all of them at cold start). A set that
    // fails the check holds its emails back, retried by the stream, as the cold-start check did: a fixed deploy sends them.
    prepareTemplates(locale);
  } catch (err) {
    logger.error('email templates failed their check; email not sent, will be retried', { ticketId, requestId, locale, error: (err as Error).message });
    throw new RetryableEmailError(ticketId, 'template_check_failed');
  }

  let message;
  try {
    message = renderTicketEmail(locale, {
      ticket_url: ticketUrl(deps.config.publicBaseUrl, ticketToken(ticketId, ticket.generation, key)),
      ...formatExpiry(ticket.expires_at, now, ticket.email_locale ?? locale, locale),
      user_id: ticket.user_id,
      email: ticket.email,
      locale: ticket.email_locale ?? locale,
      factor: ticket.factor,
      ticket_id: ticketId,
    });
  } catch (err) {
    return fail('template_error', `templates/email/${locale}: ${(err as Error).message}`.slice(0, 300));
  }

  let messageId: string;
  try {
    const sent = await deps.ses.send(
      new SendEmailCommand({
        Source: deps.config.emailFrom,
        Destination: { ToAddresses: [ticket.email] },
        Message: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
        },
        ConfigurationSetName: deps.config.sesConfigurationSet,
        Tags: deps.config.sesConfigurationSet ? [{ Name: 'ticket_id', Value: ticketId }] : undefined,
      }),
    );
    messageId = sent.MessageId ?? 'unknown';
  } catch (err) {
    const failure = classifySendError(err);
    if (failure.permanent) return fail(failure.code, failure.reason);
    logger.warn('email not sent; will be retried', { ticketId, requestId, errorCode: failure.code, reason: failure.reason });
    throw new RetryableEmailError(ticketId, failure.code);
  }

  try {
    const recorded = await deps.deliveries.recordSent(ticketId, requestId, messageId, deps.now());
    logger.info('email sent', { ticketId, requestId, messageId, locale, recorded });
  } catch (err) {
    // The user has the email: retrying the record would send it again. It stays `sending`; the log says why.
    logger.error('email sent but its status could not be recorded', { ticketId, requestId, messageId, error: (err as Error).name });
  }
  return 'sent';
}
