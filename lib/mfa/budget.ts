/**
 * The per-user failure budget every login path shares (hosted page, device API, app verify API): 10 wrong codes,
 * then 429 `too_many_attempts`, with one attempt coming back every 6 minutes (the vendor's limits).
 *
 * Kept as one number on the user's profile item, `mfa_failure_tat` (epoch ms): the generic cell rate algorithm's
 * "theoretical arrival time". Each failure pushes it to max(tat, now) + 6 min; the failures still counted are
 * ceil((tat − now) / 6 min). Every attempt reserves its failure before its proof is checked (`reservationAt`), and a
 * right proof gives it back (tat − 6 min) in the transaction that accepts it: so concurrent requests can never check
 * more proofs than the budget has attempts.
 */
export const FAILURE_BUDGET = 10;
export const REFILL_MS = 6 * 60_000;
/** The budget is spent once the debt exceeds this: `tat > now + EXHAUSTED_AFTER_MS`. */
const EXHAUSTED_AFTER_MS = (FAILURE_BUDGET - 1) * REFILL_MS;

export type FailureTat = number | undefined;

const debt = (tat: FailureTat, now: number) => Math.max(0, (tat ?? 0) - now);

/** Failures still counted against the user. */
export const failuresCounted = (tat: FailureTat, now: number) => Math.ceil(debt(tat, now) / REFILL_MS);

export const attemptsLeft = (tat: FailureTat, now: number) => Math.max(0, FAILURE_BUDGET - failuresCounted(tat, now));

export const isExhausted = (tat: FailureTat, now: number) => debt(tat, now) > EXHAUSTED_AFTER_MS;

/** Seconds until one attempt comes back (0 when there is one now). */
export const retryAfterSec = (tat: FailureTat, now: number) => Math.max(0, Math.ceil((debt(tat, now) - EXHAUSTED_AFTER_MS) / 1000));

/** The value after one more failure. */
export const afterFailure = (tat: FailureTat, now: number) => Math.max(tat ?? 0, now) + REFILL_MS;

/** The largest `tat` that still allows an attempt at `now` (the condition a successful login commits under). */
export const budgetLimit = (now: number) => now + EXHAUSTED_AFTER_MS;

/**
 * How an attempt takes its failure in advance, from the value it read. While debt is outstanding (tat > now) the write
 * is `tat + 6 min`, which commutes with other attempts' (no compare-and-set to lose under a burst), under the
 * condition `above < tat <= atMost`; otherwise (`fresh`) it is `now + 6 min` under `tat <= now` or no tat. A request
 * whose condition fails reads again and takes the other form. `last`: this attempt is the budget's last, so if its
 * proof is wrong it is the lockout. Undefined: the budget is spent, nothing can be reserved.
 */
export type Reservation = { fresh: true; last: boolean } | { fresh: false; last: boolean; above: number; atMost: number };

export function reservationAt(tat: FailureTat, now: number): Reservation | undefined {
  if (isExhausted(tat, now)) return undefined;
  if (tat === undefined || tat <= now) return { fresh: true, last: isExhausted(now + REFILL_MS, now) };
  // Above this, one more failure spends the budget.
  const lastFree = budgetLimit(now) - REFILL_MS;
  return tat <= lastFree
    ? { fresh: false, last: false, above: now, atMost: lastFree }
    : { fresh: false, last: true, above: Math.max(now, lastFree), atMost: budgetLimit(now) };
}
