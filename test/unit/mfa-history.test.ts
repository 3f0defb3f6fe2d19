import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { historyEvent } from '../../lib/api/responses';
import { eventsOf } from '../../lib/events/publish';
import { entryOfItem, historyItemsOf, shortName, type HistoryItem } from '../../lib/history/history';
import { HistoryStore, recordHistory } from '../../lib/history/history-store';
import { decodeCursor, encodeCursor, listHistory, parseFrom } from '../../lib/history/list';
import { originOfRequest, originUpdate, uaSummary } from '../../lib/history/origin';
import { SEALED, T0, challenge, enrollment, quiet, record, ticket, transitions } from '../support/lifecycle-records';

const SECRETS = [SEALED, enrollment.totp_secret, enrollment.recovery_code_hash, 'grace.hopper@example.com', 'https://app.example.com',
  'nonce-from-the-app', 'state-from-the-app', ticket.key_id, 'Mozilla/5.0'];
const DAY = 86_400;
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const origin = { via: 'admin', ip: '203.0.113.7', ua_summary: 'curl', at: T0 };

describe('history items from stream records', () => {
  it.each(transitions)('%s: one item per lifecycle event, under the user\'s own partition, kept MFA_HISTORY_DAYS', (detailType, rec) => {
    const items = historyItemsOf(rec, 90);
    const [event] = eventsOf(rec);
    expect(items).toHaveLength(1);
    const item = items[0]!;
    expect(item).toMatchObject({ pk: `HISTORY#${ticket.user_id}`, type: 'history', detail_type: detailType, event_id: event!.detail.event_id });
    expect(item.sk).toBe(`${event!.detail.occurred_at}#${event!.detail.event_id}`);
    expect(item.ttl).toBe(Math.ceil(Date.parse(event!.detail.occurred_at) / 1000) + 90 * DAY);
    expect(v.safeParse(historyEvent, entryOfItem(item)).success).toBe(true);
    const text = JSON.stringify(item);
    for (const secret of SECRETS) expect(text, secret).not.toContain(secret);
  });

  it.each(quiet)('%s: no item', (_, rec) => expect(historyItemsOf(rec, 90)).toEqual([]));

  it('names the source: the origin this write recorded, never one a later write left in place', () => {
    const created = historyItemsOf(record('INSERT', { after: { ...ticket, origin } }), 90)[0]!;
    expect(created).toMatchObject({ via: 'admin', ip: '203.0.113.7', user_agent: 'curl' });
    // The redemption rewrote the ticket without an origin of its own: the admin's address must not be blamed for it.
    const redeemed = historyItemsOf(record('MODIFY', {
      before: { ...ticket, origin },
      after: { ...ticket, origin, status: 'redeemed', redeemed_at: T0 + 60_000, enrollment_id: enrollment.enrollment_id },
    }), 90)[0]!;
    expect(redeemed.detail_type).toBe('Ticket Redeemed');
    expect(redeemed.ip).toBeUndefined();
    expect(redeemed.via).toBeUndefined();
    // A write with an origin of its own (a later time) is attributed to it.
    const page = { via: 'page', ip: '198.51.100.9', ua_summary: 'Safari on iOS', at: T0 + 60_000 };
    const byPage = historyItemsOf(record('MODIFY', {
      before: { ...ticket, origin },
      after: { ...ticket, origin: page, status: 'redeemed', redeemed_at: T0 + 60_000, enrollment_id: enrollment.enrollment_id },
    }), 90)[0]!;
    expect(byPage).toMatchObject({ via: 'page', ip: '198.51.100.9', user_agent: 'Safari on iOS' });
  });

  it('implies the source where only one caller makes the write, and reads an accepted challenge\'s enrollment from the item', () => {
    const of = (type: string) => historyItemsOf(transitions.find(([t]) => t === type)![1], 90)[0]!;
    expect(of('Enrollment Deleted').via).toBe('admin');
    expect(of('Ticket Email Sent').via).toBe('system');
    expect(of('MFA Challenge Accepted')).toMatchObject({ factor: 'otp', enrollment_id: enrollment.enrollment_id, challenge_id: challenge.challenge_id });
    const byDevice = historyItemsOf(record('MODIFY', {
      before: challenge,
      after: { ...challenge, status: 'accepted', method: 'recovery-code', enrollment_id: enrollment.enrollment_id, accepted_at: T0 + 1, accepted_tx: 'hash' },
    }), 90)[0]!;
    expect(byDevice).toMatchObject({ via: 'device', factor: 'recovery-code' });
  });
});

