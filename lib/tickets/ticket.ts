import { createHash } from 'node:crypto';
import type { PendingEnrollCode, PendingStart, PendingTotp, PendingWebauthn } from '../store/records';
import type { Origin } from '../history/origin';

/** Factor names, as in the vendor's Management API plus our `recovery-code`. */
export const FACTORS = ['otp', 'webauthn-roaming', 'webauthn-platform', 'recovery-code', 'email', 'phone'] as const;
export type Factor = (typeof FACTORS)[number];
/** Vendor factors we will never offer (they need the vendor's push service or a phone provider). */
export const VENDOR_ONLY_FACTORS = ['push-notification'] as const;
/** Factors a user can complete on the hosted page today; creating a ticket for another is a 400. */
export const REDEEMABLE_FACTORS: readonly Factor[] = ['otp', 'webauthn-roaming', 'webauthn-platform', 'email', 'phone'];

/** Stored and shown alike; `effectiveStatus` shows a pending ticket past its expiry as `expired` before any sweep. */
export type TicketStatus = 'pending' | 'redeemed' | 'revoked' | 'expired' | 'locked';

export const MIN_TTL_SEC = 60;
export const MAX_TTL_SEC = 30 * 24 * 3600;
/** The vendor's fixed ticket lifetime: 5 days. */
export const DEFAULT_TTL_SEC = 5 * 24 * 3600;
/** How long an ended ticket stays readable (GET /tickets/{id}) before DynamoDB TTL removes it. */
export const RETENTION_SEC = 7 * 24 * 3600;
/**
 * Addresses a ticket may have been sent to over its life (the first included). Each change of recipient replaces the
 * link; a ticket readdressed this often is better revoked and issued again, and the bound keeps the item small.
 */
export const MAX_RECIPIENTS = 10;
/** Wrong codes allowed before the ticket locks. */
export const MAX_ATTEMPTS = 5;
/** The sparse pending index is spread over a few partition values so heavy issuing never makes one hot key. */
export const PENDING_SHARDS = 4;

/** The ticket as stored. Times are epoch milliseconds; `ttl` is epoch seconds for DynamoDB TTL. */
export interface TicketRecord {
  pk: string;
  sk: 'TICKET';
  type: 'ticket';
  ticket_id: string;
  user_id: string;
  email?: string;
  email_locale?: string;
  factor: Factor;
  send_mail: boolean;
  allow_multiple_enrollments: boolean;
  result_url?: string;
  status: TicketStatus;
  attempts: number;
  /** Id of the signing key that derives this ticket's secret; the secret itself is never stored. */
  key_id: string;
  /**
   * Which link is valid (lib/tickets/tokens.ts): 0 at creation, + 1 with every send to a different address, which
   * kills every earlier link. Absent on tickets created before links had generations (their link is the v1 form).
   */
  generation?: number;
  /** Every address the link was sent to, in order, each with the generation of the link it received. */
  recipients?: Recipient[];
  created_at: number;
  expires_at: number;
  /** Who created it (the admin API's caller, or a signup), for the user's MFA history (lib/history/origin.ts). */
  origin?: Origin;
  redeemed_at?: number;
  revoked_at?: number;
  locked_at?: number;
  expired_at?: number;
  /**
   * Present only while pending, once the user started enrolling: the TOTP secret offered by the latest start and the
   * hash of that start's transaction (lib/store/records.ts). Every transition that ends the ticket removes it,
   * and so does a change of recipient (the link's generation moves on; the transaction carries the old one).
   */
  pending_totp?: PendingTotp;
  /** The same for a security key or passkey: the latest registration challenge (its hash) and its own expiry. */
  pending_webauthn?: PendingWebauthn;
  /** The same for a factor that starts through `EnrollFactor.begin` (email): the latest start, whatever the factor. */
  pending?: PendingStart;
  /** The last code sent for a start (email), with the ticket's count of sends; removed when the ticket ends. */
  pending_code?: PendingEnrollCode;
  /** The enrollment this ticket created, once redeemed, and the hash of the transaction that confirmed it. */
  enrollment_id?: string;
  redeemed_tx?: string;
  /** When the last wrong code was entered (`attempts` counts them). */
  last_attempt_at?: number;
  /** Wrong proofs among the attempts (`attempts` also counts the ones being checked); the fifth locks the ticket. */
  failures?: number;
  /** Present only while pending: the key of the sparse `pending-by-expiry` index. */
  pending_shard?: string;
  ttl: number;
  /**
   * The latest request to email the ticket URL and its outcome (lib/email). Absent when no email was asked for.
   * Resends also keep `resend_1..3`, the times of the last three resend requests (the per-ticket rate limit).
   */
  email_delivery?: EmailDelivery;
}

