import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Checks an HTTP answer against the committed contract, docs/openapi.json: the route exists, the status is documented
 * for it, the media type is one it lists, and a JSON body validates against its schema (ajv, JSON Schema 2020-12 as
 * OpenAPI 3.1 uses). Returns what is wrong, nothing when it conforms.
 */

type Operation = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
type Document = { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

const document = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')) as Document;
// strict: false because the document carries OpenAPI's own keywords (`components`) around the schemas.
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

const routes = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`),
}));

const compiled = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    // The schema's `#/components/...` references resolve against the document's components.
    validate = ajv.compile({ ...schema, components: document.components });
    compiled.set(key, validate);
  }
  return validate;
}

const isJsonMedia = (type: string) => type === 'application/json' || type.endsWith('+json');

export function contractProblems(method: string, url: string, status: number, contentType: string | null, body: string): string[] {
  const path = new URL(url, 'http://x').pathname;
  const route = routes.find((r) => r.pattern.test(path));
  const operation = route && document.paths[route.template]![method.toLowerCase()];
  if (!route || !operation) return [`${method} ${path} is not in docs/openapi.json`];
  const where = `${method} ${route.template} → ${status}`;
  const response = operation.responses[String(status)];
  if (!response) return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')}); body ${body.slice(0, 300)}`];
  if (!response.content) return body === '' ? [] : [`${where}: documented without a body, got ${body.slice(0, 300)}`];
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const content = response.content[media];
  if (!content) return [`${where}: content-type ${contentType} not documented (documented: ${Object.keys(response.content).join(', ')})`];
  if (!isJsonMedia(media) || route.template === '/openapi.json') return [];
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [`${where}: body is not JSON: ${body.slice(0, 300)}`];
  }
  const validate = validatorFor(`${method} ${route.template} ${status} ${media}`, content.schema);
  if (validate(value)) return [];
  return [`${where}: body does not match docs/openapi.json: ${ajv.errorsText(validate.errors)}; body ${body.slice(0, 500)}`];
}

/** Throws when the answer breaks the contract (an undocumented route, status, media type or body). */
export function expectContract(method: string, url: string, status: number, contentType: string | null, body: string): void {
  const problems = contractProblems(method, url, status, contentType, body);
  if (problems.length > 0) throw new Error(`contract: ${problems.join('; ')}`);
}
