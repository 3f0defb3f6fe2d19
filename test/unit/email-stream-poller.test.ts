import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import emailStreamFilter from '../../infra/email-stream-filter.json';
import { matchesFilter, StreamPoller, type InvokeResult } from '../../infra/local/stream-poller';
import insertFixture from '../fixtures/events/dynamodb-stream-insert-send-mail.json';
import ignoredFixture from '../fixtures/events/dynamodb-stream-ignored.json';

/** The local stand-in for Lambda's event source mapping, against a mocked DynamoDB Streams API. */
const streams = mockClient(DynamoDBStreamsClient);
const ARN = 'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2026-11-25T09:00:00.000';

const record = (seq: number): StreamRecord => {
  const r = structuredClone(insertFixture.Records[0]!) as unknown as StreamRecord & { eventSourceARN?: string };
  delete r.eventSourceARN;
  r.dynamodb!.SequenceNumber = String(seq);
  r.dynamodb!.ApproximateCreationDateTime = new Date(1795600000000);
  return r;
};

/** Runs a poller over `records` (one shard, one GetRecords page) until `done` says so. */
async function run(records: StreamRecord[], answer: (seqs: string[], call: number) => InvokeResult, done: (calls: string[][]) => boolean) {
  streams.on(ListStreamsCommand).resolves({ Streams: [{ StreamArn: ARN }] });
  streams.on(DescribeStreamCommand).resolves({ StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } });
  streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
  streams.on(GetRecordsCommand, { ShardIterator: 'it-0' }).resolves({ Records: records, NextShardIterator: 'it-1' });
  streams.on(GetRecordsCommand, { ShardIterator: 'it-1' }).resolves({ Records: [], NextShardIterator: 'it-1' });
  const calls: string[][] = [];
  const events: DynamoDBStreamEvent[] = [];
  const log: string[] = [];
  const poller = new StreamPoller({
    dynamodbEndpoint: 'http://127.0.0.1:1',
    tableName: 't',
    intervalMs: 5,
    maxRetries: 2,
    filterPatterns: [emailStreamFilter],
    log: (m) => log.push(m),
    invoke: async (event) => {
      events.push(event);
      const seqs = event.Records.map((r) => r.dynamodb!.SequenceNumber!);
      calls.push(seqs);
      return answer(seqs, calls.length);
    },
  }).start();
  const deadline = Date.now() + 10_000;
  while (!done(calls) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await poller.stop();
  return { calls, events, log };
}

beforeEach(() => streams.reset());

describe('local stream poller', () => {
  it('delivers records in Lambda\'s shape: epoch-second timestamps, the stream ARN', async () => {
    const { events } = await run([record(1)], () => ({ ok: true, failures: [] }), (c) => c.length >= 1);
    expect(events[0]!.Records[0]).toMatchObject({ eventSourceARN: ARN, eventName: 'INSERT', dynamodb: { ApproximateCreationDateTime: 1795600000 } });
  });

  it('retries from the first record the handler reported, then moves on', async () => {
    const { calls } = await run(
      [record(1), record(2), record(3)],
      (seqs, n) => ({ ok: true, failures: n === 1 ? ['2', '3'] : [] }),
      (c) => c.length >= 2,
    );
    expect(calls.slice(0, 2)).toEqual([['1', '2', '3'], ['2', '3']]);
  });

  it('bisects a batch that fails as a whole', async () => {
    const { calls } = await run(
      [record(1), record(2), record(3), record(4)],
      (seqs) => (seqs.includes('4') && seqs.length > 1 ? { ok: false, error: 'boom' } : { ok: true, failures: [] }),
      (c) => c.some((s) => s.length === 1 && s[0] === '4') || c.length > 6,
    );
    expect(calls[0]).toEqual(['1', '2', '3', '4']);
    expect(calls[1]).toEqual(['1', '2']);
    expect(calls[2]).toEqual(['3', '4']);
  });

  it('gives up on a batch after the bounded retries, says so, and goes on with the next records', async () => {
    const { calls, log } = await run(
      [record(1)],
      () => ({ ok: true, failures: ['1'] }),
      (c) => c.length >= 3,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([['1'], ['1'], ['1']]);
    expect(log.join('\n')).toContain('gave up on 1 record(s) after 2 retries');
  });

  it('applies the mapping\'s filter: only writes that leave a pending email request reach the handler', () => {
    const deliver = (r: unknown) => matchesFilter(emailStreamFilter, r);
    expect(deliver(insertFixture.Records[0])).toBe(true);
    // Of the records the handler ignores, the filter already drops all but the non-ticket item with a pending request.
    expect(ignoredFixture.Records.filter(deliver).map((r) => r.eventName)).toEqual(['INSERT']);
    expect(() => matchesFilter({ a: [{ prefix: 'x' }] as never }, { a: 'x' })).toThrow(/only exact values/);
  });
});

describe('stream poller iterator recovery', () => {
  /** Records 1 then 2, with `failure` thrown between them; returns what the handler got and what the poller logged. */
  async function recoverFrom(failure: Error) {
    streams.on(ListStreamsCommand).resolves({ Streams: [{ StreamArn: ARN }] });
    streams.on(DescribeStreamCommand).resolves({ StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } });
    streams.on(GetShardIteratorCommand, { ShardIteratorType: 'TRIM_HORIZON' }).resolves({ ShardIterator: 'it-0' });
    streams.on(GetShardIteratorCommand, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '1' }).resolves({ ShardIterator: 'it-after-1' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-0' }).resolves({ Records: [record(1)], NextShardIterator: 'it-1' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-1' }).rejects(failure);
    streams.on(GetRecordsCommand, { ShardIterator: 'it-after-1' }).resolves({ Records: [record(2)], NextShardIterator: 'it-2' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-2' }).resolves({ Records: [], NextShardIterator: 'it-2' });
    const calls: string[][] = [];
    const log: string[] = [];
    const poller = new StreamPoller({
      dynamodbEndpoint: 'http://127.0.0.1:1',
      tableName: 't',
      intervalMs: 5,
      filterPatterns: [emailStreamFilter],
      log: (m) => log.push(m),
      invoke: async (event) => {
        calls.push(event.Records.map((r) => r.dynamodb!.SequenceNumber!));
        return { ok: true, failures: [] };
      },
    }).start();
    const deadline = Date.now() + 10_000;
    while (calls.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // a redelivery, if any, would arrive now
    await poller.stop();
    return { calls, log: log.join('\n') };
  }

  it('on trimmed data resumes after the last record read when it is still there, not from the oldest record', async () => {
    const { TrimmedDataAccessException } = await import('@aws-sdk/client-dynamodb-streams');
    const { calls, log } = await recoverFrom(new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} }));
    expect(calls).toEqual([['1'], ['2']]);
    expect(log).toContain('TrimmedDataAccessException on shard shard-1; resumed after the last record read');
  });

  it('resumes after the last record read when its iterator expires, delivering the rest once', async () => {
    const { ExpiredIteratorException } = await import('@aws-sdk/client-dynamodb-streams');
    const { calls, log } = await recoverFrom(new ExpiredIteratorException({ message: 'expired', $metadata: {} }));
    expect(calls).toEqual([['1'], ['2']]);
    expect(log).toContain('ExpiredIteratorException on shard shard-1; resumed after the last record read');
  });
});
