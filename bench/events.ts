/**
 * Lambda events in the shapes AWS sends, built from the repo's fixtures where they exist (test/fixtures/events), and
 * a Lambda context whose remaining time follows the function's configured timeout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathParameters, ROOT, type FunctionInfo, type HttpRoute } from './serverless-config';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'events');

/** The first fixture whose file name matches, parsed; undefined when none does. */
function fixture(pattern: RegExp): Record<string, unknown> | undefined {
  if (!existsSync(FIXTURES)) return undefined;
  const file = readdirSync(FIXTURES).sort().find((f) => pattern.test(f) && f.endsWith('.json'));
  return file ? (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, unknown>) : undefined;
}

const HTTP_BASE = fixture(/^http-api-v2/) ?? {
  version: '2.0',
  routeKey: 'POST /tickets',
  rawPath: '/tickets',
  rawQueryString: '',
  headers: { host: 'abc123def4.execute-api.us-east-1.amazonaws.com', 'x-forwarded-proto': 'https' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123def4',
    domainName: 'abc123def4.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'abc123def4',
    http: { method: 'POST', path: '/tickets', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'node' },
    requestId: 'x',
    routeKey: 'POST /tickets',
    stage: '$default',
    time: '',
    timeEpoch: 0,
  },
  isBase64Encoded: false,
};

export interface HttpRequest {
  method: string;
  /** Path with an optional query string: `/enroll?ticket=...`. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/** An API Gateway HTTP API (payload 2.0) event for `request`, routed as `route` (from serverless.yml). */
export function httpEvent(route: HttpRoute, request: HttpRequest): Record<string, unknown> {
  const event = structuredClone(HTTP_BASE) as Record<string, any>;
  const [path = '/', rawQuery = ''] = request.url.split('?');
  const query = new URLSearchParams(rawQuery);
  const now = new Date();
  const headers: Record<string, string> = { ...event.headers };
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['content-length'] = String(Buffer.byteLength(request.body ?? ''));
  const routeKey = `${route.method === '*' ? 'ANY' : route.method} ${route.path}`;
  event.routeKey = routeKey;
  event.rawPath = path;
  event.rawQueryString = rawQuery;
  event.headers = headers;
  if ([...query.keys()].length) {
    event.queryStringParameters = Object.fromEntries([...new Set(query.keys())].map((k) => [k, query.getAll(k).join(',')]));
  } else delete event.queryStringParameters;
  const params = pathParameters(route, path);
  if (params) event.pathParameters = params;
  else delete event.pathParameters;
  if (request.body !== undefined) event.body = request.body;
  else delete event.body;
  event.isBase64Encoded = false;
  event.requestContext.http = { ...event.requestContext.http, method: request.method, path };
  event.requestContext.routeKey = routeKey;
  event.requestContext.requestId = randomBytes(12).toString('base64url');
  event.requestContext.timeEpoch = now.getTime();
  event.requestContext.time = now.toISOString();
  return event;
}

/** One DynamoDB Streams record as Lambda's event source mapping delivers it (images in wire format). */
export function streamEvent(
  tableName: string,
  record: { eventName: 'INSERT' | 'MODIFY' | 'REMOVE'; keys: Record<string, unknown>; newImage?: Record<string, unknown>; oldImage?: Record<string, unknown> },
): Record<string, unknown> {
  const template = (fixture(/stream/i)?.Records as Array<Record<string, any>> | undefined)?.[0];
  const base: Record<string, any> = structuredClone(template) ?? {
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
  };
  const sizeBytes = Buffer.byteLength(JSON.stringify(record.newImage ?? record.oldImage ?? record.keys));
  return {
    Records: [
      {
        ...base,
        eventID: randomBytes(16).toString('hex'),
        eventName: record.eventName,
        eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${tableName}/stream/2026-01-01T00:00:00.000`,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
          Keys: record.keys,
          ...(record.newImage ? { NewImage: record.newImage } : {}),
          ...(record.oldImage ? { OldImage: record.oldImage } : {}),
          SequenceNumber: String(BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000))),
          SizeBytes: sizeBytes,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      },
    ],
  };
}

/** An EventBridge schedule event (`rate(...)`), as the sweep receives it. */
export function scheduledEvent(ruleName: string): Record<string, unknown> {
  const template = fixture(/schedul/i);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    ...(template ?? { version: '0', source: 'aws.events', account: '123456789012', region: 'us-east-1', detail: {} }),
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    time: now,
    resources: [`arn:aws:events:us-east-1:123456789012:rule/${ruleName}`],
  };
}

/** A Lambda context for `fn`: remaining time counts down from its configured timeout. */
export function lambdaContext(fn: Pick<FunctionInfo, 'name' | 'memoryMb' | 'timeoutSec'>, service: string) {
  const deadline = Date.now() + fn.timeoutSec * 1000;
  const functionName = `${service}-prod-${fn.name}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
