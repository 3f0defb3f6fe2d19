import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { logger, withInvocationLogger } from '../lib/log';
import { emailLookupFor } from '../lib/signup/email-lookup';
import { COGNITO_BUDGET_MS, SIGNUP_METRICS, handleSignupEvent, type SignupDeps } from '../lib/signup/issue-signup-ticket';
import { ticketContext } from '../lib/tickets';

const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'mfa-tickets' });

// Built once per cold start. A configuration error is kept, not thrown: thrown at load it would fail every Cognito
// signup; kept, every invocation logs it and counts it in SignupTicketFailed while users still get through.
let deps: SignupDeps | undefined;
let initError: unknown;
try {
  const { config, store, now } = ticketContext('signingKeys');
  // The URL is not used here: the mailer rebuilds it from the stream record. With COGNITO_USER_POOL_ID, a signup whose
  // address is not trusted is mailed at the pool's verified address for that user.
  const create = { store, config, now, baseUrl: config.publicBaseUrl ?? '', lookupEmail: emailLookupFor(config) };
  deps = { create, config: config.signup, logger, metrics };
} catch (err) {
  initError = err;
}

/**
 * Cognito PostConfirmation trigger and EventBridge "User Signed Up" events: issue the new user's enrollment ticket.
 * Returns the event unchanged (what Cognito requires; EventBridge ignores it). See lib/signup for what never throws.
 */
export const handler = async <E>(event: E, context: Context): Promise<E> =>
  withInvocationLogger(context, {}, async () => {
    try {
      if (!deps) {
        logger.error('signup function misconfigured; no ticket issued', { error: String(initError) });
        metrics.addMetric(SIGNUP_METRICS.failed, MetricUnit.Count, 1);
        return event;
      }
      await handleSignupEvent(deps, event, Math.min(COGNITO_BUDGET_MS, context.getRemainingTimeInMillis() - 500));
      return event;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  });
