import { createHash } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

/** A table item as plain values (numbers, strings, booleans, maps). */
export type Item = Record<string, unknown>;

/** One write to the table, as its stream record tells it. */
export interface ItemChange {
  name: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** The item before the write (MODIFY, REMOVE). */
  before: Item | undefined;
  /** The item after the write (INSERT, MODIFY). */
  after: Item | undefined;
  /** When the stream saw the write, epoch ms (DynamoDB gives it to the second). */
  seenAt: number;
  /** The stream record's eventID: unique per record, the same when the record is delivered again. */
  recordId: string;
  /** The stream (eventSourceARN). */
  stream: string;
}

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;
const plain = (image: Image | undefined) => (image ? (unmarshall(image as Parameters<typeof unmarshall>[0]) as Item) : undefined);

export function changeOf(record: DynamoDBRecord): ItemChange {
  const name = record.eventName;
  if (name !== 'INSERT' && name !== 'MODIFY' && name !== 'REMOVE') throw new Error(`stream record ${record.eventID} has no eventName`);
  if (!record.eventID) throw new Error('stream record without eventID');
  return {
    name,
    before: plain(record.dynamodb?.OldImage),
    after: plain(record.dynamodb?.NewImage),
    seenAt: Math.round((record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000),
    recordId: record.eventID,
    stream: record.eventSourceARN ?? '',
  };
}

/**
 * The event's id, derived from the stream record and the detail-type only: Lambda delivering the record again
 * (a retry, a bisected batch, a replay) yields the same id, so consumers de-duplicate on it. Shaped as a UUID
 * (version 8: custom, from the first bytes of a SHA-256) so it fits the columns consumers keep ids in.
 */
export function eventIdOf(change: Pick<ItemChange, 'stream' | 'recordId'>, detailType: string): string {
  const bytes = createHash('sha256').update(`${change.stream}\n${change.recordId}\n${detailType}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `arn:…:table/T/stream/…` → `arn:…:table/T`: the table, named in each event's `resources`. */
export const tableArnOf = (stream: string) => stream.replace(/\/stream\/.*$/, '');

/** A value at a dot path (`email_delivery.status`). */
export function fieldOf(item: Item | undefined, path: string): unknown {
  let value: unknown = item;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Item)[key];
  }
  return value;
}
