import * as v from 'valibot';
import { AppError } from '../../errors';
import { plainMessage } from '../../validation';
import type { PendingEmailCode } from './code';

/**
 * How often the email factor may send, so that its page can neither bomb a mailbox nor run up the SES bill:
 *
 * 0. Nothing is sent before the user asks. Rendering the page (enrollment or login), starting a transaction or
 *    creating a challenge sends nothing; only the page's "Send code" / "Email me a code" POST does. That is the
 *    callers' rule (they call `sendCodeEmail` from that handler only), and it is what keeps a link scanner that fetches
 *    and even runs the page from sending mail: it does not click.
 * 1. Per ticket or challenge, checked by the conditional write that stores the new pending code on its item
 *    (`pendingSendCondition`): one send per 30 s (cooldown) and 5 in all.
 * 2. Per address, across tickets and challenges: EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR sends per clock hour (default 5),
 *    one conditional counter per mailbox and hour (send-limit-store.ts). A fixed window: at an hour's turn a mailbox
 *    can get up to twice the cap within minutes, which is still a handful of emails, for one write per send.
 * A refusal is 429 `too_many_sends` with `retry_after_sec` (`tooManySends`).
 */
export interface EmailSendLimits {
  /** Seconds between two sends for one ticket or challenge. */
  cooldownSec: number;
  /** Sends for one ticket or challenge, in all. */
  maxSends: number;
  /** EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR: sends to one mailbox per clock hour, over all tickets and challenges. */
  maxPerAddressPerHour: number;
}

export const EMAIL_SEND_COOLDOWN_SEC = 30;
export const EMAIL_MAX_SENDS = 5;
export const DEFAULT_MAX_PER_ADDRESS_PER_HOUR = 5;

export const DEFAULT_EMAIL_SEND_LIMITS: EmailSendLimits = {
  cooldownSec: EMAIL_SEND_COOLDOWN_SEC,
  maxSends: EMAIL_MAX_SENDS,
  maxPerAddressPerHour: DEFAULT_MAX_PER_ADDRESS_PER_HOUR,
};

const ENV = 'EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR';
const perHourSchema = v.pipe(
  v.string(),
  v.regex(/^[0-9]+$/, 'must be a whole number'),
  v.transform(Number),
  v.minValue(1, 'must be at least 1'),
  v.maxValue(1000, 'must be at most 1000'),
);

/**
 * The limits from the environment, failing loudly (at cold start, where the caller reads it) on a malformed
 * EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR; unset or empty = the default. Kept here until the setting joins lib/config.ts.
 */
export function emailSendLimitsFromEnv(env: NodeJS.ProcessEnv): EmailSendLimits {
  const raw = env[ENV];
  if (!raw) return DEFAULT_EMAIL_SEND_LIMITS;
  const parsed = v.safeParse(perHourSchema, raw, { abortPipeEarly: true, message: plainMessage });
  if (!parsed.success) throw new Error(`Invalid configuration: ${ENV}: ${parsed.issues[0]!.message}`);
  return { ...DEFAULT_EMAIL_SEND_LIMITS, maxPerAddressPerHour: parsed.output };
}

/** Why a send was refused: too soon after the last one, this ticket's or challenge's sends used up, or the mailbox's hour. */
export type SendRefusalReason = 'cooldown' | 'max_sends' | 'address';
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
  pending: Pick<PendingEmailCode, 'sent_at' | 'sends'> | undefined,
  now: number,
  endsAt: number,
  limits: Pick<EmailSendLimits, 'cooldownSec' | 'maxSends'> = DEFAULT_EMAIL_SEND_LIMITS,
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
 * prefixed (`#emailPending`, `:emailMaxSends`, `:emailCooldownEdge`) so they merge with the caller's own (AND it
 * with the item's pending/unexpired condition). Inclusive edge: a send exactly `cooldownSec` after the last passes.
 */
export function pendingSendCondition(
  now: number,
  limits: Pick<EmailSendLimits, 'cooldownSec' | 'maxSends'> = DEFAULT_EMAIL_SEND_LIMITS,
  attribute = 'pending_email',
): ConditionParts {
  return {
    ConditionExpression:
      '(attribute_not_exists(#emailPending) OR (#emailPending.sends < :emailMaxSends AND #emailPending.sent_at <= :emailCooldownEdge))',
    ExpressionAttributeNames: { '#emailPending': attribute },
    ExpressionAttributeValues: { ':emailMaxSends': limits.maxSends, ':emailCooldownEdge': now - limits.cooldownSec * 1000 },
  };
}

/** The clock hour `now` falls in, as the per-address counter's sort key (`2026-03-01T12`), and when it ends (epoch ms). */
export function hourWindow(now: number): { window: string; endsAt: number } {
  const HOUR = 3600_000;
  const start = Math.floor(now / HOUR) * HOUR;
  return { window: new Date(start).toISOString().slice(0, 13), endsAt: start + HOUR };
}

const REFUSED: Record<SendRefusalReason, (sec: number) => string> = {
  cooldown: (sec) => `a code was sent moments ago; ask for another in ${sec} s`,
  max_sends: () => 'no more codes can be sent for this request; use the last code sent, or start again',
  address: (sec) => `too many codes were sent to this address; try again in ${sec} s`,
};

/**
 * 429 `too_many_sends` with `retry_after_sec`: the answer to every refused send (the same code the admin resend
 * uses). The message names the reason but never the address.
 */
export const tooManySends = (retryAfterSec: number, reason: SendRefusalReason = 'cooldown') =>
  new AppError(429, 'too_many_sends', REFUSED[reason](retryAfterSec), { retry_after_sec: retryAfterSec });
