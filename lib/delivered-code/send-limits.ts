import * as v from 'valibot';
import { AppError } from '../errors';
import { plainMessage } from '../validation';
import type { PendingCode } from './code';

/**
 * How often a factor that delivers codes (email, phone) may send, so that its page can neither bomb a mailbox or a
 * phone nor run up the bill:
 *
 * 0. Nothing is sent before the user asks. Rendering the page (enrollment or login), starting a transaction or
 *    creating a challenge sends nothing; only the page's "Send code" / "Email me a code" / "Text me a code" POST does.
 *    That is the callers' rule (they send from that handler only), and it is what keeps a link scanner that fetches
 *    and even runs the page from sending anything: it does not click.
 * 1. Per ticket or challenge, checked by the conditional write that stores the new pending code on its item
 *    (`pendingSendCondition`): one send per 30 s (cooldown) and 5 in all.
 * 2. Per destination, across tickets and challenges: a cap per clock hour, one conditional counter per destination and
 *    hour (./destination-rate.ts), keyed on a keyed hash of the destination. A fixed window: at an hour's turn a
 *    destination can get up to twice the cap within minutes, which is still a handful of messages, for one write per
 *    send. Each factor adds its own caps on top (the phone factor's per-day and stack-wide budgets).
 * A refusal is 429 `too_many_sends` with `retry_after_sec` (`tooManySends`).
 */
export interface SendLimits {
  /** Seconds between two sends for one ticket or challenge. */
  cooldownSec: number;
  /** Sends for one ticket or challenge, in all. */
  maxSends: number;
}

export const SEND_COOLDOWN_SEC = 30;
export const MAX_SENDS = 5;
export const DEFAULT_SEND_LIMITS: SendLimits = { cooldownSec: SEND_COOLDOWN_SEC, maxSends: MAX_SENDS };

/** A whole-number setting from the environment, failing loudly (at cold start) when malformed; unset or empty = `fallback`. */
export function countSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, max = 1000): number {
  const raw = env[name];
  if (!raw) return fallback;
  const schema = v.pipe(
    v.string(),
    v.regex(/^[0-9]+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(1, 'must be at least 1'),
    v.maxValue(max, `must be at most ${max}`),
  );
  const parsed = v.safeParse(schema, raw, { abortPipeEarly: true, message: plainMessage });
  if (!parsed.success) throw new Error(`Invalid configuration: ${name}: ${parsed.issues[0]!.message}`);
  return parsed.output;
}

/**
 * Why a send was refused: too soon after the last one, this ticket's or challenge's sends used up, the destination's
 * cap; and the phone factor's: the user's cap, the source address's, the stack-wide budget, or (rarely) a counter
 * busy with other sends at that instant after a few retries.
 */
export type SendRefusalReason = 'cooldown' | 'max_sends' | 'destination' | 'user' | 'source' | 'budget' | 'busy';
export type SendDecision = { ok: true } | { ok: false; reason: SendRefusalReason; retry_after_sec: number };

/** Whole seconds until `at`, at least 1: a client told 0 would retry at once and be refused again. */
export const secondsUntil = (at: number, now: number) => Math.max(1, Math.ceil((at - now) / 1000));

/**
 * Whether another code may be sent for the ticket or challenge holding `pending`, and if not, when to ask again. The
 * caller runs it on the item it read (to refuse without writing) and again on the item a failed conditional write
 * returned (to say why). When the sends are used up, no wait helps: `retry_after_sec` is then the time left until
 * `endsAt` (the ticket's or challenge's expiry), after which a new ticket or sign-in is needed.
 */
export function checkPendingSend(
  pending: Pick<PendingCode, 'sent_at' | 'sends'> | undefined,
  now: number,
  endsAt: number,
  limits: SendLimits = DEFAULT_SEND_LIMITS,
): SendDecision {
  if (!pending) return { ok: true };
  if (pending.sends >= limits.maxSends) return { ok: false, reason: 'max_sends', retry_after_sec: secondsUntil(endsAt, now) };
  const nextAt = pending.sent_at + limits.cooldownSec * 1000;
  if (now < nextAt) return { ok: false, reason: 'cooldown', retry_after_sec: secondsUntil(nextAt, now) };
  return { ok: true };
}

/** The parts of a condition a caller merges into its own UpdateItem or transaction item. */
export interface ConditionParts {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, number>;
}

/**
 * The condition under which a new pending code may replace the one stored in attribute `attribute` of a ticket or
 * challenge: none yet, or fewer than `maxSends` sent and the last at least `cooldownSec` ago — the same rule as
 * `checkPendingSend`, enforced by DynamoDB so that two sends at once cannot both pass. Names and placeholders are
 * prefixed (`#codePending`, `:codeMaxSends`, `:codeCooldownEdge`) so they merge with the caller's own (AND it
 * with the item's pending/unexpired condition). Inclusive edge: a send exactly `cooldownSec` after the last passes.
 */
export function pendingSendCondition(attribute: string, now: number, limits: SendLimits = DEFAULT_SEND_LIMITS): ConditionParts {
  return {
    ConditionExpression:
      '(attribute_not_exists(#codePending) OR (#codePending.sends < :codeMaxSends AND #codePending.sent_at <= :codeCooldownEdge))',
    ExpressionAttributeNames: { '#codePending': attribute },
    ExpressionAttributeValues: { ':codeMaxSends': limits.maxSends, ':codeCooldownEdge': now - limits.cooldownSec * 1000 },
  };
}

/** The windows a send counter counts in: a clock hour or a UTC day. */
export type RateWindow = 'hour' | 'day';
const WINDOWS: Record<RateWindow, { ms: number; chars: number }> = { hour: { ms: 3600_000, chars: 13 }, day: { ms: 86_400_000, chars: 10 } };

/**
 * The clock hour (or UTC day) `now` falls in, as a send counter's sort key (`2026-03-01T12`, `2026-03-01`), and when
 * it ends (epoch ms).
 */
export function rateWindow(now: number, window: RateWindow): { window: string; endsAt: number } {
  const { ms, chars } = WINDOWS[window];
  const start = Math.floor(now / ms) * ms;
  return { window: new Date(start).toISOString().slice(0, chars), endsAt: start + ms };
}

/** The clock hour `now` falls in (`rateWindow(now, 'hour')`). */
export const hourWindow = (now: number) => rateWindow(now, 'hour');

const REFUSED: Record<SendRefusalReason, (sec: number) => string> = {
  cooldown: (sec) => `a code was sent moments ago; ask for another in ${sec} s`,
  max_sends: () => 'no more codes can be sent for this request; use the last code sent, or start again',
  destination: (sec) => `too many codes were sent to this address or number; try again in ${sec} s`,
  user: (sec) => `too many codes were sent for this account; try again in ${sec} s`,
  source: (sec) => `too many codes were asked for from this network; try again in ${sec} s`,
  budget: (sec) => `no more codes can be sent this way just now; try again in ${sec} s, or use another way to verify`,
  busy: (sec) => `many codes are being sent at this moment; try again in ${sec} s`,
};

/**
 * 429 `too_many_sends` with `retry_after_sec`: the answer to every refused send (the same code the admin resend
 * uses). The message names the reason but never the destination.
 */
export const tooManySends = (retryAfterSec: number, reason: SendRefusalReason = 'cooldown') =>
  new AppError(429, 'too_many_sends', REFUSED[reason](retryAfterSec), { retry_after_sec: retryAfterSec });
