import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { logger, withInvocationLogger } from '../lib/log';
import { recordSweep, sweepExpiredTickets, type SweepSummary } from '../lib/sweep/sweep-expired-tickets';
import { ticketContext } from '../lib/tickets';

const { config, store, now } = ticketContext();
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets' });

/**
 * EventBridge schedule (SWEEP_RATE, hourly by default), or `npm run sweep`: expire (or delete) pending tickets past
 * their expiry, reading only the sparse pending index. The event's content is ignored; the summary is returned.
 */
export const handler = async (_event: unknown, context: Context): Promise<SweepSummary> =>
  withInvocationLogger(context, {}, async () => {
    try {
      const summary = await sweepExpiredTickets({
        store,
        config: config.sweep,
        now,
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
      recordSweep(summary, logger, metrics);
      return summary;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  });
