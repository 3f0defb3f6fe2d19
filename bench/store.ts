/**
 * Raw DynamoDB access for seeding and for the "straight to the store" side of the load runs. Items are cloned from
 * what the product itself wrote (captured on the wire), with fresh ids, so the bench follows the product's schema
 * without knowing it.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import table from '../infra/table.js';
import { pool } from './stats';

export type WireItem = Record<string, AttributeValue>;

/** A client configured like the product's (lib/aws.ts): same retries, default HTTP agent, dummy credentials. */
export function rawClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: 3,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
}

interface KeyDef { AttributeName: string; KeyType: string }

export function tableSchema(tableName: string) {
  const props = table.tableProperties(tableName) as unknown as {
    KeySchema: KeyDef[];
    GlobalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: KeyDef[] }>;
  };
  const hash = props.KeySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;
  const range = props.KeySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  return { hash, range, indexes: props.GlobalSecondaryIndexes ?? [] };
}

export function keysOf(item: WireItem, tableName: string): WireItem {
  const { hash, range } = tableSchema(tableName);
  return { [hash]: item[hash]!, ...(range ? { [range]: item[range]! } : {}) };
}

/** A new id shaped like `old` (same prefix up to `_`, same length, base64url alphabet). */
export function freshId(old: string): string {
  const cut = old.indexOf('_') + 1;
  const body = randomBytes(Math.ceil(((old.length - cut) * 3) / 4) + 2).toString('base64url').slice(0, old.length - cut);
  return old.slice(0, cut) + body;
}

/** Deep copy of `value` with every occurrence of each key of `replace` in any string swapped for its value. */
export function substitute<T>(value: T, replace: ReadonlyMap<string, string>): T {
  let text = JSON.stringify(value);
  for (const [from, to] of replace) text = text.split(from).join(to);
  return JSON.parse(text) as T;
}

/** Prefixed random ids (`enr_…`, `tkt_…`) inside string attribute values: things a replay must not reuse. */
export function idsIn(value: unknown): Set<string> {
  const ids = new Set<string>();
  const walk = (v: unknown) => {
    if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (k === 'S' && typeof inner === 'string') {
          for (const m of inner.matchAll(/(?<![A-Za-z0-9])[a-z]{2,6}_[A-Za-z0-9_-]{16,}/g)) ids.add(m[0]);
        } else walk(inner);
      }
    }
  };
  walk(value);
  return ids;
}

/** Every item in the ticket's partition (the ticket and anything stored beside it), in wire format. */
export async function partitionItems(client: DynamoDBClient, tableName: string, key: WireItem): Promise<WireItem[]> {
  const { hash } = tableSchema(tableName);
  const out = await client.send(new QueryCommand({
    TableName: tableName,
    KeyConditionExpression: '#h = :h',
    ExpressionAttributeNames: { '#h': hash },
    ExpressionAttributeValues: { ':h': key[hash]! },
    ConsistentRead: true,
  }));
  return (out.Items ?? []) as WireItem[];
}

/** BatchWriteItem in chunks of 25, unprocessed items retried; `concurrency` batches in flight. */
export async function batchPut(client: DynamoDBClient, tableName: string, items: WireItem[], concurrency = 16): Promise<void> {
  const chunks: WireItem[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  await pool(chunks.length, concurrency, async (i) => {
    let requests = chunks[i]!.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 10) throw new Error('BatchWriteItem kept returning unprocessed items');
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      if (requests.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  });
}
