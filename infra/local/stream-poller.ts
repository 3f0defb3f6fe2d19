import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * The local stand-in for Lambda's DynamoDB event source mapping (serverless-offline emulates none): it reads DynamoDB
 * Local's stream and hands each batch to the same handler the deployed stack runs, honouring what the mapping in
 * serverless.yml promises: `batchItemFailures` (retry from the first failed record), bisecting a batch that fails as
 * a whole, bounded retries, then giving up on the batch (deployed, its metadata would go to the on-failure queue),
 * and the mapping's filter patterns (the same file serverless.yml deploys), so the handler sees what it would deployed.
 */

/**
 * A Lambda event filter pattern, in the subset we use: nested objects whose leaves list the accepted values, or
 * `[{ "exists": true | false }]` (the key is present / absent).
 */
export type FilterPattern = {
  [key: string]: FilterPattern | ReadonlyArray<string | number | boolean | null> | ReadonlyArray<{ exists: boolean }>;
};

const isExists = (v: unknown): v is { exists: boolean } =>
  v !== null && typeof v === 'object' && Object.keys(v).length === 1 && typeof (v as { exists?: unknown }).exists === 'boolean';

/** Lambda's filter semantics for exact values and `exists`: every key of the pattern must match; a leaf lists accepted values. */
export function matchesFilter(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(expected)) return matchesFilter(expected as FilterPattern, actual);
    if (expected.length === 1 && isExists(expected[0])) return (actual !== undefined) === expected[0].exists;
    if (expected.some((v) => v !== null && typeof v === 'object')) {
      throw new Error(`filter pattern "${key}": only exact values and exists are supported by the local poller`);
    }
    const values = Array.isArray(actual) ? actual : [actual];
    return values.some((v) => (expected as unknown[]).includes(v));
  });
}

/** What the handler answered: the sequence numbers to retry, or a function error (the whole batch failed). */
export type InvokeResult = { ok: true; failures: string[] } | { ok: false; error: string };
export type Invoke = (event: DynamoDBStreamEvent) => Promise<InvokeResult>;

export interface StreamPollerOptions {
  dynamodbEndpoint: string;
  tableName: string;
  invoke: Invoke;
  /** Lambda event filter patterns (a record matching any is delivered); all records when absent. */
  filterPatterns?: readonly FilterPattern[];
  /** Pause between empty polls (default 100 ms: a write reaches the handler well within a second). */
  intervalMs?: number;
  /** Records per invocation (as `batchSize` in serverless.yml). */
  batchSize?: number;
  /** Retries of a failing batch before giving up on it (deployed: `maximumRetryAttempts`). */
  maxRetries?: number;
  log?: (message: string) => void;
}

/** Invokes a function through serverless-offline's Lambda endpoint, as the event source mapping would. */
export function lambdaInvoker(endpoint: string, functionName: string): Invoke & { close: () => void } {
  const client = new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 60_000 },
  });
  const invoke = async (event: DynamoDBStreamEvent): Promise<InvokeResult> => {
    const out = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }));
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    if (out.FunctionError) return { ok: false, error: text.slice(0, 500) };
    const body = (text ? JSON.parse(text) : undefined) as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | null | undefined;
    return { ok: true, failures: (body?.batchItemFailures ?? []).map((f) => String(f.itemIdentifier)) };
  };
  return Object.assign(invoke, { close: () => client.destroy() });
}

/** The SDK's record in the shape Lambda delivers it: epoch-second timestamps, base64 binaries, the stream ARN. */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  // The holder's own value: JSON.stringify has already turned a Date into a string by the time `value` arrives.
  const json = JSON.stringify(record, function (this: Record<string, unknown>, key, value: unknown) {
    const original = this[key];
    if (original instanceof Date) return Math.floor(original.getTime() / 1000);
    if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
    return value;
  });
  return { ...(JSON.parse(json) as DynamoDBRecord), eventSourceARN: streamArn };
}

interface Shard {
  id: string;
  parentId: string | undefined;
  iterator: string | undefined;
  /** Read but not yet handled successfully (a retry starts here). */
  pending: StreamRecord[];
  /** How many records the next invocation gets: halved when a batch fails as a whole (bisect). */
  limit: number;
  attempts: number;
  head: string | undefined;
  /** Sequence number of the last record read, to resume after it when an iterator expires or its data is trimmed. */
  lastRead?: string;
}

const seqOf = (record: StreamRecord) => record.dynamodb?.SequenceNumber ?? '';

export class StreamPoller {
  private readonly streams: DynamoDBStreamsClient;
  private readonly shards = new Map<string, Shard>();
  private readonly finished = new Set<string>();
  private streamArn: string | undefined;
  private lastDiscovery = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly maxRetries: number;
  private readonly log: (message: string) => void;