/** One address a ticket's link went to: set at creation or by `POST /tickets/{id}/send`. `at`: epoch ms. */
export interface Recipient {
  email: string;
  at: number;
  generation: number;
}

export type EmailDeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** One request to email a ticket (creation with `send_mail`, or a resend) and what the mailer made of it. */
export interface EmailDelivery {
  /** New for every request; a retried or duplicate stream record of the same request never mails twice. */
  request_id: string;
  /** pending: waiting for the mailer; sending: attempted, retried after throttling or an SES outage; sent; failed. */
  status: EmailDeliveryStatus;
  requested_at: number;
  /** Send attempts for this request. */
  attempts?: number;
  last_attempt_at?: number;
  /** SES's MessageId once sent. */
  message_id?: string;
  sent_at?: number;
  failed_at?: number;
  /** Why it failed, stable (`MessageRejected`, `ticket_revoked`, ...); `error` is the human explanation. */
  error_code?: string;
  error?: string;
}

export const ticketKey = (ticketId: string) => ({ pk: `TICKET#${ticketId}`, sk: 'TICKET' as const });

export function pendingShard(ticketId: string): string {
  const byte = createHash('sha256').update(ticketId).digest()[0]!;
  return `pending#${byte % PENDING_SHARDS}`;
}

/** The ticket's link generation; a ticket from before generations counts as generation 0 (lib/tickets/tokens.ts). */
export const linkGeneration = (ticket: Pick<TicketRecord, 'generation'>) => ticket.generation ?? 0;

/**
 * A condition that the ticket's link generation is still `generation`: what every enrollment write checks, so that a
 * transaction started under a link that a recipient change replaced can neither be stored nor redeemed.
 */
export function sameGeneration(generation: number): { condition: string; values: Record<string, number> } {
  return {
    condition: generation === 0 ? '(attribute_not_exists(generation) OR generation = :generation)' : 'generation = :generation',
    values: { ':generation': generation },
  };
}

export function effectiveStatus(ticket: Pick<TicketRecord, 'status' | 'expires_at'>, now: number): TicketStatus {
  return ticket.status === 'pending' && ticket.expires_at <= now ? 'expired' : ticket.status;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** What the admin sees of the email: status and outcome, never the URL it carried. */
function emailDeliveryView(delivery: EmailDelivery) {
  return {
    status: delivery.status,
    requested_at: iso(delivery.requested_at)!,
    attempts: delivery.attempts ?? 0,
    sent_at: iso(delivery.sent_at),
    message_id: delivery.message_id,
    failed_at: iso(delivery.failed_at),
    error_code: delivery.error_code,
    error: delivery.error,
  };
}

/** The admin view of a ticket: never the secret, never the URL. */
export function ticketView(ticket: TicketRecord, now: number) {
  return {
    ticket_id: ticket.ticket_id,
    user_id: ticket.user_id,
    factor: ticket.factor,
    status: effectiveStatus(ticket, now),
    created_at: iso(ticket.created_at)!,
    expires_at: iso(ticket.expires_at)!,
    redeemed_at: iso(ticket.redeemed_at),
    enrollment_id: ticket.enrollment_id,
    revoked_at: iso(ticket.revoked_at),
    locked_at: iso(ticket.locked_at),
    email: ticket.email,
    email_locale: ticket.email_locale,
    send_mail: ticket.send_mail,
    allow_multiple_enrollments: ticket.allow_multiple_enrollments,
    result_url: ticket.result_url,
    attempts_remaining: Math.max(0, MAX_ATTEMPTS - ticket.attempts),
    // Which link is valid, and who received which: an old link stops working when the address changes.
    link_generation: ticket.generation ?? 0,
    recipients: (ticket.recipients ?? []).map((r) => ({ email: r.email, at: iso(r.at)!, generation: r.generation })),
    email_delivery: ticket.email_delivery && emailDeliveryView(ticket.email_delivery),
  };
}
export type TicketView = ReturnType<typeof ticketView>;
