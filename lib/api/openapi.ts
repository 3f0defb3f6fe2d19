import type * as v from 'valibot';
import { deviceErrorCode } from '../guardian/http';
import { fieldErrorCode } from '../http';
import { entriesOf, unwrap } from '../validation';
import { version } from '../../package.json';
import { jsonSchemaOf } from './json-schema';
import { deviceErrorBody, errorBody } from './responses';
import { ROUTES, type JsonResponse, type RawResponse, type Route } from './routes';

/**
 * The OpenAPI 3.1 document, generated from lib/api/routes.ts: request bodies from the very schemas the handlers parse
 * with (@valibot/to-json-schema, input side: lib/api/json-schema.ts), responses from lib/api/responses.ts, error codes from the route
 * table (and, for the device protocol, renamed as lib/guardian/http.ts answers them). `npm run openapi` writes it to
 * docs/openapi.json; a unit test fails when that file is stale.
 */

/** What the JSON body parser itself answers (lib/http.ts `parseJsonBody`), before any field is looked at. */
export const BODY_PARSER_CODES = ['unsupported_media_type', 'body_too_large', 'invalid_json', 'invalid_body', 'unknown_field'] as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  429: 'Too many attempts',
  500: 'Internal error (logged, never echoed)',
  503: 'Busy (throttled, or a concurrent change): retry',
};

type JsonSchema = Record<string, unknown>;

/** The code lib/http.ts answers for each field of an object schema, at every depth (nested objects, array items). */
function fieldCodes(schema: v.GenericSchema, path: string[] = []): string[] {
  const item = (unwrap(schema) as { item?: v.GenericSchema }).item;
  if (item) return fieldCodes(item, path); // an item's code is its array's
  const entries = entriesOf(schema) ?? {};
  const codes = Object.entries(entries).flatMap(([field, inner]) => [fieldErrorCode([...path, field]), ...fieldCodes(inner, [...path, field])]);
  return [...new Set(codes)];
}

/** Every error a route can answer, as the client sees them: status → stable codes. */
export function routeErrors(route: Route): Map<number, string[]> {
  // Routes outside the error wrapper (pages, assets, the JWKS, this document) answer no JSON error of ours.
  if (!route.errors) return new Map();
  const errors: Array<[string, number]> = [
    ...Object.entries(route.errors ?? {}),
    ['internal_error', 500],
    ['temporarily_unavailable', 503],
  ];
  if (route.auth === 'admin') errors.push(['unauthorized', 401]);
  if (route.auth.startsWith('device')) errors.push(['invalid_token', 401]);
  if (route.body) for (const code of [...BODY_PARSER_CODES, ...fieldCodes(route.body.schema)]) errors.push([code, 400]);
  const byStatus = new Map<number, string[]>();
  for (const [domainCode, domainStatus] of errors) {
    const { status, code } = route.device ? deviceErrorCode(domainStatus, domainCode, route.device) : { status: domainStatus, code: domainCode };
    const codes = byStatus.get(status) ?? [];
    if (!codes.includes(code)) codes.push(code);
    byStatus.set(status, codes);
  }
  for (const codes of byStatus.values()) codes.sort();
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

const isJson = (response: JsonResponse | RawResponse): response is JsonResponse => 'json' in response;

const SECURITY: Record<Route['auth'], Array<Record<string, string[]>>> = {
  admin: [{ adminKey: [] }],
  'device-ticket-or-bearer': [{ deviceTicket: [] }, { deviceToken: [] }],
  'device-bearer': [{ deviceToken: [] }],
  none: [],
};

export function openApiDocument(routes: readonly Route[] = ROUTES): JsonSchema {
  const schemas: Record<string, JsonSchema> = {};
  const owners = new Map<string, v.GenericSchema>();
  /** A named schema goes into components once; a second, different schema under the same name is a mistake. */
  const component = (name: string, schema: v.GenericSchema, io: 'input' | 'output') => {
    const owner = owners.get(name);
    if (owner && owner !== schema) throw new Error(`two schemas are named ${name}`);
    if (!owner) {
      owners.set(name, schema);
      schemas[name] = jsonSchemaOf(schema, io);
    }
    return { $ref: `#/components/schemas/${name}` };
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.ok)) {
      if (isJson(response)) {
        responses[status] = {
          description: response.description,
          content: { [response.contentType ?? 'application/json']: { schema: component(response.name, response.json, 'output') } },
        };
      } else {
        responses[status] = rawResponse(response);
      }
    }
    for (const [status, response] of Object.entries(route.rawErrors ?? {})) responses[status] = rawResponse(response);
    for (const [status, codes] of routeErrors(route)) {
      if (responses[status]) continue; // pages answer their errors as HTML
      const body = (route.device ? deviceErrorBody : errorBody)(codes as [string, ...string[]]);
      responses[status] = {
        description: `${STATUS_TEXT[status] ?? 'Error'}. Stable codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
        content: { 'application/json': { schema: jsonSchemaOf(body, 'output') } },
      };
    }

    const parameters = [
      ...Object.entries(route.pathParams ?? {}).map(([name, description]) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })),
      ...Object.entries(route.query ?? {}).map(([name, q]) => ({ name, in: 'query', required: q.required ?? false, description: q.description, schema: { type: 'string' } })),
    ];
    const declared = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const missing = declared.filter((name) => !route.pathParams?.[name!]);
    if (missing.length > 0) throw new Error(`${route.method} ${route.path}: undescribed path parameter ${missing.join(', ')}`);

    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      security: SECURITY[route.auth],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: route.body.required ?? true,
              content: { 'application/json': { schema: component(route.body.name, route.body.schema, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'MFA enrollment tickets',
      version,
      description:
        'Admin API (enrollment tickets, enrollments, MFA at login), the hosted pages and their public API, and the device protocol of ' +
        'the vendor client auth0-guardian-js. Errors are JSON `{ "error": "<stable_code>", "message": "..." }` ' +
        '(device protocol: `{ "error_code", "message" }`); switch on the code. Deployed, API Gateway itself may also answer ' +
        '429 `{ "message": "Too Many Requests" }` (stage throttling) or 5xx `{ "message": ... }` before a function runs: retry those ' +
        'with backoff, as the vendor SDK does. Generated from the code: do not edit by hand (`npm run openapi`).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'An admin API key: `Authorization: Bearer <key>` (ADMIN_API_KEY_HASHES holds its SHA-256).' },
        deviceTicket: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'Enrollment from a ticket: `Authorization: Ticket id="<ticket token>"` (the `ticket` parameter of ticket_url).',
        },
        deviceToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: '`Bearer <request_token>` (a login challenge) or `Bearer <transaction_token>` (answered by start-flow).',
        },
      },
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}

function rawResponse(response: RawResponse): Record<string, unknown> {
  if (!response.contentTypes) return { description: response.description };
  return { description: response.description, content: Object.fromEntries(response.contentTypes.map((type) => [type, { schema: { type: 'string' } }])) };
}

/** The document as committed (docs/openapi.json): stable key order, two-space indent, final newline. */
export const openApiText = () => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
