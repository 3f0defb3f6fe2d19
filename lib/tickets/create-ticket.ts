import * as v from 'valibot';
import type { Config } from '../config';
import { emailLocaleSchema } from '../email/locales';
import { newEmailRequest } from '../email/requests';
import { AppError, badRequest, conflict } from '../errors';
import type { FactorName } from '../factors/factor';
import { factorDisabled, isOn } from '../factors/switches';
import type { RequestOrigin } from '../history/origin';
import { codedCheck, email } from '../validation';
import { newTicketId, ticketToken } from './tokens';
import type { TicketStore } from './ticket-store';
import {
  DEFAULT_TTL_SEC,
  FACTORS,
  MAX_TTL_SEC,
  MIN_TTL_SEC,
  REDEEMABLE_FACTORS,
  RETENTION_SEC,
  VENDOR_ONLY_FACTORS,
  pendingShard,
  ticketKey,
  type Factor,
  type TicketRecord,
} from './ticket';

const unsupportedFactor = (issue: v.CheckIssue<string>) =>
  `factor: "${issue.input}" is not supported; supported factors: ${REDEEMABLE_FACTORS.join(', ')}`;

/** A user id as tickets and challenges take it: trimmed, 1–256 characters, no control characters. */
export const userIdSchema = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(256, 'must be at most 256 characters'),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
);

/** A lifetime in whole seconds within bounds (`what` names the upper one for people, e.g. "30 days"). */
export const ttlSecSchema = (min: number, max: number, what: string) =>
  v.pipe(
    v.number(),
    v.safeInteger('must be a whole number of seconds'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max} (${what})`),
  );

/** An email address in a request body: the API's address rule, at most 254 characters. */
export const emailSchema = v.pipe(email('must be a valid email address'), v.maxLength(254, 'must be at most 254 characters'));

/** The vendor's ticket request (`POST /api/v2/guardian/enrollments/ticket`) plus `ttl_sec` and `result_url`. */
export const createTicketSchema = v.strictObject({
  user_id: userIdSchema,
  email: v.optional(emailSchema),
  send_mail: v.optional(v.boolean()),
  email_locale: v.optional(emailLocaleSchema),
  // The vendor's factors we do not offer are 400 `unsupported_factor`, as are ours not yet redeemable; others are unknown.
  factor: v.optional(
    v.pipe(
      v.string(),
      codedCheck('unsupported_factor', (factor: string) => !(VENDOR_ONLY_FACTORS as readonly string[]).includes(factor), unsupportedFactor),
      v.check((factor: string) => (FACTORS as readonly string[]).includes(factor), `must be one of ${FACTORS.join(', ')}`),
      codedCheck('unsupported_factor', (factor: string) => REDEEMABLE_FACTORS.includes(factor as Factor), unsupportedFactor),
    ),
  ),
  allow_multiple_enrollments: v.optional(v.boolean()),
  ttl_sec: v.optional(ttlSecSchema(MIN_TTL_SEC, MAX_TTL_SEC, '30 days')),
  result_url: v.optional(v.pipe(v.string(), v.maxLength(2048, 'must be at most 2048 characters'))),
});
export type CreateTicketInput = v.InferOutput<typeof createTicketSchema>;

export interface CreatedTicket {
  ticket_id: string;
  ticket_url: string;
  expires_at: string;
}

export interface CreateTicketDeps {
  store: TicketStore;
  config: Pick<Config, 'signingKeys' | 'resultUrlOrigins' | 'localMode'>;
  now: () => number;
  /** Origin the ticket URL points at (configured, or the API's own host). */
  baseUrl: string;
  /**
   * Finds a user's verified email by `user_id` (Cognito AdminGetUser when a user pool is configured), for
   * `send_mail: true` without `email`; may throw an AppError such as `user_not_found`.
   */
  lookupEmail?: (userId: string) => Promise<string | undefined>;
}

export interface CreateTicketOptions {
  /**
   * Create at most one ticket per key (e.g. one per signup, however often the event is delivered): a marker item is
   * written in the same transaction. A key already used is a 409 `ticket_already_issued` naming the first ticket.
   */
  idempotencyKey?: string;
  /** Who asks (lib/history/origin.ts): kept on the ticket for the user's MFA history. */
  origin?: RequestOrigin;
}

/** `result_url` must be https on an allow-listed origin (http://localhost too, on the local stack only). */
export function checkResultUrl(raw: string, config: CreateTicketDeps['config']): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalid_result_url', 'result_url: must be an absolute URL');
  }
  const localHttp = config.localMode && url.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(url.hostname);
  if (url.protocol !== 'https:' && !localHttp) {
    throw badRequest('invalid_result_url', 'result_url: must use https');
  }
  if (url.username || url.password) {
    throw badRequest('invalid_result_url', 'result_url: must not contain credentials');
  }
  if (!config.resultUrlOrigins.includes(url.origin)) {
    throw badRequest('result_url_not_allowed', `result_url: origin ${url.origin} is not in RESULT_URL_ORIGINS`);
  }
  return url.href;
}

export function ticketUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/enroll?ticket=${encodeURIComponent(token)}`;
}

