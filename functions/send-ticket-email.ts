import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../lib/aws';
import { getConfig, mailerConfig } from '../lib/config';
import { EmailDeliveryStore } from '../lib/email/delivery-store';
import { handleEmailRecord } from '../lib/email/mailer';
import { sesClient } from '../lib/email/ses';
import { withInvocationLogger } from '../lib/log';

// Cold start: configuration checked (a missing EMAIL_FROM fails here, loudly). Each locale's templates are compiled
// and checked on the first email in that locale (lib/email/templates.ts `prepareTemplates`), not all at cold start.
const config = mailerConfig(getConfig('signingKeys'));
const deps = {
  ses: sesClient(config),
  deliveries: new EmailDeliveryStore(documentClient(config), config.tableName),
  config,
  now: () => Date.now(),
};
const processor = new BatchProcessor(EventType.DynamoDBStreams);

/**
 * The table's stream → SES. Records that fail for a retryable reason are reported in `batchItemFailures`, so the
 * stream retries from the first of them (and bisects a batch that fails whole); permanent failures are recorded on
 * the ticket and not retried.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
  withInvocationLogger(context, {}, () =>
    // In order, one record at a time: a ticket's records (and any duplicates) meet the state the previous one left.
    processPartialResponse(event, (record: DynamoDBRecord) => handleEmailRecord(deps, record), processor, {
      context,
      processInParallel: false,
    }),
  );
