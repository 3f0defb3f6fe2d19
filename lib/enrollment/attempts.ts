import { AppError } from '../errors';
import type { RequestOrigin } from '../history/origin';
import { logger } from '../log';
import { effectiveStatus, linkGeneration, MAX_ATTEMPTS, type TicketRecord } from '../tickets/ticket';
import type { AttemptProof, EnrollmentStore } from './enrollment-store';
import { ticketEnded, ticketNotFound, ticketSuperseded } from './ticket-access';

/**
 * The ticket's attempt rule, shared by the TOTP confirm (page and device) and the WebAuthn confirm: an attempt is
 * reserved on the ticket (one conditional write) BEFORE the proof is checked; a wrong proof keeps it and is counted
 * (`failures`), and the fifth failure locks the ticket (a right proof among the five never loses to the lock); a right one gives it back in the redeem (or, if the redeem did not happen, after).
 * So at most MAX_ATTEMPTS proofs per ticket are ever checked, however many requests race.
 */
export type AttemptStore = Pick<EnrollmentStore, 'reserveAttempt' | 'keepFailure' | 'lockExhausted' | 'releaseAttempt'>;

/**
 * 429 `too_many_attempts`, refused without being checked: every attempt of the ticket is held by requests whose
 * proofs are being checked (it locks unless one of them is right), or by checks that never finished.
 */
export const attemptsTaken = () =>
  new AppError(429, 'too_many_attempts', 'code: not checked: every attempt of this ticket is in use by another request; if none of them is right the ticket locks', {
    retry_after_sec: 1,
  });

/**
 * How long an attempt may stay taken by a check that never finished (a function killed mid-request, its timeout
 * is 10 s): after that the attempt counts as a wrong one, and a ticket whose last attempt it held locks.
 */
const ABANDONED_AFTER_MS = 60_000;

/** How long a request waits for the checks holding every attempt to settle: 6 × 250 ms, well inside a page's patience. */
const SETTLE_WAITS = 6;
const SETTLE_DELAY_MS = 250;

/**
 * Takes an attempt for `proof`, or throws the answer that says why none was taken (each refused unchecked): the ticket
 * gone or ended, the link replaced (`ticket_superseded`), the proof no longer the ticket's (`stale`), or every attempt
 * taken (429, or 410 `ticket_locked` once the holders are long gone).
 */
export async function reserveAttempt(store: AttemptStore, ticketId: string, proof: AttemptProof, now: number, stale: () => AppError): Promise<number> {
  for (let waits = 0; ; waits += 1) {
    const reserved = await store.reserveAttempt(ticketId, proof, now);
    if (reserved.ok) return reserved.attempts;
    const current = reserved.current;
    if (!current) throw ticketNotFound();
    const status = effectiveStatus(current, now);
    if (status !== 'pending') throw ticketEnded(status);
    if (linkGeneration(current) !== proof.generation) throw ticketSuperseded();
    if (!stillStarted(current, proof, now)) throw stale();
    if (current.attempts < MAX_ATTEMPTS) {
      throw new AppError(503, 'temporarily_unavailable', 'ticket: the ticket is being changed by another request; retry in a moment');
    }
    if ((current.last_attempt_at ?? 0) <= now - ABANDONED_AFTER_MS && (await store.lockExhausted(ticketId, now, 'attempts')).ok) {
      logger.info('ticket locked: its last attempts were never finished', { ticketId });
      throw ticketEnded('locked', { attempts_remaining: 0 });
    }
    // Every attempt is held by a check in flight: wait for them to settle, then answer how the ticket ended (a
    // racing right code redeemed it, or five wrong ones locked it); 429 only if they are still out after that.
    if (waits >= SETTLE_WAITS) throw attemptsTaken();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS));
  }
}

/** Whether the ticket still holds the start `proof` was made for (a challenge: unexpired). */
export function stillStarted(current: TicketRecord, proof: AttemptProof, now: number): boolean {
  if (proof.kind === 'pending') return current.pending?.tx === proof.tx;
  if (proof.kind === 'totp') return current.pending_totp?.tx === proof.tx;
  return current.pending_webauthn?.challenge_hash === proof.challengeHash && (current.pending_webauthn?.expires_at ?? 0) > now;
}

/**
 * Runs the redeem of a verified (right) proof. When it does not happen, the attempt goes back (`releaseAttempt`): if
 * the ticket is still pending after a refusal, and, best effort, when the redeem failed outright (throttling, an
 * outage), so that the caller's retry finds the count as it was. A ticket that ended meanwhile needs no write.
 */
export async function redeemOrRelease<R extends { ok: true } | { ok: false; reason: string; current?: TicketRecord }>(
  store: AttemptStore,
  ticketId: string,
  now: number,
  redeem: () => Promise<R>,
): Promise<R> {
  let result: R;
  try {
    result = await redeem();
  } catch (err) {
    await store.releaseAttempt(ticketId, now).catch((releaseError: unknown) => {
      logger.warn('attempt not given back after a failed redeem', { ticketId, error: (releaseError as Error).name });
    });
    throw err;
  }
  const pending = !result.ok && (result.reason !== 'ticket' || (result.current !== undefined && effectiveStatus(result.current, now) === 'pending'));
  if (pending) await store.releaseAttempt(ticketId, now);
  return result;
}

/**
 * A wrong proof keeps its attempt and is counted as a failure. The fifth failure locks the ticket (410
 * `ticket_locked`): only then were all five attempts wrong, so a right proof still being checked is never locked out.
 * Otherwise the route's wrong answer with the attempts left (five less the failures counted: each answer its own).
 */
export async function keepWrongAttempt(
  store: AttemptStore,
  ticket: Pick<TicketRecord, 'ticket_id'>,
  now: number,
  wrong: (remaining: number) => AppError,
  origin?: RequestOrigin,
): Promise<never> {
  let kept: Awaited<ReturnType<AttemptStore['keepFailure']>>;
  try {
    kept = await store.keepFailure(ticket.ticket_id, now);
  } catch (err) {
    // The failure could not be counted: give the attempt back (best effort) so the retry after this 503 finds the
    // ticket as it was, as a failed redeem does.
    await store.releaseAttempt(ticket.ticket_id, now).catch(() => undefined);
    throw err;
  }
  if (!kept.ok) {
    if (!kept.current) throw ticketNotFound();
    // A right proof among the attempts redeemed first; or the ticket ended otherwise meanwhile.
    const status = effectiveStatus(kept.current, now);
    throw status === 'pending' ? wrong(0) : ticketEnded(status);
  }
  if (kept.failures < MAX_ATTEMPTS) throw wrong(MAX_ATTEMPTS - kept.failures);
  const locked = await store.lockExhausted(ticket.ticket_id, now, 'failures', origin);
  if (locked.ok) throw ticketEnded('locked', { attempts_remaining: 0 });
  if (!locked.current) throw ticketNotFound();
  // Locked by another of the five failures, or ended otherwise meanwhile.
  const status = effectiveStatus(locked.current, now);
  throw status === 'pending' ? wrong(0) : ticketEnded(status);
}
