import type * as v from 'valibot';
import { fieldOf, type Item, type ItemChange } from './changes';
import * as details from './details';

/**
 * Which writes to the table are lifecycle events: one row per (item type, transition) → detail-type. A new state
 * elsewhere in the product is one more row here (and its detail schema in ./details.ts); nothing else changes.
 */

/** What has to happen to an item of `itemType` for the event to fire. */
export type Trigger =
  /** The item was written for the first time (INSERT). */
  | { on: 'created' }
  /** The item was deleted (REMOVE) — while `field` held one of `values`, when given. */
  | { on: 'removed'; while?: { field: string; values: readonly unknown[] } }
  /**
   * `field` (a dot path) took a new value — one of `to` when given — coming from one of `from` when given
   * (INSERT counts as coming from nothing). A write that leaves the field as it was never fires.
   */
  | { on: 'becomes'; field: string; to?: readonly unknown[]; from?: readonly unknown[] };

/** The detail's own fields: the publisher adds `event_id` and `correlation_id`. */
type OwnFields<S extends v.GenericSchema> = Omit<v.InferOutput<S>, 'event_id' | 'correlation_id'>;

export interface LifecycleRule {
  detailType: string;
  /** The item's `type` attribute. */
  itemType: string;
  trigger: Trigger;
  /** Builds the detail from the item (after the write; before it, for a removal). Picks fields: never copies the item. */
  detail: (item: Item, change: ItemChange) => Record<string, unknown>;
  /** The detail's schema (docs/events/<detail-type>.json is generated from it). */
  schema: v.GenericSchema;
  /** Counted in the `Lockouts` metric, which the lockout-spike alarm watches. */
  lockout?: boolean;
}

function rule<S extends v.GenericSchema>(
  schema: S,
  spec: Omit<LifecycleRule, 'schema' | 'detail'> & { detail: (item: Item, change: ItemChange) => OwnFields<S> },
): LifecycleRule {
  return { ...spec, schema } as LifecycleRule;
}

// Reading items. A missing id is a bug in the writer: it throws, the record is retried and then lands in the
// on-failure queue (alarmed), rather than an event going out without its subject.
const id = (item: Item, field: string): string => {
  const value = item[field];
  if (typeof value !== 'string' || value === '') throw new Error(`${String(item.type)} item without ${field}`);
  return value;
};
const iso = (ms: number) => new Date(ms).toISOString();
/** A time the item records (epoch ms), else when the stream saw the write. */
const at = (item: Item, field: string, change: ItemChange) =>
  iso(typeof item[field] === 'number' ? (item[field] as number) : change.seenAt);
const count = (item: Item, field: string) => (typeof item[field] === 'number' ? (item[field] as number) : 0);

/** An enrollment names the ticket it redeemed; an imported one has none. */
const optionalTicket = (item: Item) => (item.ticket_id === undefined ? {} : { ticket_id: id(item, 'ticket_id') });
const ticketFields = (item: Item) => ({ ticket_id: id(item, 'ticket_id'), user_id: id(item, 'user_id'), factor: id(item, 'factor') });
const emailDelivery = (item: Item) => (item.email_delivery ?? {}) as Item;
const fromPending = { on: 'becomes', field: 'status', from: ['pending'] } as const;
/** A challenge records how the user proved it (`method`: `totp`, …); events name the factor (`otp`, …), as `factors` does. */
const factorOfMethod = (method: string) => (method === 'totp' ? 'otp' : method);

