import type { Logger } from '@aws-lambda-powertools/logger';
import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { SecurityNotificationsConfig } from '../config';
import { DEFAULT_EMAIL_LOCALE, emailLocaleFor } from '../email/locales';
import { formatUtc } from '../email/render';
import { classifySendError } from '../email/ses';
import { changeOf, type Item } from '../events/changes';
import { eventsOf, type LifecycleEvent } from '../events/publish';
import { maskEmail } from '../factors/email/mask';
import type { SecurityNotificationKind } from './kinds';
import type { NotificationMarkerStore } from './marker-store';
import { findRecipient, type RecipientDeps } from './recipient';
import { prepareSecurityTemplates, renderSecurityEmail } from './templates';

/** Metric names (namespace POWERTOOLS_METRICS_NAMESPACE); docs/EMAIL.md "Security notifications". */
export const NOTIFICATION_METRICS = {
  sent: 'SecurityNotificationsSent',
  /** No address anywhere in the chain: nothing sent, nothing retried. */
  unaddressed: 'SecurityNotificationsUnaddressed',
  /** SES refused for good (MessageRejected, …): recorded on the marker, not retried. */
  rejected: 'SecurityNotificationsRejected',
  /** A transient failure: the stream retries the record, then parks it in the failure queue. */
  failed: 'SecurityNotificationsFailed',
} as const;

export interface NotifyDeps extends RecipientDeps {
  ses: Pick<SESClient, 'send'>;
  markers: Pick<NotificationMarkerStore, 'claim' | 'finish'>;
  config: SecurityNotificationsConfig & { emailFrom: string; sesConfigurationSet: string | undefined };
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: { addMetric: (name: string, unit: 'Count', value: number) => void };
  now: () => number;
}


/**
 * A batch in order, one record at a time (a record and its redelivery meet the marker the other left). At the first
 * record that fails for a retryable reason it stops and reports that record: Lambda retries from it (the records
 * after it come again too, and their markers make that harmless), bisecting, then parks it in the failure queue.
 */
