import type { DynamoDBRecord } from 'aws-lambda';
import { DETAIL_TYPES } from '../events/catalog';
import { changeOf, type Item, type ItemChange } from '../events/changes';
import { eventsOf, type LifecycleEvent } from '../events/publish';
import type { Origin, Via } from './origin';

/**
 * A user's MFA history (docs/HISTORY.md): every lifecycle event that names a user, kept as one item under a partition
 * of the user's own, `HISTORY#<user_id>`, never under `USER#<user_id>`: the login path Queries that whole partition on
 * every attempt, and 90 days of history there would slow each one. The sort key orders a user's events by time, so a
 * page newest first is one Query; the event id in it keeps two events of the same millisecond apart.
 */

export const HISTORY_PK_PREFIX = 'HISTORY#';
export const historyPk = (userId: string) => `${HISTORY_PK_PREFIX}${userId}`;
export const historySk = (occurredAt: string, eventId: string) => `${occurredAt}#${eventId}`;

/** One event as the history keeps it and the API answers it. */
export interface HistoryEntry {
  event_id: string;
  /** The lifecycle detail-type (`Enrollment Created`). */
  type: string;
  occurred_at: string;
  factor?: string;
  enrollment_id?: string;
  ticket_id?: string;
  challenge_id?: string;
  /** Where it came from: `page`, `device`, `admin`, `signup` or `system`; absent when the write did not say. */
  via?: Via;
  /** The caller's address and browser, when a request caused the event and recorded them. */
  ip?: string;
  user_agent?: string;
}

/** The stored item: the entry with its keys, the item type every table item carries, and its expiry. */
export interface HistoryItem extends Omit<HistoryEntry, 'type'> {
  pk: string;
  sk: string;
  type: 'history';
  /** The entry's `type`: `type` is the item type, as on every item in the table (the stream filters read it). */
  detail_type: string;
  user_id: string;
  /** DynamoDB TTL (epoch seconds): `MFA_HISTORY_DAYS` after the event. */
  ttl: number;
}

/** `Enrollment Created` ↔ `enrollment_created`: the short names the `type` filter also takes. */
export const shortName = (detailType: string) => detailType.toLowerCase().replace(/ /g, '_');

/**
 * Where the event came from when the item does not say: writes only one caller makes. Only the admin API removes
 * enrollments; the mailer records deliveries; the sweep (or TTL) expires tickets.
 */
const IMPLIED_VIA: Readonly<Record<string, Via>> = {
  'Enrollment Deleted': 'admin',
  'Ticket Email Sent': 'system',
  'Ticket Email Failed': 'system',
  'Ticket Expired': 'system',
};

/**
 * The `origin` this very write recorded, if any: an item keeps the origin of the write that set it, so a later write
 * that left it as it was (the mailer's, the sweep's) must not inherit it. A removal records none.
 */
export function freshOrigin(change: ItemChange): Origin | undefined {
  if (change.name === 'REMOVE') return undefined;
  const now = change.after?.origin as Origin | undefined;
  if (!now || typeof now !== 'object' || typeof now.via !== 'string') return undefined;
  const was = change.before?.origin as Origin | undefined;
  return change.name === 'INSERT' || now.at !== was?.at ? now : undefined;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function entryOf(event: LifecycleEvent, change: ItemChange): HistoryEntry {
  const { detail } = event;
  const item: Item = (change.name === 'REMOVE' ? change.before : change.after) ?? {};
  const origin = freshOrigin(change);
  // A device-protocol transaction that proved the factor leaves its hash on the challenge (lib/mfa/challenge.ts).
  const impliedVia = IMPLIED_VIA[event.detailType] ?? (item.type === 'challenge' && text(item.accepted_tx) ? 'device' : undefined);
  return {
    event_id: detail.event_id,
    type: event.detailType,
    occurred_at: detail.occurred_at,
    factor: text(detail.factor),
    // An accepted challenge names the enrollment that proved it on the item only.
    enrollment_id: text(detail.enrollment_id) ?? (item.type === 'challenge' ? text(item.enrollment_id) : undefined),
    ticket_id: text(detail.ticket_id),
    challenge_id: text(detail.challenge_id),
    via: origin?.via ?? impliedVia,
    ip: text(origin?.ip),
    user_agent: text(origin?.ua_summary),
  };
}

/** The history items one stream record stands for: one per lifecycle event that names a user (all of them do today). */
export function historyItemsOf(record: DynamoDBRecord, retentionDays: number): HistoryItem[] {
  const events = eventsOf(record);
  if (events.length === 0) return [];
  const change = changeOf(record);
  return events.flatMap((event) => {
    const userId = text(event.detail.user_id);
    if (!userId) return [];
    const { type: detailType, ...entry } = entryOf(event, change);
    return [{
      pk: historyPk(userId),
      sk: historySk(entry.occurred_at, entry.event_id),
      ...entry,
      type: 'history' as const,
      detail_type: detailType,
      user_id: userId,
      ttl: Math.ceil(Date.parse(entry.occurred_at) / 1000) + retentionDays * 86_400,
    }];
  });
}

/** The API's view of a stored item: the entry, no keys. */
export function entryOfItem(item: Readonly<Record<string, unknown>> | HistoryItem): HistoryEntry {
  return {
    event_id: String(item.event_id),
    type: String(item.detail_type),
    occurred_at: String(item.occurred_at),
    factor: text(item.factor),
    enrollment_id: text(item.enrollment_id),
    ticket_id: text(item.ticket_id),
    challenge_id: text(item.challenge_id),
    via: text(item.via) as Via | undefined,
    ip: text(item.ip),
    user_agent: text(item.user_agent),
  };
}

/** Every detail-type a history can hold, and the short name of each (the `type` filter's values). */
export const HISTORY_TYPES: ReadonlyMap<string, string> = new Map(DETAIL_TYPES.flatMap((t) => [[t, t], [shortName(t), t]]));
