import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as v from 'valibot';
import { header, isAdminRequest } from './admin-auth';
import type { Config } from './config';
import { AppError, badRequest, unauthorized } from './errors';
import { logger, withInvocationLogger } from './log';
import { entriesOf, issueCode, plainMessage, schemaAt } from './validation';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export const MAX_BODY_BYTES = 16 * 1024;

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // HTTPS only, for two years, subdomains included: no downgrade can expose a token or an admin key in transit.
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
};

export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

/**
 * The Content-Security-Policy of every HTML page: only our own scripts, styles and API, images from us or `data:`
 * (the QR code), no framing, no <base>, forms only to us. A page may carry inline <script>/<style> only with the
 * per-response `nonce`.
 */
export function contentSecurityPolicy(nonce?: string, formActionOrigin?: string): string {
  const inline = nonce ? ` 'nonce-${nonce}'` : '';
  // The login page form-POSTs the result to the app's result_url: that one origin joins 'self'.
  const formAction = formActionOrigin ? ` ${formActionOrigin}` : '';
  return [
    "default-src 'none'",
    `script-src 'self'${inline}`,
    `style-src 'self'${inline}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    `form-action 'self'${formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * An HTML page. Pages can carry a ticket token, so they are never cached, never framed, and never leak their URL
 * through the Referer header.
 */
export function html(statusCode: number, body: string, options: { nonce?: string; formActionOrigin?: string } = {}): HttpResult {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-security-policy': contentSecurityPolicy(options.nonce, options.formActionOrigin),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
    },
    body,
  };
}

/** AWS throttling that outlasted the SDK's own retries: the caller should retry (the vendor's SDK does on 5xx). */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

/** Throttling, or a fault AWS itself reports as on its side (`$fault: 'server'`, e.g. DynamoDB InternalServerError). */
export function isTransientAwsFault(err: unknown): boolean {
  return err instanceof Error && (THROTTLING.has(err.name) || (err as { $fault?: string }).$fault === 'server');
}

export function errorResult(err: unknown): HttpResult {
  if (err instanceof AppError) {
    return json(err.status, { error: err.code, message: err.message, ...err.details });
  }
  if (isTransientAwsFault(err)) {
    logger.warn('transient AWS fault', { error: (err as Error).name });
    const result = json(503, { error: 'temporarily_unavailable', message: 'The service is busy; retry in a moment.' });
    return { ...result, headers: { ...result.headers, 'retry-after': '1' } };
  }
  logger.error('unhandled error', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  return json(500, { error: 'internal_error', message: 'Something went wrong on our side; it has been logged.' });
}

/**
 * The stable code for the first issue valibot found: `unknown_field`, a code a refinement chose (lib/validation.ts
 * `codedCheck`), or `invalid_<field>` in snake case (WebAuthn's JSON is camelCase: `credential.response.clientDataJSON`
 * → `invalid_credential_response_client_data_json`). The message starts with the field's path.
 */
function issueError(schema: v.GenericSchema, issue: v.BaseIssue<unknown>): AppError {
  const path = (issue.path ?? []).map((item) => item.key as PropertyKey);
  const field = path.map(String).join('.');
  const last = issue.path?.at(-1);
  if (last?.origin === 'key' && Array.isArray(last.input)) {
    // An array where an object belongs: to `typeof` it is an object, so valibot looks for its keys. The field is wrong.
    const parent = path.slice(0, -1);
    return badRequest(fieldErrorCode(parent), `${parent.join('.') || 'body'}: Invalid type: expected object, received array`);
  }
  if (last?.origin === 'key' && issue.expected === 'never') {
    // valibot stops at the first unknown key; name them all, as the object's own entries tell.
    const parent = path.slice(0, -1);
    const entries = entriesOf(schemaAt(schema, parent) ?? schema) ?? {};
    const unknown = Object.keys(last.input as object).filter((key) => !Object.hasOwn(entries, key));
    const names = unknown.map((key) => [...parent, key].join('.'));
    return badRequest('unknown_field', `unknown field${names.length > 1 ? 's' : ''}: ${names.join(', ')}`);
  }
  // A refinement on the whole body (path '') names its fields itself.
  const message = field === '' || issue.message.startsWith(`${field}:`) ? issue.message : `${field}: ${issue.message}`;
  return badRequest(issueCode(issue) ?? fieldErrorCode(path), message);
}

/** `invalid_<field path>` in snake case; array indexes are left out of the code (the message names them), so it is stable. */
export function fieldErrorCode(path: readonly PropertyKey[]): string {
  const field = path.filter((key) => typeof key === 'string').join('.');
  const snake = field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
  return `invalid_${snake.replace(/\W+/g, '_')}`;
}

/**
 * The first problem only (`abortEarly`): it is the one the 400 names, so valibot need not look further. Issues
 * without a message of their own get `plainMessage`, which never quotes the input.
 */
export function parse<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortEarly: true, message: plainMessage });
  if (!result.success) throw issueError(schema, result.issues[0]);
  return result.output;
}

/** JSON object body: content type, size, syntax, then the schema. Any failure is a 400 that names what is wrong. */
export function parseJsonBody<S extends v.GenericSchema>(event: HttpEvent, schema: S, shape: 'object' | 'array' = 'object'): v.InferOutput<S> {
  const contentType = header(event.headers, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw badRequest('unsupported_media_type', 'content-type: must be application/json');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw badRequest('body_too_large', `body: must be at most ${MAX_BODY_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw badRequest('invalid_json', 'body: is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) !== (shape === 'array')) {
    throw badRequest('invalid_body', `body: must be a JSON ${shape}`);
  }
  return parse(schema, value);
}

/**
 * Wraps a route: a logger of its own carrying the request's correlation id, and errors turned into JSON in one place
 * (`onError`: ours by default; a protocol adapter passes its own error shape).
 */
export function route(fn: HttpHandler, onError: (err: unknown) => HttpResult = errorResult): HttpHandler {
  return (event, context) =>
    withInvocationLogger(
      context,
      { requestId: event.requestContext?.requestId, route: event.routeKey, ticketId: event.pathParameters?.ticket_id },
      async () => {
        try {
          return await fn(event, context);
        } catch (err) {
          return onError(err);
        }
      },
    );
}

/**
 * An admin route: the key is checked here, in the function, rather than by an API Gateway authorizer, so that a
 * missing or wrong key is the same JSON 401 locally and deployed (HTTP API authorizers answer 401 or 403 with bodies
 * of their own) and no second Lambda invocation is paid per request.
 */
export function adminRoute(config: Pick<Config, 'adminKeyHashes'>, fn: HttpHandler): HttpHandler {
  return route(async (event, context) => {
    if (!isAdminRequest(header(event.headers, 'authorization'), config.adminKeyHashes, Date.now())) throw unauthorized();
    return fn(event, context);
  });
}

/**
 * The origin ticket URLs and the page's API calls point at: PUBLIC_BASE_URL, else the API's own domain as API Gateway
 * reports it (`requestContext.domainName`, the endpoint or custom domain that took the request). Never the `Host`
 * header: a client chooses that one, and a link minted from it would send the user's token to the client's host.
 */
export function requestOrigin(event: HttpEvent, config: Pick<Config, 'publicBaseUrl' | 'localMode'>): string {
  if (config.publicBaseUrl) return config.publicBaseUrl;
  return `${config.localMode ? 'http' : 'https'}://${event.requestContext.domainName}`;
}
