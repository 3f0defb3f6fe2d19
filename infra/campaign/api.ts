import { backoffMs, isRetryableStatus, retryAfterMs, type Clock, type RetryPolicy } from './retry';

/** An answer of the admin API, after any retries: the last status and its JSON body (or `network_error`, status 0). */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  /** The stable error code: the body's `error`, `http_<status>` when it has none, or `network_error`. */
  error?: string;
  /** Tries made (1 when the first answered). */
  attempts: number;
}

export interface CreatedTicket {
  ticket_id: string;
  expires_at: string;
}

export interface TicketView {
  ticket_id: string;
  status: 'pending' | 'redeemed' | 'revoked' | 'expired' | 'locked';
  expires_at: string;
}

export interface CreateTicketBody {
  user_id: string;
  email: string;
  send_mail: true;
  email_locale?: string;
}

/** The three admin routes a campaign uses. */
export interface CampaignApi {
  createTicket(body: CreateTicketBody): Promise<Answer<CreatedTicket>>;
  getTicket(ticketId: string): Promise<Answer<TicketView>>;
  listEnrollments(userId: string): Promise<Answer<unknown[]>>;
}

export interface ApiClientOptions {
  baseUrl: string;
  adminApiKey: string;
  clock: Clock;
  retry: RetryPolicy;
  fetch?: typeof fetch;
  /** One try's limit; a try that takes longer counts as a network error and is retried. */
  timeoutMs?: number;
  /** Told about each retry (for the progress line's count of retries). */
  onRetry?: (info: { status: number; error: string; waitMs: number }) => void;
}

/**
 * The admin API over fetch, retrying 429, 5xx and network errors with backoff. Only ticket ids, statuses and expiry
 * times are kept from answers: `ticket_url` (it holds the ticket's secret) is dropped here, before anything can print it.
 */
export function campaignApi(options: ApiClientOptions): CampaignApi {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');

  async function call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let parsed: unknown;
      let error: string | undefined;
      let serverAskedMs: number | undefined;
      try {
        const res = await doFetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${options.adminApiKey}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        status = res.status;
        const text = await res.text();
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        const record = (parsed ?? {}) as Record<string, unknown>;
        if (status >= 400) error = typeof record.error === 'string' ? record.error : `http_${status}`;
        serverAskedMs =
          retryAfterMs(res.headers.get('retry-after'), options.clock.now()) ??
          (typeof record.retry_after_sec === 'number' ? record.retry_after_sec * 1000 : undefined);
      } catch {
        // Refused, reset, DNS or our timeout: the request may or may not have reached the API.
        error = 'network_error';
      }
      const retryable = status === 0 || isRetryableStatus(status);
      if (!retryable || attempt >= options.retry.attempts) {
        return { status, body: parsed as T, error, attempts: attempt };
      }
      const waitMs = backoffMs(attempt, options.retry, options.clock.random, serverAskedMs);
      options.onRetry?.({ status, error: error ?? `http_${status}`, waitMs });
      await options.clock.sleep(waitMs);
    }
  }

  return {
    async createTicket(body) {
      const answer = await call<CreatedTicket & { ticket_url?: string }>('POST', '/api/v2/guardian/enrollments/ticket', body);
      if (answer.status !== 200) return answer;
      const { ticket_id, expires_at } = answer.body;
      return { ...answer, body: { ticket_id, expires_at } };
    },
    getTicket: (ticketId) => call<TicketView>('GET', `/tickets/${encodeURIComponent(ticketId)}`),
    listEnrollments: (userId) => call<unknown[]>('GET', `/api/v2/users/${encodeURIComponent(userId)}/enrollments`),
  };
}
