/** Retrying the admin API when it is busy: which answers are worth another try, and how long to wait before it. */

/** Time and chance as the campaign sees them, so tests run on a fake clock instead of sleeping. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first backoff's ceiling; each further try doubles it. */
  baseMs: number;
  /** No backoff (nor Retry-After) waits longer than this. */
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 7, baseMs: 500, capMs: 30_000 };

/** Throttled (429) or a server side failure (5xx: API Gateway's 503/504, a Lambda error): another try may succeed. */
export const isRetryableStatus = (status: number) => status === 429 || status >= 500;

/**
 * `Retry-After` (delta seconds or an HTTP date) in milliseconds from `nowMs`; undefined when absent or unreadable.
 * The API's own `retry_after_sec` body field is read by the caller and passed the same way.
 */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * How long to wait before try number `attempt + 1` (`attempt` counts the tries made, from 1): "full jitter" exponential
 * backoff (a random wait up to base·2^(attempt-1)), so that many clients throttled together do not come back together;
 * never shorter than what the server asked for, never longer than the cap.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number, serverAskedMs?: number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.min(policy.capMs, Math.max(jittered, serverAskedMs ?? 0));
}
