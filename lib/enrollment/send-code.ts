import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { AppError, notFound } from '../errors';
import { logger } from '../log';
import { seal, pendingSecretContext } from '../crypto/secret-box';
import { issueDeliveredCode } from '../delivered-code/code';
import { capsRefusal, destinationSendUpdate, type SendCap } from '../delivered-code/destination-rate';
import { checkPendingSend, pendingSendCondition, tooManySends } from '../delivered-code/send-limits';
import type { CodeDelivery } from '../factors/factor';
import { effectiveStatus, linkGeneration, MAX_ATTEMPTS, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { attemptsTaken } from './attempts';
import { openTransaction, requireStart, transactionSuperseded } from './confirm';
import type { EnrollmentStore } from './enrollment-store';
import { pageLocale } from './messages';
import { ticketEnded, ticketNotFound, ticketSuperseded, unsupportedFactor } from './ticket-access';

export interface SendCodeDeps {
  tickets: Pick<TicketStore, 'get'>;
  enrollments: Pick<EnrollmentStore, 'storeSentCode'>;
  config: Pick<Config, 'signingKeys' | 'encryptionKeys' | 'tableName'>;
  now: () => number;
  random?: (size: number) => Buffer;
}

export interface SendCodeInput {
  /** The ticket token, when the caller has it (the page); without it the transaction token is the only credential. */
  ticket?: string;
  transaction_token: string;
  /** The enrollment id the start promised, when the caller names one (the device protocol's device account). */
  enrollmentId?: string;
  /** Where to send, when the ticket has no destination of its own (the factor refuses it otherwise). */
  destination?: string;
  /** The browser's Accept-Language: the message's language when the ticket names none. */
  acceptLanguage?: string;
  /** The request's source address, for a factor that caps sends per source (phone). */
  sourceIp?: string;
}

export interface SentCode {
  /** Where it went, masked (`a•••@example.com`). */
  sent_to: string;
  code_expires_at: string;
  /** When the page may offer "Send again". */
  retry_after_sec: number;
  sends_remaining: number;
}

/**
 * Sends a code for the ticket's latest start (`POST /enroll/email/send`): the only place an enrollment code is sent,
 * and only at the user's request, so a link scanner that fetches or even runs the page sends nothing.
 *
 * The send is taken before anything goes out, in one transaction (lib/enrollment/enrollment-store.ts
 * `storeSentCode`): the ticket's new code (keyed hash bound to this ticket and start, its destination sealed for this
 * start) under the ticket's rules — pending, this start still the latest under the current link, the 30 s cooldown
 * and 5 sends per ticket (`pendingSendCondition`) — together with the destination's count for the hour. Two sends at
 * once: one commits, the other is refused (429 `too_many_sends`, `retry_after_sec`) and sends nothing.
 *
 * A failed delivery (422 `email_rejected`, 503 `email_unavailable`) keeps the send counted and its cooldown: a send
 * whose outcome is unknown (a timeout after SES accepted it) may have reached the mailbox, and giving it back would
 * let a failing path mail past the caps; the user waits 30 s at most. The code stored for it is never shown to anyone.
 */
export async function sendEnrollmentCode(deps: SendCodeDeps, input: SendCodeInput, delivery: CodeDelivery): Promise<SentCode> {
  const { config } = deps;
  const now = deps.now();
  const random = deps.random ?? randomBytes;
  const { ticket, claims, tx } = await openTransaction(deps, input, now);
  requireStart(ticket, tx);
  // A code goes only where the ticket's factor sends them (an address ticket's start texts nothing).
  if (ticket.factor !== delivery.channel) throw unsupportedFactor(ticket);
  if (input.enrollmentId !== undefined && ticket.pending?.enrollment_id !== input.enrollmentId) throw startEnrollmentNotFound();
  const destination = delivery.destination(ticket, input.destination);
  // Refused on what was read, without a write; the transaction's condition decides for concurrent sends.
  const early = checkPendingSend(ticket.pending_code, now, ticket.expires_at, delivery.limits);
  if (!early.ok) throw tooManySends(early.retry_after_sec, early.reason);

  const context = { channel: delivery.channel, purpose: 'enroll', ticketId: ticket.ticket_id, tx } as const;
  const { code, pending } = issueDeliveredCode({ context, keys: config.encryptionKeys, now, previous: ticket.pending_code, random });
  const caps: SendCap[] = [
    { rate: delivery.rate, key: delivery.destinationKey(destination, config.encryptionKeys), reason: 'destination' },
    ...(delivery.caps?.(destination, { userId: ticket.user_id, sourceIp: input.sourceIp }, config.encryptionKeys) ?? []),
  ];
  const stored = await deps.enrollments.storeSentCode(
    ticket.ticket_id,
    { tx, generation: claims.generation },
    {
      ...pending,
      tx,
      destination: seal(Buffer.from(destination, 'utf8'), config.encryptionKeys, pendingSecretContext(ticket.ticket_id, tx), random),
      ...(delivery.method ? { method: delivery.method } : {}),
    },
    pendingSendCondition('pending_code', now, delivery.limits),
    destinationSendUpdate(config.tableName, delivery.rate, caps[0]!.key, now),
    now,
    caps.slice(1).map((cap) => destinationSendUpdate(config.tableName, cap.rate, cap.key, now)),
  );
  if (!stored.ok) {
    if (stored.reason === 'destination') {
      const refused = (stored.refused ?? [0]).map((i) => caps[i]!);
      logger.info('enrollment code refused: send cap', { ticketId: ticket.ticket_id, prefixes: refused.map((cap) => cap.rate.prefix) });
      const refusal = capsRefusal(refused, now);
      throw tooManySends(refusal.retry_after_sec, refusal.reason);
    }
    if (stored.reason === 'busy') throw busy();
    throw sendRefused(stored.current, claims.generation, tx, now, delivery);
  }
  await delivery.deliver(destination, code, pageLocale(ticket.email_locale, input.acceptLanguage));
  logger.info('enrollment code sent', { ticketId: ticket.ticket_id, sends: pending.sends });
  return {
    sent_to: delivery.masked(destination),
    code_expires_at: new Date(pending.expires_at).toISOString(),
    retry_after_sec: delivery.limits.cooldownSec,
    sends_remaining: Math.max(0, delivery.limits.maxSends - pending.sends),
  };
}

const startEnrollmentNotFound = () => notFound('enrollment_not_found', 'id: not the enrollment this start is for');

const busy = () => new AppError(503, 'temporarily_unavailable', 'ticket: the ticket is being changed by another request; retry in a moment');

/** Why the ticket refused the send, from the ticket as the failed condition found it. */
function sendRefused(current: TicketRecord | undefined, generation: number, tx: string, now: number, delivery: CodeDelivery): AppError {
  if (!current) return ticketNotFound();
  const status = effectiveStatus(current, now);
  if (status !== 'pending') return ticketEnded(status);
  if (linkGeneration(current) !== generation) return ticketSuperseded();
  if (current.pending?.tx !== tx) return transactionSuperseded();
  if (current.attempts >= MAX_ATTEMPTS) return attemptsTaken();
  const decision = checkPendingSend(current.pending_code, now, current.expires_at, delivery.limits);
  return decision.ok ? busy() : tooManySends(decision.retry_after_sec, decision.reason);
}
