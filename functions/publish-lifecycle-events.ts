import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { getConfig } from '../lib/config';
import { publishLifecycleEvents } from '../lib/events/publish';
import { logger, withInvocationLogger } from '../lib/log';

const { events: config } = getConfig();
const deps = {
  // Locally EVENTBRIDGE_ENDPOINT points at the local stack's event sink (infra/local/event-sink.ts).
  eventBridge: new EventBridgeClient({ endpoint: config.endpoint, maxAttempts: 3 }),
  config,
  logger,
  metrics: new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets' }),
};

/**
 * The table's stream → lifecycle events on EventBridge (lib/events, docs/EVENTS.md). A record whose event could not
 * be published is reported in `batchItemFailures`; the stream retries from it with the same event ids.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
  withInvocationLogger(context, {}, async () => {
    try {
      return await publishLifecycleEvents(deps, event.Records);
    } finally {
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  });
