import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../lib/aws';
import { getConfig, notifierConfig } from '../lib/config';
import { sesClient } from '../lib/email/ses';
import { logger, withInvocationLogger } from '../lib/log';
import { NotificationMarkerStore } from '../lib/notify/marker-store';
import { emfMetrics } from '../lib/emf-metrics';
import { notifyRecords, type NotifyDeps } from '../lib/notify/notifications';
import { emailLookupFor } from '../lib/signup/email-lookup';

// Cold start: configuration checked (a missing EMAIL_FROM or ENCRYPTION_KEYS fails here). Templates are checked per locale on first use.
const config = notifierConfig(getConfig('encryptionKeys'));
const db = documentClient(config);
const metrics = emfMetrics(process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets');
const deps: NotifyDeps = {
  db,
  tableName: config.tableName,
  identityLookup: emailLookupFor(config),
  keys: config.encryptionKeys,
  ses: sesClient(config),
  markers: new NotificationMarkerStore(db, config.tableName),
  config: { ...config.securityNotifications, emailFrom: config.emailFrom, sesConfigurationSet: config.sesConfigurationSet },
  logger,
  metrics,
  now: () => Date.now(),
};

/**
 * The table's stream → security notification emails (lib/notify, docs/EMAIL.md "Security notifications"). A record
 * whose mail failed for a reason a retry may fix is reported in `batchItemFailures`: the stream retries from it, then
 * parks it in the failure queue (alarmed). The action that caused the event finished long before: nothing here can
 * fail or slow it.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
  withInvocationLogger(context, {}, async () => {
    try {
      return await notifyRecords(deps, event.Records);
    } finally {
      metrics.flush();
    }
  });
