import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { expect } from 'vitest';
import { ensureTable } from '../../infra/local/table';
import { loadConfig } from '../../lib/config';
import { assetCatalog } from '../../lib/enrollment/assets';
import { pendingShard, ticketKey } from '../../lib/tickets/ticket';
import { ticketToken } from '../../lib/tickets/tokens';
import { httpEvent } from '../support/events';
import { pageFiles } from '../support/page';
import { stack } from '../support/stack';

/**
 * Handlers run in this process, exactly as Lambda would call them, against DynamoDB Local — but on a table of their
 * own, so counting items before and after proves "nothing written" even while other suites run in parallel.
 */
export async function useDedicatedTable(tableName: string, env: Record<string, string> = {}): Promise<void> {
  Object.assign(process.env, stack.functionEnv, { TABLE_NAME: tableName, POWERTOOLS_LOG_LEVEL: 'DEBUG' }, env);
  const client = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await ensureTable(client, tableName);
  client.destroy();
}

export type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export const lambdaContext = {
  functionName: 'reliability',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

export interface Result {
  status: number;
  headers: Record<string, string | number | boolean>;
  body: string;
}

export async function call(handler: Handler, parts: Parameters<typeof httpEvent>[0]): Promise<Result> {
  const res = await handler(httpEvent(parts), lambdaContext);
  return { status: res.statusCode ?? 0, headers: res.headers ?? {}, body: res.body ?? '' };
}

/** Everything written to stdout/stderr while `fn` runs (Powertools Logger writes there). */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    const result = await fn();
    return { result, output: chunks.join('') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** A DocumentClient on DynamoDB Local for the tests' own reads (the handlers build their own). */
export function localDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

/** Every item of a table, consistently read. */
export async function scanAll(db: DynamoDBDocumentClient, tableName: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export async function itemCount(db: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey }));
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

export const tokenOfUrl = (ticketUrl: string) => new URL(ticketUrl).searchParams.get('ticket')!;

/** A ticket id that is the same in every run, derived from a label: `tkt_` + 128 bits of SHA-256(label). */
export const pinnedTicketId = (label: string) => `tkt_${createHash('sha256').update(label).digest().subarray(0, 16).toString('base64url')}`;

/**
 * Creates a ticket through the create handler, then moves it to an id derived from `label`, so that its token (an HMAC
 * of the id under the local signing key) is the same in every run: property tests that mutate the token then generate
 * the same cases, and the figures they record are reproducible. The item is otherwise exactly what create wrote.
 */
export async function pinnedTicket(create: Handler, body: Record<string, unknown>, label: string): Promise<{ ticketId: string; token: string }> {
  const res = await call(create, {
    headers: { authorization: `Bearer ${stack.adminApiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`create ticket: ${res.status} ${res.body}`);
  const created = JSON.parse(res.body).ticket_id as string;
  const TableName = process.env.TABLE_NAME!;
  const db = localDocumentClient();
  const { Item } = await db.send(new GetCommand({ TableName, Key: ticketKey(created), ConsistentRead: true }));
  const ticketId = pinnedTicketId(label);
  await db.send(new DeleteCommand({ TableName, Key: ticketKey(created) }));
  await db.send(new PutCommand({ TableName, Item: { ...Item, ...ticketKey(ticketId), ticket_id: ticketId, pending_shard: pendingShard(ticketId) } }));
  db.destroy();
  return { ticketId, token: ticketToken(ticketId, Item!.generation, loadConfig(process.env).signingKeys.current) };
}

/** A stable, snake_case error code a client can switch on. */
export const ERROR_CODE = /^[a-z][a-z0-9_]*$/;

/** A 4xx must be JSON with a stable snake_case code and a message; a 5xx is never acceptable for bad input. */
export function expectCleanRejection(res: Result): { error: string; message: string } {
  expect(res.status, res.body).toBeGreaterThanOrEqual(400);
  expect(res.status, res.body).toBeLessThan(500);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(res.body);
  expect(body.error).toMatch(ERROR_CODE);
  expect(typeof body.message).toBe('string');
  return body;
}

/** The headers every HTML response must carry, whatever its status (lib/http.ts `html()`). */
export function expectHtmlSecurityHeaders(res: Pick<Result, 'headers'>): void {
  const h = res.headers;
  expect(String(h['content-type'])).toMatch(/^text\/html/);
  expect(h['cache-control']).toBe('no-store');
  expect(h['referrer-policy']).toBe('no-referrer');
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['x-frame-options']).toBe('DENY');
  const csp = String(h['content-security-policy'] ?? '');
  for (const directive of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "connect-src 'self'"]) {
    expect(csp).toContain(directive);
  }
  expect(csp).toMatch(/script-src 'self'( 'nonce-[\w-]+')?(;|$)/);
  expect(csp).not.toContain('unsafe');
}

/**
 * What lib/enrollment/bundled.ts gives the page and asset handlers, built from the same files on disk: esbuild inlines
 * them when bundling (`mfa-page-template` is a build-time alias vitest does not have). Use it in a test file as
 * `vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk())`.
 */
export function bundledFromDisk(enrollTemplate?: string) {
  const files = pageFiles();
  return {
    bundledTemplates: { enroll: enrollTemplate ?? files.enroll, message: files.message },
    bundledAssetUrls: assetCatalog({ script: files.script, style: files.style }).urls,
  };
}

/** Every handler, imported only after `useDedicatedTable` has set the environment they validate at load. */
export async function importHandlers() {
  return {
    create: (await import('../../functions/create-ticket')).handler as Handler,
    get: (await import('../../functions/get-ticket')).handler as Handler,
    revoke: (await import('../../functions/revoke-ticket')).handler as Handler,
    send: (await import('../../functions/send-ticket')).handler as Handler,
    page: (await import('../../functions/enrollment-page')).handler as Handler,
    start: (await import('../../functions/enroll-start')).handler as Handler,
    confirm: (await import('../../functions/enroll-confirm')).handler as Handler,
    list: (await import('../../functions/list-enrollments')).handler as Handler,
    remove: (await import('../../functions/delete-enrollment')).handler as Handler,
    mailer: (await import('../../functions/send-ticket-email')).handler,
    signup: (await import('../../functions/on-user-signup')).handler,
    sweep: (await import('../../functions/cleanup-expired-tickets')).handler,
  };
}
