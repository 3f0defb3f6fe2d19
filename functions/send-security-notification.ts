import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../lib/aws';
import { getConfig, notifierConfig } from '../lib/config';
import { sesClient } from '../lib/email/ses';
import { logger, withInvocationLogger } from '../lib/log';
import { NotificationMarkerStore } from '../lib/notify/marker-store';
import { notifyRecord, type NotifyDeps } from '../lib/notify/notifications';
import { emailLookupFor } from '../lib/signup/email-lookup';

// Cold start: configuration checked (a missing EMAIL_FROM fails here). Templates are checked per locale on first use.
const config = notifierConfig(getConfig());
const db = documentClient(config);
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets' });
const deps: NotifyDeps = {
  db,
  tableName: config.tableName,
  identityLookup: emailLookupFor(config),
  ses: sesClient(config),
  markers: new NotificationMarkerStore(db, config.tableName),
  config: { ...config.securityNotifications, emailFrom: config.emailFrom, sesConfigurationSet: config.sesConfigurationSet },
  logger,
  metrics,
  now: () => Date.now(),
};
const processor = new BatchProcessor(EventType.DynamoDBStreams);

/**
 * The table's stream → security notification emails (lib/notify, docs/EMAIL.md "Security notifications"). A record
 * whose mail failed for a reason a retry may fix is reported in `batchItemFailures`: the stream retries from it, then
 * parks it in the failure queue (alarmed). The action that caused the event finished long before: nothing here can
 * fail or slow it.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
  withInvocationLogger(context, {}, async () => {
    try {
      return await processPartialResponse(event, (record: DynamoDBRecord) => notifyRecord(deps, record), processor, {
        context,
        processInParallel: false,
      });
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  });
