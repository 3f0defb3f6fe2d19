import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ensureTable } from '../../infra/local/table';
import { httpEvent } from '../support/events';
import { stack } from '../support/stack';

/**
 * Handlers run in this process, exactly as Lambda would call them, against DynamoDB Local — but on a table of their
 * own, so counting items before and after proves "nothing written" even while other suites run in parallel.
 */
export async function useDedicatedTable(tableName: string): Promise<void> {
  Object.assign(process.env, stack.functionEnv, { TABLE_NAME: tableName, POWERTOOLS_LOG_LEVEL: 'DEBUG' });
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

export async function call(handler: Handler, parts: Parameters<typeof httpEvent>[0]) {
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
