/**
 * The per-user failure budget every login path shares (hosted page, device API, app verify API): 10 wrong codes,
 * then 429 `too_many_attempts`, with one attempt coming back every 6 minutes (the vendor's limits).
 *
 * Kept as one number on the user's profile item, `mfa_failure_tat` (epoch ms): the generic cell rate algorithm's
 * "theoretical arrival time". Each failure pushes it to max(tat, now) + 6 min; the failures still counted are
 * ceil((tat − now) / 6 min). One attribute, so a failure is a single compare-and-set and a success can check the
 * budget inside its transaction (a right code does not pass once the budget is spent).
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
