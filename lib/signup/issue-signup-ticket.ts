import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import * as v from 'valibot';
import type { SignupConfig } from '../config';
import { emailLocaleSchema } from '../email/locales';
import { AppError } from '../errors';
import { parse } from '../http';
import { createTicket, createTicketSchema, type CreateTicketDeps } from '../tickets/create-ticket';
import { parseSignupEvent, type Signup } from './signup-event';

export interface SignupDeps {
  /** The admin API's create path, unchanged: the same validation, record and outbox (the stream mails it). */
  create: CreateTicketDeps;
  config: SignupConfig;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'addMetric'>;
}

export type SignupOutcome =
  | { outcome: 'issued' | 'duplicate'; ticketId: string | undefined }
  | { outcome: 'ignored' | 'dropped' | 'rejected' | 'failed'; reason: string };

/** Metric names (namespace POWERTOOLS_METRICS_NAMESPACE); alarm on SignupTicketFailed and SignupEventDropped. */
export const SIGNUP_METRICS = {
  issued: 'SignupTicketIssued',
  duplicate: 'SignupTicketDuplicate',
  failed: 'SignupTicketFailed',
  dropped: 'SignupEventDropped',
} as const;

/**
 * How long a Cognito trigger may spend on the ticket. Cognito waits 5 s for a trigger, then retries and finally fails
 * the user's ConfirmSignUp call: well before that, we give up on the ticket and let the signup through.
 */
export const COGNITO_BUDGET_MS = 3500;

/** The user's own locale when we can mail in it (`fr_FR` → `fr-FR`), else the configured default, else the mailer's. */
export function signupLocale(userLocale: string | undefined, fallback: string | undefined): string | undefined {
  const normalized = userLocale?.trim().replace('_', '-').replace(/^([a-zA-Z]+)(?:-([a-zA-Z]+))?$/, (_, lang: string, region?: string) =>
    region ? `${lang.toLowerCase()}-${region.toUpperCase()}` : lang.toLowerCase(),
  );
  for (const candidate of [normalized, fallback]) {
    if (candidate !== undefined && v.is(emailLocaleSchema, candidate)) return candidate;
  }
  return undefined;
}

/** The key that makes a signup create one ticket however often it is delivered (Cognito and EventBridge both retry). */
export const signupIdempotencyKey = (userId: string) => `signup:${userId}`;

/**
 * The address to mail, as far as we trust it: Cognito's (verified, see signup-event.ts); an EventBridge event's only
 * when the deploy says so. Otherwise none: the create path then looks the user up in the user pool (verified emails
 * only) when one is configured, or refuses with `email_required` — no ticket rather than a ticket mailed to whoever
 * the event names (docs/SIGNUP-AND-SWEEP.md "Whose word is trusted").
 */
export function trustedEmail(signup: Signup, config: Pick<SignupConfig, 'trustEventEmail'>): string | undefined {
  return signup.via === 'eventbridge' && !config.trustEventEmail ? undefined : signup.email;
}

/**
 * Creates the signup's ticket through the admin API's create path, at most once per user. Returns what happened;
 * business refusals (no email while mailing is on, an invalid id, ...) are outcomes, not errors. Anything else
 * (throttling, an outage) is thrown: the caller decides whether it may be retried.
 */
export async function issueSignupTicket(deps: SignupDeps, signup: Signup): Promise<SignupOutcome> {
  const { config } = deps;
  try {
    const input = parse(createTicketSchema, {
      user_id: signup.userId,
      email: trustedEmail(signup, config),
      send_mail: config.sendMail,
      email_locale: signupLocale(signup.locale, config.locale),
      factor: config.factor,
      ttl_sec: config.ttlSec,
    });
    const created = await createTicket(deps.create, input, { idempotencyKey: signupIdempotencyKey(input.user_id), origin: { via: 'signup' } });
    return { outcome: 'issued', ticketId: created.ticket_id };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === 'ticket_already_issued') {
      return { outcome: 'duplicate', ticketId: err.details?.ticket_id as string | undefined };
    }
    // A user who already has an authenticator needs no enrollment ticket: not a failure worth an alarm.
    if (err.code === 'already_enrolled') return { outcome: 'ignored', reason: err.message };
    const untrusted = err.code === 'email_required' && signup.email !== undefined && trustedEmail(signup, config) === undefined;
    const why = untrusted ? ' (the event carried an address, which is not used: SIGNUP_TRUST_EVENT_EMAIL is false)' : '';
    return { outcome: 'rejected', reason: `${err.code}: ${err.message}${why}` };
  }
}

function record(deps: SignupDeps, signup: Signup | undefined, result: SignupOutcome): SignupOutcome {
  const keys = { via: signup?.via, userId: signup?.userId, ...result };
  switch (result.outcome) {
    case 'issued':
      deps.logger.info('signup ticket issued', keys);
      break;
    case 'duplicate':
      deps.logger.info('signup already had its ticket; nothing created', keys);
      break;
    case 'ignored':
      deps.logger.info('nothing to do for this event', keys);
      return result;
    case 'dropped':
      deps.logger.warn('signup event dropped', keys);
      break;
    case 'rejected':
      deps.logger.warn('no ticket for this signup', keys);
      break;
    case 'failed':
      deps.logger.error('signup ticket failed', keys);
  }
  const metric = { issued: 'issued', duplicate: 'duplicate', dropped: 'dropped', rejected: 'failed', failed: 'failed' } as const;
  deps.metrics.addMetric(SIGNUP_METRICS[metric[result.outcome]], MetricUnit.Count, 1);
  return result;
}

/** Rejects after `ms`, so a slow dependency cannot hold a Cognito signup past its own timeout. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const describeError = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/**
 * Handles whatever the signup function received.
 *
 * - Cognito PostConfirmation: **never throws**. A failed or slow ticket write must not fail the user's signup
 *   (Cognito would report the trigger's error to the signing-up user); it is logged and counted in SignupTicketFailed,
 *   and an admin can issue the ticket through the API. `budgetMs` bounds the time spent.
 * - EventBridge: a malformed detail is dropped (a retry cannot fix it); a transient failure is thrown so that Lambda's
 *   asynchronous retries deliver the event again, which the idempotency marker makes harmless.
 */
export async function handleSignupEvent(deps: SignupDeps, event: unknown, budgetMs: number): Promise<SignupOutcome> {
  const parsed = parseSignupEvent(event, deps.config.eventSource);
  if (parsed.kind === 'ignored') return record(deps, undefined, { outcome: 'ignored', reason: parsed.reason });
  if (parsed.kind === 'invalid') return record(deps, undefined, { outcome: 'dropped', reason: parsed.reason });
  const { signup } = parsed;
  if (signup.via === 'eventbridge') {
    try {
      return record(deps, signup, await issueSignupTicket(deps, signup));
    } catch (err) {
      record(deps, signup, { outcome: 'failed', reason: `${describeError(err)} (the event will be delivered again)` });
      throw err;
    }
  }
  try {
    return record(deps, signup, await withDeadline(issueSignupTicket(deps, signup), budgetMs));
  } catch (err) {
    return record(deps, signup, { outcome: 'failed', reason: `${describeError(err)} (the signup goes on without a ticket)` });
  }
}
