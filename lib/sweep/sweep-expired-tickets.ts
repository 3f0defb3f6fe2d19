import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { SweepConfig } from '../config';
import { PENDING_SHARDS } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';

export interface SweepDeps {
  store: Pick<TicketStore, 'expiredPendingPage' | 'expire' | 'deleteExpired'>;
  config: SweepConfig;
  now: () => number;
  /** Milliseconds left in this invocation (Lambda's `context.getRemainingTimeInMillis`). */
  remainingMs: () => number;
  /** Conditional writes in flight at once (default 10). */
  concurrency?: number;
}

/** What one run did. `expired`/`deleted` changed; `skipped` had moved on (redeemed, revoked, swept) before we got there. */
export interface SweepSummary {
  mode: SweepConfig['mode'];
  /** Keys of expired pending tickets the index returned. */
  scanned: number;
  expired: number;
  deleted: number;
  skipped: number;
  /** Items DynamoDB read from the index (`ScannedCount`): the sweep's cost grows with this, not with the table. */
  items_read: number;
  /** Read capacity the index queries consumed, as DynamoDB reported it. */
  capacity_units: number;
  /** True when every shard was read to its end; otherwise the next run carries on. */
  complete: boolean;
  /** Why a run ended early: near the invocation's deadline, or DynamoDB kept throttling past the SDK's retries. */
  stopped?: 'deadline' | 'throttled';
}

const THROTTLING = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);
const isThrottling = (err: unknown) => err instanceof Error && THROTTLING.has(err.name);

class Stop extends Error {
  constructor(readonly reason: NonNullable<SweepSummary['stopped']>) {
    super(reason);
  }
}

/**
 * Moves every pending ticket whose expiry has passed to `expired` (or deletes it, SWEEP_MODE=delete).
 *
 * Cost: it reads only the sparse `pending-by-expiry` index (pending tickets only, keys only), each shard from the
 * oldest expiry up to `now`, so it reads about as many items as have expired, never the table. Each ticket is then one
 * conditional write (`status = pending AND expires_at <= now`): a ticket redeemed or revoked at the last second keeps
 * its state, and two sweeps running at once change each ticket once.
 *
 * Shards are read round-robin a page at a time. Before each page and each group of writes it checks the time left;
 * under `safetyMarginMs` it stops cleanly, and whatever is left is still in the index for the next run.
 */
export async function sweepExpiredTickets(deps: SweepDeps): Promise<SweepSummary> {
  const { store, config } = deps;
  const concurrency = deps.concurrency ?? 10;
  const now = deps.now();
  const summary: SweepSummary = {
    mode: config.mode, scanned: 0, expired: 0, deleted: 0, skipped: 0, items_read: 0, capacity_units: 0, complete: false,
  };
  const cursors = new Map<string, Record<string, unknown> | undefined>(
    Array.from({ length: PENDING_SHARDS }, (_, i) => [`pending#${i}`, undefined]),
  );
  const checkTime = () => {
    if (deps.remainingMs() < config.safetyMarginMs) throw new Stop('deadline');
  };
  const sweepOne = (ticketId: string) =>
    config.mode === 'delete' ? store.deleteExpired(ticketId, now) : store.expire(ticketId, now);

  try {
    while (cursors.size > 0) {
      for (const shard of [...cursors.keys()]) {
        checkTime();
        const page = await store.expiredPendingPage(shard, now, config.batchSize, cursors.get(shard)).catch((err: unknown) => {
          throw isThrottling(err) ? new Stop('throttled') : err;
        });
        summary.items_read += page.itemsRead;
        summary.capacity_units += page.capacityUnits;
        summary.scanned += page.ticketIds.length;
        for (let i = 0; i < page.ticketIds.length; i += concurrency) {
          checkTime();
          const results = await Promise.allSettled(page.ticketIds.slice(i, i + concurrency).map(sweepOne));
          for (const result of results) {
            if (result.status === 'fulfilled') {
              if (!result.value) summary.skipped += 1;
              else if (config.mode === 'delete') summary.deleted += 1;
              else summary.expired += 1;
            }
          }
          const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failure) throw isThrottling(failure.reason) ? new Stop('throttled') : failure.reason;
        }
        if (page.next) cursors.set(shard, page.next);
        else cursors.delete(shard);
      }
    }
    summary.complete = true;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    summary.stopped = err.reason;
  }
  return summary;
}

/** One log line and the metrics of a run (namespace POWERTOOLS_METRICS_NAMESPACE). */
export function recordSweep(summary: SweepSummary, logger: Pick<Logger, 'info' | 'warn'>, metrics: Pick<Metrics, 'addMetric'>) {
  if (summary.stopped) logger.warn(`sweep stopped early (${summary.stopped}); the next run carries on`, { ...summary });
  else logger.info('sweep finished', { ...summary });
  metrics.addMetric('TicketsSwept', MetricUnit.Count, summary.expired + summary.deleted);
  metrics.addMetric('SweepSkipped', MetricUnit.Count, summary.skipped);
  metrics.addMetric('SweepItemsRead', MetricUnit.Count, summary.items_read);
  if (summary.stopped) metrics.addMetric('SweepIncomplete', MetricUnit.Count, 1);
}
