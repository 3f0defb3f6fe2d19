import { toJsonSchema, type ConversionConfig } from '@valibot/to-json-schema';
import type * as v from 'valibot';

/**
 * JSON Schema (draft 2020-12) of a valibot schema, for the generated contracts: docs/openapi.json (request bodies on
 * their input side, responses on their output side) and docs/events/*.json. Only `npm run openapi`,
 * `npm run events:schemas` and the tests load this (and @valibot/to-json-schema); no function bundle does.
 */

type Json = Record<string, unknown>;

const CONFIG: ConversionConfig = {
  target: 'draft-2020-12',
  // Refinements (`v.check`: a supported factor, a shipped locale, one proof of two) have no JSON Schema form: each
  // route lists their stable codes instead. `v.trim` changes no accepted type. Anything else unconvertible throws.
  ignoreActions: ['check', 'trim'],
  overrideAction: ({ valibotAction, jsonSchema, errors }) => {
    // A regex needs the `u` flag for `\p{…}`; JSON Schema patterns are Unicode-aware already (ECMA-262 with `u`).
    const action = valibotAction as { type: string; requirement?: unknown };
    if (action.type === 'regex' && action.requirement instanceof RegExp && action.requirement.flags === 'u' && errors?.length === 1) return jsonSchema;
    return undefined;
  },
  overrideSchema: ({ valibotSchema, jsonSchema }) => {
    const schema = valibotSchema as { type: string; literal?: unknown };
    // A literal says its type as well as its value (`{ "type": "string", "const": "otp" }`).
    if (schema.type === 'literal') return { type: typeof schema.literal as 'string' | 'number' | 'boolean', ...jsonSchema };
    // A loose object (WebAuthn options, passed through as the W3C defines them) says other properties are welcome.
    if (schema.type === 'loose_object') return { ...jsonSchema, additionalProperties: {} };
    return undefined;
  },
};

/**
 * Key order of the committed documents (stable, so regenerating changes nothing unless a schema did): what a value
 * is, then its members, then its bounds, then its format and pattern (in the order the schema states them), then its
 * description. Arrays put their size bounds first.
 */
const ORDER = ['type', 'const', 'enum', 'properties', 'required', 'propertyNames', 'additionalProperties', 'items', 'anyOf', 'minimum', 'maximum', 'minLength', 'maxLength', 'format|pattern', 'contentEncoding', 'description'];
const ARRAY_ORDER = ['minItems', 'maxItems', ...ORDER];

function tidy(schema: Json): Json {
  const order = schema.type === 'array' ? ARRAY_ORDER : ORDER;
  const keys = Object.keys(schema).sort((a, b) => rank(order, a) - rank(order, b));
  const out: Json = {};
  for (const key of keys) {
    const value = schema[key];
    if (key === 'required' && Array.isArray(value) && value.length === 0) continue; // nothing required: say nothing
    if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as Record<string, Json>).map(([name, s]) => [name, tidy(s)]));
    else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') out[key] = (value as Json[]).map(tidy);
    else if ((key === 'items' || key === 'additionalProperties' || key === 'propertyNames') && typeof value === 'object' && value !== null) out[key] = tidy(value as Json);
    else out[key] = value;
  }
  return out;
}

const rank = (order: readonly string[], key: string) => {
  const at = order.findIndex((keys) => keys.split('|').includes(key));
  return at === -1 ? order.length : at;
};

/** `input`: what a client may send (before transforms); `output`: what the code produces. */
export function jsonSchemaOf(schema: v.GenericSchema, typeMode: 'input' | 'output'): Json {
  const { $schema: _, ...rest } = toJsonSchema(schema, { ...CONFIG, typeMode }) as Json;
  return tidy(rest);
}
