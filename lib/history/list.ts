import { badRequest } from '../errors';
import { entryOfItem, HISTORY_TYPES, type HistoryEntry } from './history';
import type { HistoryStore } from './history-store';

/** GET /api/v2/users/{user_id}/mfa/events: its query parameters, checked here (the route table documents them). */
export const HISTORY_QUERY = {
  from: 'Only events at or after this time (ISO 8601 with a time zone, or a date: `2025-06-01`, `2025-06-01T12:00:00Z`).',
  type: 'Only events of these types: detail-types (`Enrollment Created`) or short names (`enrollment_created`), comma-separated.',
  per_page: 'Events per page, 1 to 100 (default 50). A page filtered by `type` may hold fewer; follow `next_cursor` until it is absent.',
  cursor: 'The `next_cursor` of the previous page, with the same `from` and `type`.',
} as const;

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 100;
/** Items one filtered page may read: bounds the Query's cost (and stays far below its 1 MB page) when few match. */
const MAX_FILTERED_READ = 1000;

export interface HistoryPage {
  events: HistoryEntry[];
  /** Present when older events may follow: pass it as `cursor`. */
  next_cursor?: string;
}

// A sort key: an ISO time to the millisecond, then the event id (lib/history/history.ts historySk).
const SK = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to callers (base64url JSON): it only ever points inside the partition of the user in the path. */
export const encodeCursor = (sk: string) => Buffer.from(JSON.stringify({ before: sk }), 'utf8').toString('base64url');

export function decodeCursor(raw: string): string {
  const invalid = () => badRequest('invalid_cursor', 'cursor: must be a next_cursor this API returned');
  if (raw.length > 200 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const before = (value as { before?: unknown } | null)?.before;
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1 || typeof before !== 'string' || !SK.test(before)) throw invalid();
  return before;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `from` → the sort key bound it stands for (every key at or after that millisecond). */
export function parseFrom(raw: string): string {
  const at = ISO.test(raw) ? Date.parse(raw) : NaN;
  // Years 1970 to 9999: an ISO string outside them would not sort as the keys do.
  if (!Number.isFinite(at) || at < 0 || at > 253_402_300_799_999) {
    throw badRequest('invalid_from', 'from: must be an ISO 8601 time with a time zone (2025-06-01T12:00:00Z) or a date (2025-06-01)');
  }
  return new Date(at).toISOString();
}

export function parseTypes(raw: string): string[] {
  const names = raw.split(',').map((s) => s.trim());
  const types = names.map((name) => HISTORY_TYPES.get(name));
  if (names.length > 20 || types.some((t) => t === undefined)) {
    throw badRequest('invalid_type', `type: must be lifecycle detail-types or short names, comma-separated (e.g. enrollment_created,Enrollment Deleted)`);
  }
  return [...new Set(types as string[])];
}

export function parsePerPage(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PER_PAGE;
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PER_PAGE)) throw badRequest('invalid_per_page', `per_page: must be a whole number from 1 to ${MAX_PER_PAGE}`);
  return n;
}

/** One page of a user's history, newest first, from one Query. */
export async function listHistory(
  store: Pick<HistoryStore, 'page'>,
  userId: string,
  query: Record<string, string | undefined> | undefined,
): Promise<HistoryPage> {
  if (userId.length === 0 || userId.length > 256) throw badRequest('invalid_user_id', 'user_id: must be 1 to 256 characters');
  const params = query ?? {};
  const unknown = Object.keys(params).filter((k) => !Object.hasOwn(HISTORY_QUERY, k));
  if (unknown.length > 0) {
    throw badRequest('unknown_field', `unknown query parameter${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => k.slice(0, 40)).join(', ')}`);
  }
  const perPage = parsePerPage(params.per_page);
  const fromSk = params.from === undefined ? undefined : parseFrom(params.from);
  const types = params.type === undefined ? undefined : parseTypes(params.type);
  const beforeSk = params.cursor === undefined ? undefined : decodeCursor(params.cursor);
  // A cursor older than `from`: nothing of this query is left (and DynamoDB refuses a start key outside the condition).
  if (beforeSk !== undefined && fromSk !== undefined && beforeSk < fromSk) return { events: [] };

  // One more than a page unfiltered: whether another page follows is then known without a second, empty one.
  const limit = types ? Math.min(MAX_FILTERED_READ, perPage * 10) : perPage + 1;
  const { items, lastSk } = await store.page({ userId, fromSk, beforeSk, types, limit });
  const kept = items.slice(0, perPage);
  // More may follow when the page was cut short here, or DynamoDB stopped before the end of the partition.
  const nextSk = items.length > perPage ? String(kept.at(-1)!.sk) : lastSk;
  return { events: kept.map(entryOfItem), ...(nextSk ? { next_cursor: encodeCursor(nextSk) } : {}) };
}
