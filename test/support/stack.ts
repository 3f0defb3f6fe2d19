import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { PhoneMessage } from '../../infra/local/phone';

/** The local stack the global setup started, and small clients for it. */
export const stack = inject('stack');

export const db = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  }),
  { marshallOptions: { removeUndefinedValues: true } },
);

export async function scanTable(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the local HTTP API (serverless-offline) as an admin unless `auth` says otherwise. */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; auth?: string | null } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const auth = options.auth === undefined ? `Bearer ${stack.adminApiKey}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${stack.apiUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const uniqueUser = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** What the local phone received, for one number when `destination` is given: how tests read codes, as a user reads their phone. */
export async function phoneMessages(destination?: string): Promise<PhoneMessage[]> {
  const query = destination ? `?destination=${encodeURIComponent(destination)}` : '';
  const res = await fetch(`${stack.phoneUrl}/messages${query}`);
  if (!res.ok) throw new Error(`local phone: GET /messages answered ${res.status}`);
  return (await res.json()) as PhoneMessage[];
}
