import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument, openApiText, routeErrors } from '../../lib/api/openapi';
import { ROUTES } from '../../lib/api/routes';
import { parse } from '../../lib/http';
import { isOpenApiCurrent, OPENAPI_PATH } from '../../infra/openapi';
import { handler } from '../../functions/openapi-document';
import { contractProblems } from '../support/contract';
import { httpEvent } from '../support/events';

const ROOT = join(__dirname, '..', '..');

/** `functions.<name>.events[].httpApi` of serverless.yml, read as text (its CloudFormation tags defeat a plain YAML parser). */
function httpApiEvents(): string[] {
  const events: string[] = [];
  let fn = '';
  for (const line of readFileSync(join(ROOT, 'serverless.yml'), 'utf8').split('\n')) {
    const name = /^ {2}(\w+):\s*$/.exec(line);
    if (name) fn = name[1]!;
    const event = /httpApi:\s*\{\s*method:\s*(\w+),\s*path:\s*(?:'([^']+)'|([^\s}]+))\s*\}/.exec(line);
    if (event) events.push(`${fn} ${event[1]!.toLowerCase()} ${event[2] ?? event[3]}`);
  }
  return events.sort();
}

describe('OpenAPI contract (docs/openapi.json)', () => {
  it('is a valid OpenAPI 3.1 document by the official schema (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')));
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The same validator refuses a broken contract (a response without its required description).
    const broken = openApiDocument() as any;
    delete broken.paths['/tickets'].post.responses['200'].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('is what the code generates now (run `npm run openapi` after changing a route or a schema)', () => {
    expect(isOpenApiCurrent(), 'docs/openapi.json is stale: run npm run openapi').toBe(true);
    expect(isOpenApiCurrent('{}\n')).toBe(false);
  });

  it('documents exactly the httpApi routes serverless.yml deploys, each with its function', () => {
    expect(ROUTES.map((r) => `${r.fn} ${r.method} ${r.path}`).sort()).toEqual(httpApiEvents());
    const ids = ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes request bodies from the schemas the handlers parse with: unknown fields refused, limits kept', () => {
    const doc = openApiDocument() as any;
    const create = doc.components.schemas.CreateTicketRequest;
    expect(create).toMatchObject({ type: 'object', additionalProperties: false, required: ['user_id'] });
    expect(create.properties.user_id).toMatchObject({ type: 'string', minLength: 1, maxLength: 256 });
    expect(create.properties.ttl_sec).toMatchObject({ type: 'integer', minimum: 60, maximum: 2592000 });
    // The confirm code is normalised before it is checked: the input side (any string) is what a client may send.
    expect(doc.components.schemas.ConfirmEnrollmentRequest.properties.code).toEqual({ type: 'string' });
  });

  it('lists every stable code a route answers, device routes as the vendor client sees them', () => {
    const route = (id: string) => ROUTES.find((r) => r.operationId === id)!;
    const confirm = routeErrors(route('enrollConfirm'));
    expect(confirm.get(400)).toEqual(expect.arrayContaining(['invalid_code', 'unknown_field', 'invalid_ticket', 'unsupported_media_type']));
    expect(confirm.get(410)).toEqual(expect.arrayContaining(['ticket_locked', 'ticket_superseded']));
    expect(routeErrors(route('getTicket')).get(401)).toEqual(['unauthorized']);
    const verifyOtp = routeErrors(route('guardianVerifyOtp'));
    expect(verifyOtp.get(400)).toContain('invalid_otp');
    expect(verifyOtp.get(400)).not.toContain('invalid_code');
    expect(verifyOtp.get(429)).toEqual(['too_many_attempts']);
    expect(verifyOtp.get(401)).toEqual(expect.arrayContaining(['invalid_token', 'transaction_expired']));
    // transaction-state: every 4xx but 429 is a 401, which stops the client's polling.
    expect([...routeErrors(route('guardianTransactionState')).keys()]).toEqual([401, 429, 500, 503]);
    expect(routeErrors(route('guardianRecoverAccount')).get(400)).toContain('invalid_recovery_code');
  });

  it('lists the code the handler answers for a bad field at any depth (WebAuthn ceremonies are nested camelCase JSON)', () => {
    const route = ROUTES.find((r) => r.operationId === 'enrollWebauthn')!;
    const listed = routeErrors(route).get(400)!;
    const bodies = [
      { ticket: 't', credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: '!', attestationObject: 'a', authenticatorData: 'a', publicKey: 'a', publicKeyAlgorithm: -7 } } },
      { ticket: 't', credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'a', attestationObject: 'a', authenticatorData: 'a', publicKey: 'a', publicKeyAlgorithm: -7, transports: ['usb', 'carrier-pigeon'] } } },
      { ticket: 't', credential: { id: 'a', rawId: 'a', type: 'public-key' } },
    ];
    const answered = bodies.map((body) => {
      try {
        parse(route.body!.schema, body);
      } catch (err) {
        return (err as { code: string }).code;
      }
      return 'accepted';
    });
    expect(answered).toEqual(['invalid_credential_response_client_data_json', 'invalid_credential_response_transports', 'invalid_credential_response']);
    expect(listed).toEqual(expect.arrayContaining(answered));
  });

  it('is served as committed by GET /openapi.json', async () => {
    const res = await handler(httpEvent({ method: 'GET', path: '/openapi.json' }), {} as never);
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8' });
    expect(`${JSON.stringify(JSON.parse(res.body!), null, 2)}\n`).toBe(openApiText());
  });

  it('the integration tests\' response check refuses an undocumented route, status, media type, code or field', () => {
    const error = (code: string) => JSON.stringify({ error: code, message: 'ticket_id: no ticket t' });
    const json = 'application/json; charset=utf-8';
    expect(contractProblems('GET', 'http://h/tickets/t1', 404, json, error('ticket_not_found'))).toEqual([]);
    expect(contractProblems('GET', 'http://h/tickets/t1', 404, json, error('no_such_code'))).toHaveLength(1);
    expect(contractProblems('GET', 'http://h/tickets/t1', 418, json, error('ticket_not_found'))).toHaveLength(1);
    expect(contractProblems('GET', 'http://h/tickets/t1', 404, 'text/html', '<p>')).toHaveLength(1);
    expect(contractProblems('PUT', 'http://h/tickets/t1', 404, json, error('ticket_not_found'))).toHaveLength(1);
    expect(contractProblems('GET', 'http://h/nowhere', 404, json, '{}')).toHaveLength(1);
    const created = { ticket_id: 't1', ticket_url: 'https://x/enroll?ticket=t1.s', expires_at: '2026-12-01T00:00:00.000Z' };
    expect(contractProblems('POST', 'http://h/tickets', 200, json, JSON.stringify(created))).toEqual([]);
    expect(contractProblems('POST', 'http://h/tickets', 200, json, JSON.stringify({ ...created, secret: 's' }))).toHaveLength(1);
    expect(contractProblems('POST', 'http://h/tickets', 200, json, JSON.stringify({ ...created, expires_at: 'soon' }))).toHaveLength(1);
    expect(contractProblems('DELETE', 'http://h/api/v2/guardian/enrollments/enr_1', 204, null, '')).toEqual([]);
  });
});