export async function notifyRecords(deps: NotifyDeps, records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  for (const record of records) {
    try {
      await notifyRecord(deps, record);
    } catch (err) {
      deps.logger.warn('stream record reported for retry', {
        correlation_id: record.eventID,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}

/** Thrown for a failure worth retrying: the record is reported in batchItemFailures. */
export class RetryableNotificationError extends Error {
  constructor(readonly code: string) {
    super(`security notification not sent (${code}); the stream retries it`);
    this.name = 'RetryableNotificationError';
  }
}

/**
 * Which notification a lifecycle event is (lib/events/catalog.ts decides what the event is; this only maps it).
 * `browsers_forgotten` waits for its event.
 */
export function kindOf(event: LifecycleEvent): SecurityNotificationKind | undefined {
  switch (event.detailType) {
    case 'Enrollment Created':
      return 'added';
    case 'Enrollment Deleted':
      return 'removed';
    case 'MFA Challenge Accepted':
      return event.detail.factor === 'recovery-code' ? 'recovery_code_used' : undefined;
    case 'MFA User Locked Out':
      return 'locked_out';
    default:
      return undefined;
  }
}

/** The names enrollments get when the user gives none: the mail names the factor in their language instead. */
const DEFAULT_NAMES = new Set(['Authenticator app', 'Security key', 'Passkey']);
const NAME_SHOWN = 24;

/**
 * The authenticator's own name as the mail shows it: '' for a default name; an address masked as the email factor
 * masks it (`a•••@example.com`); runs of 4+ digits (a phone or serial number) kept to their last two; then at most
 * 24 characters. The mail goes to an inbox that may not be the user's alone; the user still recognizes the factor.
 */
export function maskedFactorName(name: unknown): string {
  if (typeof name !== 'string' || DEFAULT_NAMES.has(name.trim())) return '';
  let shown = name.trim();
  if (/^[^\s@]+@[^\s@]+$/.test(shown)) return maskEmail(shown);
  shown = shown.replace(/\d{4,}/g, (digits) => `${'•'.repeat(3)}${digits.slice(-2)}`);
  const chars = Array.from(shown);
  return chars.length > NAME_SHOWN ? `${chars.slice(0, NAME_SHOWN).join('')}…` : shown;
}

/** The factor an added/removed mail names, with the enrollment's masked name (from the item, not the event); none otherwise. */
function factorOf(kind: SecurityNotificationKind, event: LifecycleEvent, item: Item | undefined) {
  if (kind === 'added' || kind === 'removed') return { factor: String(event.detail.factor ?? ''), factor_name: maskedFactorName(item?.name) };
  return { factor: '', factor_name: '' };
}

/**
 * One stream record → its security notifications, each sent at most once per event id. Never throws for a
 * notification that cannot be sent for good (no address, SES refusing the address); throws RetryableNotificationError
 * (or the AWS error) for what a retry may fix.
 */
export async function notifyRecord(deps: NotifyDeps, record: DynamoDBRecord): Promise<void> {
  const change = changeOf(record);
  const item = change.name === 'REMOVE' ? change.before : change.after;
  for (const event of eventsOf(record)) {
    const kind = kindOf(event);
    if (!kind || !deps.config.kinds.has(kind)) continue;
    await notifyEvent(deps, kind, event, item);
  }
}

async function notifyEvent(deps: NotifyDeps, kind: SecurityNotificationKind, event: LifecycleEvent, item: Item | undefined): Promise<void> {
  const { detail } = event;
  const ids = { event_id: detail.event_id, correlation_id: detail.correlation_id, kind };
  const recipient = await findRecipient(deps, {
    userId: String(detail.user_id),
    ticketId: typeof detail.ticket_id === 'string' ? detail.ticket_id : undefined,
    enrollment: item,
  });
  if (!recipient) {
    deps.logger.warn('security notification not sent: no address for the user', ids);
    deps.metrics.addMetric(NOTIFICATION_METRICS.unaddressed, 'Count', 1);
    return;
  }

  const locale = emailLocaleFor(recipient.localeTag) ?? DEFAULT_EMAIL_LOCALE;
  const localeTag = recipient.localeTag && emailLocaleFor(recipient.localeTag) ? recipient.localeTag : locale;
  try {
    prepareSecurityTemplates(locale);
  } catch (err) {
    // A broken set holds its mails back (retried, then parked) rather than send something malformed.
    deps.logger.error('security templates failed their check; not sent, will be retried', { ...ids, locale, error: (err as Error).message });
    throw new RetryableNotificationError('template_check_failed');
  }

  const claim = await deps.markers.claim(detail.event_id, kind, deps.now());
  if (!claim.ok) {
    deps.logger.info('security notification already handled for this event', { ...ids, status: claim.status });
    return;
  }
  if (claim.retried) deps.logger.warn('an earlier attempt at this notification did not finish; sending it now', ids);

  const occurredAt = Date.parse(detail.occurred_at);
  const message = renderSecurityEmail(locale, {
    kind,
    occurred_at: formatUtc(occurredAt, localeTag, locale),
    occurred_at_iso: new Date(occurredAt).toISOString(),
    ...factorOf(kind, event, item),
    contact_url: deps.config.contactUrl ?? '',
    locale: localeTag,
  });

  let messageId: string;
  try {
    const sent = await deps.ses.send(
      new SendEmailCommand({
        Source: deps.config.emailFrom,
        Destination: { ToAddresses: [recipient.email] },
        Message: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
        },
        ConfigurationSetName: deps.config.sesConfigurationSet,
        Tags: deps.config.sesConfigurationSet ? [{ Name: 'notification', Value: kind }] : undefined,
      }),
    );
    messageId = sent.MessageId ?? 'unknown';
  } catch (err) {
    const failure = classifySendError(err);
    if (failure.permanent) {
      await deps.markers.finish(detail.event_id, 'rejected', deps.now());
      deps.logger.warn('security notification refused by SES for good; not retried', { ...ids, errorCode: failure.code });
      deps.metrics.addMetric(NOTIFICATION_METRICS.rejected, 'Count', 1);
      return;
    }
    // Best effort: a `sending` marker left behind is taken over by the retry just the same.
    await deps.markers.finish(detail.event_id, 'failed', deps.now()).catch(() => undefined);
    deps.logger.warn('security notification not sent; will be retried', { ...ids, errorCode: failure.code });
    deps.metrics.addMetric(NOTIFICATION_METRICS.failed, 'Count', 1);
    throw new RetryableNotificationError(failure.code);
  }

  deps.metrics.addMetric(NOTIFICATION_METRICS.sent, 'Count', 1);
  try {
    await deps.markers.finish(detail.event_id, 'sent', deps.now(), messageId);
    deps.logger.info('security notification sent', { ...ids, messageId, locale, source: recipient.source });
  } catch (err) {
    // The user has the mail: failing the record would send it again. The marker stays `sending`; the log says why.
    deps.logger.error('security notification sent but its marker could not be updated', { ...ids, messageId, error: (err as Error).name });
  }
}
