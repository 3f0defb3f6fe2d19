import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { SweepConfig } from '../../lib/config';
import { sweepExpiredTickets } from '../../lib/sweep/sweep-expired-tickets';
import { TicketStore } from '../../lib/tickets/ticket-store';
import scheduled from '../fixtures/events/eventbridge-scheduled.json';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});
const { handler } = await import('../../functions/cleanup-expired-tickets');

const ddb = mockClient(DynamoDBDocumentClient);
const store = new TicketStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'tickets-unit');
const NOW = Date.parse('2026-11-25T09:00:00Z');
const config: SweepConfig = { mode: 'expire', batchSize: 100, safetyMarginMs: 10_000 };
const sweep = (overrides: Partial<Parameters<typeof sweepExpiredTickets>[0]> = {}) =>
  sweepExpiredTickets({ store, config, now: () => NOW, remainingMs: () => 60_000, ...overrides });

/** The index as a list of keys per shard; queries page through it like DynamoDB (Limit, LastEvaluatedKey). */
function index(perShard: Record<string, string[]>) {
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const shard = input.ExpressionAttributeValues![':shard'] as string;
    const ids = perShard[shard] ?? [];
    const start = input.ExclusiveStartKey ? ids.indexOf(String(input.ExclusiveStartKey.pk).slice(7)) + 1 : 0;
    const page = ids.slice(start, start + input.Limit!);
    const more = start + page.length < ids.length;
    return {
      Items: page.map((id) => ({ pk: `TICKET#${id}`, sk: 'TICKET', pending_shard: shard, expires_at: NOW - 1 })),
      Count: page.length,
      ScannedCount: page.length,
      LastEvaluatedKey: more ? { pk: `TICKET#${page.at(-1)}`, sk: 'TICKET' } : undefined,
      ConsumedCapacity: { TableName: 'tickets-unit', CapacityUnits: 0.5 },
    };
  });
}
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `tkt_${prefix}${String(i).padStart(5, '0')}`);
const updatedIds = () => ddb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.Key!.pk).slice(7));
const ccf = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
  ddb.on(UpdateCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
});