describe('recording the history (the stream consumer)', () => {
  /** DynamoDB's `attribute_not_exists(pk)` on a Map. */
  function fakeTable() {
    const rows = new Map<string, HistoryItem>();
    const writes: string[] = [];
    const store = {
      async putOnce(item: HistoryItem) {
        writes.push(item.event_id);
        const key = `${item.pk}|${item.sk}`;
        if (rows.has(key)) return false;
        rows.set(key, item);
        return true;
      },
    };
    return { rows, writes, store };
  }

  it('a record delivered twice (a retry, a bisected batch) leaves one item per event', async () => {
    const table = fakeTable();
    const deps = { store: table.store, retentionDays: 90, logger: silent };
    const batch = transitions.map(([, r]) => r);
    expect(await recordHistory(deps, batch)).toEqual({ batchItemFailures: [] });
    expect(await recordHistory(deps, [batch[3]!, batch[3]!, ...batch])).toEqual({ batchItemFailures: [] });
    expect(table.rows.size).toBe(transitions.length);
  });

  it('the condition is attribute_not_exists(pk), and a conditional failure is success (already written)', async () => {
    const ddb = mockClient(DynamoDBDocumentClient);
    ddb.on(PutCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const store = new HistoryStore(ddb as unknown as DynamoDBDocumentClient, 'T');
    const item = historyItemsOf(transitions[0]![1], 90)[0]!;
    expect(await store.putOnce(item)).toBe(false);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({ TableName: 'T', ConditionExpression: 'attribute_not_exists(pk)', Item: item });
    ddb.reset();
  });

  it('a failed write reports its record (the first failing one) for retry; the records before it are done', async () => {
    const table = fakeTable();
    const failing = transitions[5]![1];
    const store = {
      putOnce: async (item: HistoryItem) => {
        if (item.event_id === eventsOf(failing)[0]!.detail.event_id) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        return table.store.putOnce(item);
      },
    };
    const batch = transitions.map(([, r]) => r);
    const out = await recordHistory({ store, retentionDays: 90, logger: silent }, batch);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: failing.dynamodb!.SequenceNumber }]);
    expect(table.rows.size).toBe(transitions.length - 1);
  });
});

describe('reading a page', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new HistoryStore(ddb as unknown as DynamoDBDocumentClient, 'T');
  const items = transitions.map(([, r]) => historyItemsOf(r, 90)[0]!).sort((a, b) => (a.sk < b.sk ? 1 : -1));
  beforeEach(() => ddb.reset());

  it('is one Query on HISTORY#<user>, newest first, one more than a page to know whether another follows', async () => {
    ddb.on(QueryCommand).resolves({ Items: items.slice(0, 3) });
    const page = await listHistory(store, ticket.user_id, { per_page: '2', from: '2026-01-01' });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND sk >= :from',
      ExpressionAttributeValues: { ':pk': `HISTORY#${ticket.user_id}`, ':from': '2026-01-01T00:00:00.000Z' },
      ScanIndexForward: false,
      Limit: 3,
    });
    expect(page.events.map((e) => e.event_id)).toEqual([items[0]!.event_id, items[1]!.event_id]);
    expect(decodeCursor(page.next_cursor!)).toBe(items[1]!.sk);
  });

  it('continues after the cursor and filters by detail-type or short name', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const page = await listHistory(store, 'u', { cursor: encodeCursor(items[1]!.sk), type: `${shortName('Enrollment Created')},Enrollment Deleted` });
    expect(page).toEqual({ events: [] });
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      ExclusiveStartKey: { pk: 'HISTORY#u', sk: items[1]!.sk },
      FilterExpression: '#dt IN (:t0, :t1)',
      ExpressionAttributeValues: { ':t0': 'Enrollment Created', ':t1': 'Enrollment Deleted' },
      Limit: 500,
    });
  });

  it('refuses what it does not know, naming the parameter, before any read', async () => {
    const codeOf = (query: Record<string, string>, user = 'u') => listHistory(store, user, query).then(() => 'ok', (e: { code: string }) => e.code);
    expect(await codeOf({ from: 'yesterday' })).toBe('invalid_from');
    expect(await codeOf({ from: '2025-06-01T12:00:00' })).toBe('invalid_from'); // no time zone: ambiguous
    expect(await codeOf({ from: '+275760-09-13T00:00:00Z' })).toBe('invalid_from');
    expect(await codeOf({ type: 'Ticket Created,nope' })).toBe('invalid_type');
    expect(await codeOf({ per_page: '0' })).toBe('invalid_per_page');
    expect(await codeOf({ per_page: '101' })).toBe('invalid_per_page');
    expect(await codeOf({ per_page: '1e2' })).toBe('invalid_per_page');
    expect(await codeOf({ cursor: 'x' })).toBe('invalid_cursor');
    expect(await codeOf({ cursor: Buffer.from('{"before":"USER#victim"}').toString('base64url') })).toBe('invalid_cursor');
    expect(await codeOf({ page: '2' })).toBe('unknown_field');
    expect(await codeOf({}, '')).toBe('invalid_user_id');
    expect(await codeOf({}, 'u'.repeat(257))).toBe('invalid_user_id');
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(parseFrom('2025-06-01T14:00:00+02:00')).toBe('2025-06-01T12:00:00.000Z');
  });
});

describe('origin of a request', () => {
  it.each([
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', 'Edge on Windows'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'Firefox on Linux'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['curl/8.7.1', 'curl'],
    ['<script>alert(1)</script>', undefined],
    ['', undefined],
  ])('%s → %s', (ua, summary) => expect(uaSummary(ua)).toBe(summary));

  it('keeps the source address and the summary, never the header itself', () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0';
    const o = originOfRequest({ requestContext: { http: { sourceIp: '2001:db8::1', userAgent: ua } } as never }, 'admin');
    expect(o).toEqual({ via: 'admin', ip: '2001:db8::1', ua_summary: 'Firefox on Linux' });
    expect(originOfRequest({ requestContext: { http: { sourceIp: 'not an ip' } } as never }, 'page').ip).toBeUndefined();
  });

  it('a write keeps it as `origin`, stamped with its own time; a write without one leaves the item as it was', () => {
    expect(originUpdate({ via: 'page', ip: '192.0.2.1', ua_summary: 'curl' }, T0)).toEqual({ set: ', origin = :origin', values: { ':origin': { via: 'page', ip: '192.0.2.1', ua_summary: 'curl', at: T0 } } });
    expect(originUpdate(undefined, T0)).toEqual({ set: '', values: {} });
  });
});