  constructor(private readonly options: StreamPollerOptions) {
    this.streams = new DynamoDBStreamsClient({
      endpoint: options.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    this.intervalMs = options.intervalMs ?? 100;
    this.batchSize = options.batchSize ?? 10;
    this.maxRetries = options.maxRetries ?? 3;
    this.log = options.log ?? ((message) => process.stderr.write(`[stream-poller] ${message}\n`));
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.streams.destroy();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let busy = false;
      try {
        await this.discover();
        for (const shard of this.shards.values()) {
          if (this.stopped) break;
          if (shard.parentId && this.shards.has(shard.parentId)) continue; // parents first, as Lambda does
          busy = (await this.poll(shard)) || busy;
        }
        failures = 0;
      } catch (err) {
        // DynamoDB Local or the API restarting: keep what was read, try again shortly, say so once in a while.
        failures += 1;
        if (failures === 1 || failures % 50 === 0) this.log(`polling failed (${(err as Error).name}: ${(err as Error).message}); retrying`);
      }
      if (!busy) await this.sleep(failures > 0 ? 1_000 : this.intervalMs);
    }
  }

  /** Finds the table's stream and its shards (again every few seconds: DynamoDB rolls shards over). */
  private async discover(): Promise<void> {
    if (this.streamArn && this.shards.size > 0 && Date.now() - this.lastDiscovery < 5_000) return;
    this.lastDiscovery = Date.now();
    const { Streams } = await this.streams.send(new ListStreamsCommand({ TableName: this.options.tableName }));
    const streamArn = Streams?.at(-1)?.StreamArn;
    if (!streamArn) return;
    this.streamArn = streamArn;
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      for (const shard of StreamDescription?.Shards ?? []) {
        const id = shard.ShardId!;
        if (this.shards.has(id) || this.finished.has(id)) continue;
        const { ShardIterator } = await this.streams.send(
          new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        this.shards.set(id, { id, parentId: shard.ParentShardId, iterator: ShardIterator, pending: [], limit: this.batchSize, attempts: 0, head: undefined });
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }

  /**
   * GetRecords, recovering as Lambda's poller does when the iterator has expired (15 min idle) or points at data the
   * stream has trimmed: a fresh iterator after the last record read, or at the oldest record still there.
   */
  private async readRecords(shard: Shard) {
    try {
      // Read as much as a call allows; the filter drops most of it and invocations still get `batchSize` at most.
      return await this.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
    } catch (err) {
      const name = (err as Error).name;
      if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw err;
      // After the last record read when it is still there (replaying the whole stream from its oldest record would
      // redeliver everything, and hold back every new record behind it); at the oldest record only when it is gone.
      let resumed = false;
      if (shard.lastRead) {
        try {
          shard.iterator = (await this.streams.send(
            new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shard.id, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastRead }),
          )).ShardIterator;
          resumed = true;
        } catch (again) {
          if ((again as Error).name !== 'TrimmedDataAccessException') throw again;
        }
      }
      if (!resumed) {
        shard.iterator = (await this.streams.send(
          new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shard.id, ShardIteratorType: 'TRIM_HORIZON' }),
        )).ShardIterator;
      }
      this.log(`${name} on shard ${shard.id}; resumed ${resumed ? 'after the last record read' : 'at the oldest record'}`);
      return undefined;
    }
  }

  /** One step on one shard: read if nothing is pending, then deliver. True when there was something to do. */
  private async poll(shard: Shard): Promise<boolean> {
    if (shard.pending.length === 0) {
      if (!shard.iterator) {
        this.shards.delete(shard.id);
        this.finished.add(shard.id);
        return false;
      }
      const out = await this.readRecords(shard);
      if (!out) return false;
      shard.iterator = out.NextShardIterator;
      shard.lastRead = out.Records?.length ? seqOf(out.Records.at(-1)!) : shard.lastRead;
      shard.pending = (out.Records ?? []).filter((r) => this.wanted(r));
      if (shard.pending.length === 0) return (out.Records ?? []).length > 0;
    }

    if (seqOf(shard.pending[0]!) !== shard.head) {
      shard.head = seqOf(shard.pending[0]!);
      shard.attempts = 0;
    }
    const batch = shard.pending.slice(0, shard.limit);
    const started = Date.now();
    const result = await this.options.invoke({ Records: batch.map((r) => toLambdaRecord(r, this.streamArn!)) });
    const took = Date.now() - started;
    if (took > 5_000) this.log(`a batch of ${batch.length} took ${took} ms to handle (the records after it waited)`);
    if (result.ok && result.failures.length === 0) {
      shard.pending = shard.pending.slice(batch.length);
      shard.limit = this.batchSize;
      return true;
    }

    shard.attempts += 1;
    if (shard.attempts > this.maxRetries) {
      const seqs = batch.map(seqOf);
      this.log(`gave up on ${seqs.length} record(s) after ${this.maxRetries} retries (sequence numbers ${seqs.join(', ')}); deployed, they would go to the on-failure queue`);
      shard.pending = shard.pending.slice(batch.length);
      shard.limit = this.batchSize;
      return true;
    }
    if (!result.ok) {
      // The function failed as a whole: retry the first half on its own (bisectBatchOnFunctionError).
      shard.limit = Math.max(1, Math.ceil(batch.length / 2));
    } else {
      // Retry from the first reported failure; records after it are delivered again (the handler is idempotent).
      const first = batch.findIndex((r) => result.failures.includes(seqOf(r)));
      shard.pending = shard.pending.slice(Math.max(0, first));
    }
    await this.sleep(Math.min(2_000, 200 * 2 ** (shard.attempts - 1)));
    return true;
  }

  private wanted(record: StreamRecord): boolean {
    const patterns = this.options.filterPatterns;
    if (!patterns || patterns.length === 0) return true;
    const shaped = toLambdaRecord(record, this.streamArn ?? '');
    return patterns.some((pattern) => matchesFilter(pattern, shaped));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