describe('sweep of expired pending tickets', () => {
  it('reads only expired keys of each shard of the sparse index and expires each with one conditional update', async () => {
    index({ 'pending#0': ids('a', 3), 'pending#2': ids('b', 2) });
    const summary = await sweep();

    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.map((q) => q.ExpressionAttributeValues![':shard']).sort()).toEqual(['pending#0', 'pending#1', 'pending#2', 'pending#3']);
    for (const q of queries) {
      expect(q).toMatchObject({
        TableName: 'tickets-unit',
        IndexName: 'pending-by-expiry',
        KeyConditionExpression: 'pending_shard = :shard AND expires_at <= :now',
        ReturnConsumedCapacity: 'INDEXES',
        Limit: 100,
      });
      expect(q.ExpressionAttributeValues![':now']).toBe(NOW);
    }
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update).toMatchObject({
      UpdateExpression: 'SET #status = :expired, expired_at = :now REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code',
      ConditionExpression: '#status = :pending AND expires_at <= :now',
      ExpressionAttributeValues: { ':expired': 'expired', ':pending': 'pending', ':now': NOW },
    });
    expect(updatedIds().sort()).toEqual([...ids('a', 3), ...ids('b', 2)].sort());
    expect(summary).toEqual({
      mode: 'expire', scanned: 5, expired: 5, deleted: 0, skipped: 0, items_read: 5, capacity_units: 2, complete: true,
    });
  });

  it('pages through a shard with more keys than a batch', async () => {
    index({ 'pending#1': ids('c', 250) });
    const summary = await sweep();
    expect(summary).toMatchObject({ scanned: 250, expired: 250, items_read: 250, complete: true });
    expect(new Set(updatedIds()).size).toBe(250);
    const shard1 = ddb.commandCalls(QueryCommand).filter((c) => c.args[0].input.ExpressionAttributeValues![':shard'] === 'pending#1');
    expect(shard1).toHaveLength(3);
    expect(shard1[1]!.args[0].input.ExclusiveStartKey).toEqual({ pk: `TICKET#${ids('c', 250)[99]}`, sk: 'TICKET' });
  });

  it('skips a ticket whose condition failed (redeemed or revoked at the last second) and carries on', async () => {
    index({ 'pending#0': ids('d', 4) });
    ddb.on(UpdateCommand, { Key: { pk: `TICKET#${ids('d', 4)[1]}`, sk: 'TICKET' } }).rejects(ccf());
    const summary = await sweep();
    expect(summary).toMatchObject({ scanned: 4, expired: 3, skipped: 1, complete: true });
  });

  it('deletes instead, under the same condition, with SWEEP_MODE=delete', async () => {
    index({ 'pending#3': ids('e', 2) });
    const summary = await sweep({ config: { ...config, mode: 'delete' } });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    const deletes = ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input);
    expect(deletes).toHaveLength(2);
    expect(deletes[0]).toMatchObject({ ConditionExpression: '#status = :pending AND expires_at <= :now' });
    expect(summary).toMatchObject({ mode: 'delete', deleted: 2, expired: 0 });
  });

  it('stops cleanly before the deadline, leaving the rest in the index for the next run', async () => {
    index({ 'pending#0': ids('f', 300), 'pending#1': ids('g', 300) });
    let remaining = 30_000;
    // Every check of the clock costs 1 s of the invocation: the margin (10 s) is reached after 20 checks.
    const summary = await sweep({ remainingMs: () => (remaining -= 1000), concurrency: 10 });
    expect(summary.complete).toBe(false);
    expect(summary.stopped).toBe('deadline');
    expect(summary.expired).toBeGreaterThan(0);
    expect(summary.expired).toBeLessThan(600);
    expect(summary.expired).toBe(ddb.commandCalls(UpdateCommand).length);
    expect(summary.expired + summary.skipped).toBeLessThanOrEqual(summary.scanned);
  });

  it('does nothing at all when started with less than the safety margin left', async () => {
    index({ 'pending#0': ids('h', 5) });
    const summary = await sweep({ remainingMs: () => 9_999 });
    expect(summary).toMatchObject({ complete: false, stopped: 'deadline', scanned: 0 });
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    ['an update', () => ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow', $metadata: {} }))],
    ['an index query', () => ddb.on(QueryCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow', $metadata: {} }))],
  ])('stops (and reports it) when DynamoDB keeps throttling %s past the SDK retries', async (_, arrange) => {
    index({ 'pending#0': ids('i', 5) });
    arrange();
    const summary = await sweep();
    expect(summary).toMatchObject({ complete: false, stopped: 'throttled' });
  });

  it('throws an unexpected error (Lambda records the failed run)', async () => {
    index({ 'pending#0': ids('j', 1) });
    ddb.on(UpdateCommand).rejects(new Error('AccessDeniedException'));
    await expect(sweep()).rejects.toThrow('AccessDeniedException');
  });
});

describe('cleanup-expired-tickets handler', () => {
  let metric: MockInstance<Metrics['addMetric']>;
  beforeEach(() => {
    metric = vi.spyOn(Metrics.prototype, 'addMetric');
  });
  afterEach(() => metric.mockRestore());

  it('runs on the scheduled event with the invocation deadline, returns the summary and counts what it swept', async () => {
    index({ 'pending#0': ids('k', 2) });
    ddb.on(UpdateCommand, { Key: { pk: `TICKET#${ids('k', 2)[0]}`, sk: 'TICKET' } }).rejects(ccf());
    const context = { getRemainingTimeInMillis: () => 50_000 } as unknown as Context;
    const summary = await handler(structuredClone(scheduled), context);
    expect(summary).toMatchObject({ mode: 'expire', scanned: 2, expired: 1, skipped: 1, complete: true });
    const counted = Object.fromEntries(metric.mock.calls.map((c) => [c[0], c[2]]));
    expect(counted).toMatchObject({ TicketsSwept: 1, SweepSkipped: 1, SweepItemsRead: 2 });
  });
});