/** Validates the business rules, writes the ticket once, and returns its one-time URL. */
export async function createTicket(
  deps: CreateTicketDeps,
  input: CreateTicketInput,
  options: CreateTicketOptions = {},
): Promise<CreatedTicket> {
  const email = input.email ?? (input.send_mail ? await deps.lookupEmail?.(input.user_id) : undefined);
  if (input.send_mail && !email) {
    const why = deps.lookupEmail ? ' (the user pool has no verified email for this user)' : '';
    throw badRequest('email_required', `email: required when send_mail is true${why}`);
  }
  const resultUrl = input.result_url === undefined ? undefined : checkResultUrl(input.result_url, deps.config);
  const factor = (input.factor as Factor | undefined) ?? 'otp';
  if (!isOn(await deps.store.factorSwitches(), factor as FactorName)) throw factorDisabled(factor);
  // The vendor's rule: without allow_multiple_enrollments a user who already has an authenticator gets no ticket.
  // Redeeming re-checks it inside the redeem transaction (lib/enrollment/enrollment-store.ts), so a race cannot slip by.
  if (!input.allow_multiple_enrollments && (await deps.store.enrollmentCount(input.user_id)) > 0) {
    throw conflict('already_enrolled', `user_id: ${input.user_id} already has a confirmed enrollment; set allow_multiple_enrollments to add another`);
  }

  const now = deps.now();
  const ticketId = newTicketId();
  const key = deps.config.signingKeys.current;
  const expiresAt = now + (input.ttl_sec ?? DEFAULT_TTL_SEC) * 1000;
  const ticket: TicketRecord = {
    ...ticketKey(ticketId),
    type: 'ticket',
    ticket_id: ticketId,
    user_id: input.user_id,
    email,
    email_locale: input.email_locale,
    factor,
    send_mail: input.send_mail ?? false,
    allow_multiple_enrollments: input.allow_multiple_enrollments ?? false,
    result_url: resultUrl,
    status: 'pending',
    attempts: 0,
    key_id: key.id,
    generation: 0,
    recipients: email ? [{ email, at: now, generation: 0 }] : undefined,
    created_at: now,
    expires_at: expiresAt,
    origin: options.origin && { ...options.origin, at: now },
    pending_shard: pendingShard(ticketId),
    ttl: Math.ceil(expiresAt / 1000) + RETENTION_SEC,
    // The table's stream is the outbox: the mailer (functions/send-ticket-email.ts) sends because this was written.
    email_delivery: input.send_mail ? newEmailRequest(now) : undefined,
  };
  if (options.idempotencyKey === undefined) {
    await deps.store.insert(ticket);
  } else {
    const once = await deps.store.insertOnce(ticket, options.idempotencyKey);
    if (!once.inserted) {
      throw new AppError(409, 'ticket_already_issued', `a ticket was already issued for ${options.idempotencyKey}`, {
        ticket_id: once.ticketId,
      });
    }
  }
  return {
    ticket_id: ticketId,
    ticket_url: ticketUrl(deps.baseUrl, ticketToken(ticketId, ticket.generation, key)),
    expires_at: new Date(expiresAt).toISOString(),
  };
}
