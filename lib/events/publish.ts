import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { EventsConfig } from '../config';
import { LIFECYCLE_RULES, firedBy, type LifecycleRule } from './catalog';
import { changeOf, eventIdOf, tableArnOf } from './changes';

/** One event to publish. */
export interface LifecycleEvent {
  detailType: string;
  detail: Record<string, unknown> & { event_id: string; correlation_id: string; occurred_at: string };
  /** The table the change happened in (the event's `resources`). */
  resources: string[];
  /** Counted in the Lockouts metric. */
  lockout: boolean;
}

/** Metric names (namespace POWERTOOLS_METRICS_NAMESPACE). The lockout-spike alarm watches `Lockouts`. */
export const EVENT_METRICS = {
  published: 'LifecycleEventsPublished',
  failed: 'LifecycleEventsFailed',
  lockouts: 'Lockouts',
} as const;

/** PutEvents takes at most 10 entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;

/** The lifecycle events one stream record stands for (none, for most writes). */
export function eventsOf(record: DynamoDBRecord, rules: readonly LifecycleRule[] = LIFECYCLE_RULES): LifecycleEvent[] {
  const change = changeOf(record);
  const events: LifecycleEvent[] = [];
  for (const rule of rules) {
    const item = firedBy(rule, change);
    if (!item) continue;
    const own = rule.detail(item, change) as { occurred_at: string };
    events.push({
      detailType: rule.detailType,
      detail: { event_id: eventIdOf(change, rule.detailType), correlation_id: change.recordId, ...own },
      resources: change.stream ? [tableArnOf(change.stream)] : [],
      lockout: rule.lockout === true,
    });
  }
  return events;
}

export interface PublishDeps {
  eventBridge: Pick<EventBridgeClient, 'send'>;
  config: Pick<EventsConfig, 'bus' | 'source'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'addMetric'>;
}

interface Pending {
  /** Position of its stream record in the batch. */
  index: number;
  event: LifecycleEvent;
}

const entryOf = (deps: PublishDeps, { event }: Pending): PutEventsRequestEntry => ({
  EventBusName: deps.config.bus,
  Source: deps.config.source,
  DetailType: event.detailType,
  Detail: JSON.stringify(event.detail),
  Resources: event.resources,
  Time: new Date(event.detail.occurred_at),
});

/** The ids a log line about an event names (never the detail as a whole). */
const subject = ({ event }: Pending) => ({
  correlation_id: event.detail.correlation_id,
  event_id: event.detail.event_id,
  detail_type: event.detailType,
  ticket_id: event.detail.ticket_id,
  enrollment_id: event.detail.enrollment_id,
  challenge_id: event.detail.challenge_id,
});

/**
 * A batch of stream records → EventBridge, in record order, PutEvents 10 entries at a time. At the first record that
 * cannot be read or whose event EventBridge refuses (a failed entry, or the call failing), it stops and reports that
 * record in `batchItemFailures`: Lambda retries from it, and the events of the records after it go out then. Entries
 * already accepted in the failing call go out again with the same `event_id` (consumers de-duplicate on it).
 */
export async function publishLifecycleEvents(deps: PublishDeps, records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  let failedAt: number | undefined;
  const pending: Pending[] = [];
  for (const [index, record] of records.entries()) {
    try {
      for (const event of eventsOf(record)) pending.push({ index, event });
    } catch (err) {
      // A bug or an item written in a shape we do not know: retried, then parked in the on-failure queue (alarmed).
      deps.logger.error('stream record could not be turned into lifecycle events', {
        correlation_id: record.eventID,
        error: err instanceof Error ? err.message : String(err),
      });
      failedAt = index;
      break;
    }
  }

  for (let start = 0; start < pending.length; start += MAX_ENTRIES_PER_CALL) {
    const chunk = pending.slice(start, start + MAX_ENTRIES_PER_CALL).filter((p) => failedAt === undefined || p.index < failedAt);
    if (chunk.length === 0) break;
    const refused = await putChunk(deps, chunk);
    if (refused !== undefined) {
      failedAt = Math.min(refused, failedAt ?? refused);
      break;
    }
  }

  const sequenceNumber = failedAt === undefined ? undefined : records[failedAt]?.dynamodb?.SequenceNumber;
  return { batchItemFailures: sequenceNumber === undefined ? [] : [{ itemIdentifier: sequenceNumber }] };
}

/** One PutEvents call; the batch position of the first record with a refused entry, or undefined when all went out. */
async function putChunk(deps: PublishDeps, chunk: Pending[]): Promise<number | undefined> {
  let entries;
  try {
    ({ Entries: entries } = await deps.eventBridge.send(new PutEventsCommand({ Entries: chunk.map((p) => entryOf(deps, p)) })));
  } catch (err) {
    deps.logger.warn('PutEvents failed; the stream retries these records', {
      correlation_ids: [...new Set(chunk.map((p) => p.event.detail.correlation_id))],
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    deps.metrics.addMetric(EVENT_METRICS.failed, MetricUnit.Count, chunk.length);
    return chunk[0]!.index;
  }

  let refused: number | undefined;
  let published = 0;
  let lockouts = 0;
  chunk.forEach((p, i) => {
    const result = entries?.[i];
    if (result?.EventId && !result.ErrorCode) {
      published += 1;
      if (p.event.lockout) lockouts += 1;
      deps.logger.info('lifecycle event published', { ...subject(p), eventbridge_id: result.EventId });
      return;
    }
    refused = Math.min(p.index, refused ?? p.index);
    deps.logger.warn('EventBridge refused a lifecycle event; the stream retries its record', {
      ...subject(p),
      error_code: result?.ErrorCode ?? 'missing_entry',
      error: result?.ErrorMessage,
    });
  });
  deps.metrics.addMetric(EVENT_METRICS.published, MetricUnit.Count, published);
  if (lockouts > 0) deps.metrics.addMetric(EVENT_METRICS.lockouts, MetricUnit.Count, lockouts);
  if (published < chunk.length) deps.metrics.addMetric(EVENT_METRICS.failed, MetricUnit.Count, chunk.length - published);
  return refused;
}