export const LIFECYCLE_RULES: readonly LifecycleRule[] = [
  // Tickets (lib/tickets/ticket.ts TicketRecord; transitions in lib/tickets/ticket-store.ts, lib/enrollment/enrollment-store.ts)
  rule(details.ticketCreated, {
    detailType: 'Ticket Created',
    itemType: 'ticket',
    trigger: { on: 'created' },
    detail: (item, change) => ({
      ...ticketFields(item),
      occurred_at: at(item, 'created_at', change),
      created_at: at(item, 'created_at', change),
      expires_at: at(item, 'expires_at', change),
      send_mail: item.send_mail === true,
      allow_multiple_enrollments: item.allow_multiple_enrollments === true,
    }),
  }),
  // The mailer's outcome (lib/email/delivery-store.ts). A resend is a new request: its own Sent or Failed.
  rule(details.ticketEmailSent, {
    detailType: 'Ticket Email Sent',
    itemType: 'ticket',
    trigger: { on: 'becomes', field: 'email_delivery.status', to: ['sent'] },
    detail: (item, change) => {
      const delivery = emailDelivery(item);
      const when = at(delivery, 'sent_at', change);
      return {
        ...ticketFields(item),
        occurred_at: when,
        email_request_id: id(delivery, 'request_id'),
        message_id: id(delivery, 'message_id'),
        attempts: Math.max(1, count(delivery, 'attempts')),
        sent_at: when,
      };
    },
  }),
  rule(details.ticketEmailFailed, {
    detailType: 'Ticket Email Failed',
    itemType: 'ticket',
    trigger: { on: 'becomes', field: 'email_delivery.status', to: ['failed'] },
    detail: (item, change) => {
      const delivery = emailDelivery(item);
      const when = at(delivery, 'failed_at', change);
      return {
        ...ticketFields(item),
        occurred_at: when,
        email_request_id: id(delivery, 'request_id'),
        // The stable code only: the human text can quote SES, which may quote the address.
        error_code: typeof delivery.error_code === 'string' && delivery.error_code ? delivery.error_code : 'unknown',
        attempts: count(delivery, 'attempts'),
        failed_at: when,
      };
    },
  }),
  rule(details.ticketRedeemed, {
    detailType: 'Ticket Redeemed',
    itemType: 'ticket',
    trigger: { ...fromPending, to: ['redeemed'] },
    detail: (item, change) => {
      const when = at(item, 'redeemed_at', change);
      return { ...ticketFields(item), occurred_at: when, enrollment_id: id(item, 'enrollment_id'), redeemed_at: when };
    },
  }),
  rule(details.ticketRevoked, {
    detailType: 'Ticket Revoked',
    itemType: 'ticket',
    trigger: { ...fromPending, to: ['revoked'] },
    detail: (item, change) => {
      const when = at(item, 'revoked_at', change);
      return { ...ticketFields(item), occurred_at: when, revoked_at: when };
    },
  }),
  // Expired: marked by the sweep (SWEEP_MODE=expire) ...
  rule(details.ticketExpired, {
    detailType: 'Ticket Expired',
    itemType: 'ticket',
    trigger: { ...fromPending, to: ['expired'] },
    detail: (item, change) => {
      const when = at(item, 'expired_at', change);
      return { ...ticketFields(item), occurred_at: when, expires_at: at(item, 'expires_at', change), expired_at: when, removed: false };
    },
  }),
  // ... or deleted while still pending: by the sweep (SWEEP_MODE=delete), or by DynamoDB TTL when no sweep ran. Only
  // a ticket past its expiry is ever deleted pending (TTL is a week after it), so this is an expiry too.
  rule(details.ticketExpired, {
    detailType: 'Ticket Expired',
    itemType: 'ticket',
    trigger: { on: 'removed', while: { field: 'status', values: ['pending'] } },
    detail: (item, change) => ({
      ...ticketFields(item),
      occurred_at: iso(change.seenAt),
      expires_at: at(item, 'expires_at', change),
      expired_at: iso(change.seenAt),
      removed: true,
    }),
  }),
  rule(details.ticketLocked, {
    detailType: 'Ticket Locked',
    itemType: 'ticket',
    trigger: { ...fromPending, to: ['locked'] },
    detail: (item, change) => {
      const when = at(item, 'locked_at', change);
      return { ...ticketFields(item), occurred_at: when, attempts: Math.max(1, count(item, 'attempts')), locked_at: when };
    },
    lockout: true,
  }),

  // Enrollments (lib/store/records.ts EnrollmentRecord): written with the redemption, deleted by the admin API.
  rule(details.enrollmentCreated, {
    detailType: 'Enrollment Created',
    itemType: 'enrollment',
    trigger: { on: 'created' },
    detail: (item, change) => ({
      enrollment_id: id(item, 'enrollment_id'),
      user_id: id(item, 'user_id'),
      factor: id(item, 'factor'),
      ...optionalTicket(item),
      occurred_at: at(item, 'created_at', change),
      created_at: at(item, 'created_at', change),
    }),
  }),
  rule(details.enrollmentDeleted, {
    detailType: 'Enrollment Deleted',
    itemType: 'enrollment',
    trigger: { on: 'removed' },
    detail: (item, change) => ({
      enrollment_id: id(item, 'enrollment_id'),
      user_id: id(item, 'user_id'),
      factor: id(item, 'factor'),
      ...optionalTicket(item),
      occurred_at: iso(change.seenAt),
      deleted_at: iso(change.seenAt),
    }),
  }),

  // MFA login (lib/mfa/challenge.ts ChallengeRecord; transitions in lib/mfa/mfa-store.ts, each one conditional write
  // from 'pending'). The per-user failure budget lives on the user's profile item (`USER#<user_id>` / `PROFILE`,
  // type 'user'): the wrong code that spends its last attempt also sets `locked_out_at` to now, and a later lockout
  // sets it again (a new value), so each lockout is one event. Never copied: the request token, codes, signatures.
  rule(details.mfaChallengeAccepted, {
    detailType: 'MFA Challenge Accepted',
    itemType: 'challenge',
    trigger: { ...fromPending, to: ['accepted'] },
    detail: (item, change) => ({
      challenge_id: id(item, 'challenge_id'),
      user_id: id(item, 'user_id'),
      factor: factorOfMethod(id(item, 'method')),
      occurred_at: at(item, 'accepted_at', change),
      accepted_at: at(item, 'accepted_at', change),
    }),
  }),
  rule(details.mfaChallengeLocked, {
    detailType: 'MFA Challenge Locked',
    itemType: 'challenge',
    trigger: { ...fromPending, to: ['locked'] },
    detail: (item, change) => ({
      challenge_id: id(item, 'challenge_id'),
      user_id: id(item, 'user_id'),
      attempts: Math.max(1, count(item, 'attempts')),
      occurred_at: at(item, 'locked_at', change),
      locked_at: at(item, 'locked_at', change),
    }),
    lockout: true,
  }),
  rule(details.mfaUserLockedOut, {
    detailType: 'MFA User Locked Out',
    itemType: 'user',
    trigger: { on: 'becomes', field: 'locked_out_at' },
    detail: (item, change) => ({
      user_id: id(item, 'user_id'),
      occurred_at: at(item, 'locked_out_at', change),
      locked_out_at: at(item, 'locked_out_at', change),
    }),
    lockout: true,
  }),

  // Remembered browsers (lib/mfa/remembered-browser.ts RememberedBrowserRecord, `USER#<user_id>` / `BROWSER#<id>`):
  // put after a proof with the box ticked, deleted when forgotten (admin, all authenticators deleted, a replayed token)
  // or by TTL at expiry. A replayed token is first marked on its browser (`reuse_detected_at`), then all are deleted.
  rule(details.mfaBrowserRemembered, {
    detailType: 'MFA Browser Remembered',
    itemType: 'remembered-browser',
    trigger: { on: 'created' },
    detail: (item, change) => ({
      user_id: id(item, 'user_id'),
      browser_id: id(item, 'browser_id'),
      occurred_at: at(item, 'created_at', change),
      created_at: at(item, 'created_at', change),
      expires_at: at(item, 'expires_at', change),
    }),
  }),
  rule(details.mfaBrowserForgotten, {
    detailType: 'MFA Browser Forgotten',
    itemType: 'remembered-browser',
    trigger: { on: 'removed' },
    detail: (item, change) => ({
      user_id: id(item, 'user_id'),
      browser_id: id(item, 'browser_id'),
      occurred_at: iso(change.seenAt),
      forgotten_at: iso(change.seenAt),
      expired: typeof item.expires_at === 'number' && item.expires_at <= change.seenAt,
    }),
  }),
  rule(details.mfaBrowserTokenReused, {
    detailType: 'MFA Browser Token Reused',
    itemType: 'remembered-browser',
    trigger: { on: 'becomes', field: 'reuse_detected_at' },
    detail: (item, change) => ({
      user_id: id(item, 'user_id'),
      browser_id: id(item, 'browser_id'),
      occurred_at: at(item, 'reuse_detected_at', change),
      detected_at: at(item, 'reuse_detected_at', change),
    }),
  }),
];

/** The item a rule reads when `change` fires it (after the write; before it for a removal), else undefined. */
export function firedBy(rule: LifecycleRule, change: ItemChange): Item | undefined {
  const item = change.name === 'REMOVE' ? change.before : change.after;
  if (!item || item.type !== rule.itemType) return undefined;
  const { trigger } = rule;
  switch (trigger.on) {
    case 'created':
      return change.name === 'INSERT' ? item : undefined;
    case 'removed':
      if (change.name !== 'REMOVE') return undefined;
      return !trigger.while || trigger.while.values.includes(fieldOf(item, trigger.while.field)) ? item : undefined;
    case 'becomes': {
      if (change.name === 'REMOVE') return undefined;
      const now = fieldOf(change.after, trigger.field);
      const was = fieldOf(change.before, trigger.field);
      if (now === undefined || now === was) return undefined;
      if (trigger.to && !trigger.to.includes(now)) return undefined;
      if (trigger.from && !trigger.from.includes(was)) return undefined;
      return item;
    }
  }
}

/** Every detail-type, once each. */
export const DETAIL_TYPES = [...new Set(LIFECYCLE_RULES.map((r) => r.detailType))];
