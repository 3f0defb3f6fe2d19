import { BatchGetCommand, BatchWriteCommand, QueryCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepSummary } from '../../lib/sweep/sweep-expired-tickets';
import { PENDING_SHARDS, pendingShard, ticketKey, type TicketRecord } from '../../lib/tickets/ticket';
import { newTicketId } from '../../lib/tickets/tokens';
import scheduled from '../fixtures/events/eventbridge-scheduled.json';
import { invoke } from '../support/lambda';
import { db, stack, uniqueUser } from '../support/stack';

/**
 * 2,000 pending tickets of which 200 have expired, plus 20 redeemed at the last second whose key the index still
 * holds (an index lagging the table): the sweep must change exactly the 200, leave the rest alone, and read about
 * 220 index items, not 2,000. Other test files share the table, so every assertion is about our own tickets, and the
 * read count allows for a few expired tickets of theirs.
 */
const LIVE = 1800;
const EXPIRED = 200;
const REDEEMED = 20;
const OTHERS_ALLOWANCE = 50;

const owner = uniqueUser('sweep');
const now = Date.now();
let live: TicketRecord[] = [];
let expired: TicketRecord[] = [];
let redeemed: TicketRecord[] = [];

function ticket(status: TicketRecord['status'], expiresAt: number, extra: Record<string, unknown> = {}): TicketRecord {
  const ticketId = newTicketId();
  return {
    ...ticketKey(ticketId), type: 'ticket', ticket_id: ticketId, user_id: owner, factor: 'otp', send_mail: false,
    allow_multiple_enrollments: false, status, attempts: 0, key_id: 'local', created_at: now - 3_600_000,
    expires_at: expiresAt, pending_shard: pendingShard(ticketId), ttl: Math.ceil(now / 1000) + 86_400, ...extra,
  };
}

const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** BatchWriteItem in parallel batches of 25, resubmitting anything DynamoDB left unprocessed. */
async function batchWrite(requests: Record<string, unknown>[]) {
  const batches = chunks(requests, 25);
  for (const group of chunks(batches, 8)) {
    await Promise.all(
      group.map(async (batch) => {
        let pending: Record<string, any>[] | undefined = batch;
        while (pending?.length) {
          const out = await db.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: pending as never } }));
          pending = out.UnprocessedItems?.[stack.tableName] as Record<string, any>[] | undefined;
        }
      }),
    );
  }
}

async function read(tickets: TicketRecord[]): Promise<Map<string, Record<string, any>>> {
  const found = new Map<string, Record<string, any>>();
  for (const batch of chunks(tickets, 100)) {
    let keys: Record<string, any>[] | undefined = batch.map((t) => ticketKey(t.ticket_id));
    while (keys?.length) {
      const out: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({ RequestItems: { [stack.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[stack.tableName] ?? []) found.set(item.ticket_id as string, item);
      keys = out.UnprocessedKeys?.[stack.tableName]?.Keys;
    }
  }
  return found;
}

/** What reading every key of the pending index costs (what a sweep without the `expires_at` bound would pay). */
async function wholeIndexCapacity(): Promise<number> {
  let units = 0;
  for (let shard = 0; shard < PENDING_SHARDS; shard += 1) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: stack.tableName,
          IndexName: 'pending-by-expiry',
          KeyConditionExpression: 'pending_shard = :shard',
          ExpressionAttributeValues: { ':shard': `pending#${shard}` },
          ExclusiveStartKey,
          ReturnConsumedCapacity: 'INDEXES',
        }),
      );
      units += page.ConsumedCapacity?.CapacityUnits ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return units;
}

/**
 * The local stack runs the real schedule too (hourly, at the top of the hour). A scheduled run between our writes and
 * our invocation would sweep our tickets first, so stay clear of it.
 */
async function awayFromTheHour() {
  const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
  if (toNextHour < 90_000) await new Promise((r) => setTimeout(r, toNextHour + 15_000));
}

beforeAll(async () => {
  await awayFromTheHour();
  live = Array.from({ length: LIVE }, (_, i) => ticket('pending', now + 3_600_000 + i));
  // Expired over the last few minutes; half had an enrollment started and never confirmed (an unconfirmed TOTP secret).
  expired = Array.from({ length: EXPIRED }, (_, i) =>
    ticket('pending', now - 1000 - i * 1000, i % 2 ? { pending_totp: { ciphertext: 'unconfirmed-secret', started_at: now - 5000 } } : {}),
  );
  redeemed = Array.from({ length: REDEEMED }, () => ticket('redeemed', now - 1000, { redeemed_at: now - 1500 }));
  await batchWrite([...live, ...expired, ...redeemed].map((Item) => ({ PutRequest: { Item } })));
}, 240_000);

afterAll(async () => {
  // Leave the shared table (and its pending index) as we found it.
  await batchWrite([...live, ...expired, ...redeemed].map((t) => ({ DeleteRequest: { Key: ticketKey(t.ticket_id) } })));
}, 120_000);

describe('scheduled sweep against DynamoDB Local', () => {
  it('expires exactly the 200 expired tickets, reading ~200 index items rather than the 2,000 tickets', async () => {
    const everything = await wholeIndexCapacity();
    const summary = await invoke<SweepSummary>('cleanupExpiredTickets', structuredClone(scheduled));

    const after = await read([...live, ...expired, ...redeemed]);
    for (const t of expired) {
      const item = after.get(t.ticket_id)!;
      expect(item.status, t.ticket_id).toBe('expired');
      expect(item.expired_at).toBeGreaterThanOrEqual(now);
      expect(item).not.toHaveProperty('pending_shard'); // out of the pending index
      expect(item).not.toHaveProperty('pending_totp'); // the unconfirmed secret is gone
    }
    for (const t of live) {
      expect(after.get(t.ticket_id), t.ticket_id).toMatchObject({ status: 'pending', pending_shard: t.pending_shard });
    }
    for (const t of redeemed) {
      const item = after.get(t.ticket_id)!;
      expect(item.status).toBe('redeemed');
      expect(item).not.toHaveProperty('expired_at');
    }

    expect(summary.complete).toBe(true);
    expect(summary.expired).toBeGreaterThanOrEqual(EXPIRED);
    expect(summary.expired).toBeLessThanOrEqual(EXPIRED + OTHERS_ALLOWANCE);
    expect(summary.skipped).toBeGreaterThanOrEqual(REDEEMED);
    // The cost: index items read ≈ what expired (ours, the stale redeemed keys, a few of other tests'), never the table.
    expect(summary.items_read).toBeGreaterThanOrEqual(EXPIRED + REDEEMED);
    expect(summary.items_read).toBeLessThanOrEqual(EXPIRED + REDEEMED + OTHERS_ALLOWANCE);
    expect(summary.items_read).toBe(summary.scanned);
    // And in DynamoDB's own units (ReturnConsumedCapacity): a fraction of reading the whole pending index.
    expect(summary.capacity_units).toBeGreaterThan(0);
    expect(summary.capacity_units).toBeLessThan(everything / 3);
  });

  it('changes nothing of ours when run again (idempotent), and reads only what is still in the index', async () => {
    const before = await read([...expired, ...redeemed]);
    const summary = await invoke<SweepSummary>('cleanupExpiredTickets', structuredClone(scheduled));
    const after = await read([...expired, ...redeemed]);
    expect([...after.values()]).toEqual([...before.values()]);
    expect(summary.items_read).toBeLessThanOrEqual(REDEEMED + OTHERS_ALLOWANCE);
  });
});
