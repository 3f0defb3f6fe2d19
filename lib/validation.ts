import * as v from 'valibot';

/**
 * What every schema in lib/ shares on top of valibot. Modules import valibot directly (`import * as v from 'valibot'`):
 * its schemas are plain objects built by small functions, so each handler's bundle carries only the ones it uses
 * (a few KB), and it needs no global set-up (its default messages are English and built in) — nothing to route
 * through a module of ours. Only what valibot leaves to us lives here: the address rule our API has always applied,
 * refinements that answer a stable code of their own, and the walk from an issue's path back to its object schema.
 */

/**
 * An email address as the API has accepted it since its first release (letters, digits and `_ ' + -` in dot-separated
 * local parts, a dotted domain with a 2+ letter top level). valibot's own `v.email()` refuses apostrophes
 * (`o'brien@example.com`), so it is not used: this is the rule, and the contract states it as its `pattern`.
 */
export const EMAIL_PATTERN =
  /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;

export const email = (message: string) => v.pipe(v.string(), v.metadata({ format: 'email' }), v.regex(EMAIL_PATTERN, message));

/** The stable code a refinement answers instead of `invalid_<field>` (lib/http.ts), keyed by its requirement. */
const CODES = new WeakMap<object, string>();

/**
 * `v.check` whose failure is a 400 with `code` (e.g. `unsupported_factor`) rather than the field's `invalid_<field>`.
 * The issue valibot raises carries the requirement function, which is how lib/http.ts finds the code again.
 */
export function codedCheck<T>(code: string, requirement: (input: T) => boolean, message: v.ErrorMessage<v.CheckIssue<T>>) {
  CODES.set(requirement, code);
  return v.check(requirement, message);
}

export function issueCode(issue: v.BaseIssue<unknown>): string | undefined {
  return issue.type === 'check' && typeof issue.requirement === 'function' ? CODES.get(issue.requirement) : undefined;
}

/** A schema as the walkers below see it: wrappers (optional, nullable, …) hold `wrapped`, arrays `item`, objects `entries`. */
interface Walkable {
  type: string;
  wrapped?: Walkable;
  item?: Walkable;
  entries?: Record<string, Walkable>;
}

/** The schema itself, through optional/nullable/nullish wrappers (a piped schema is the schema: `pipe` is beside it). */
export function unwrap(schema: v.GenericSchema): v.GenericSchema {
  let inner = schema as unknown as Walkable;
  while (inner.wrapped) inner = inner.wrapped;
  return inner as unknown as v.GenericSchema;
}

/** The object entries of a schema (through wrappers), or undefined when it is no object. */
export function entriesOf(schema: v.GenericSchema): Record<string, v.GenericSchema> | undefined {
  return (unwrap(schema) as unknown as Walkable).entries as Record<string, v.GenericSchema> | undefined;
}

/** The schema at `path` below `schema` (object keys, and array items for numeric steps), if the path leads anywhere. */
export function schemaAt(schema: v.GenericSchema, path: readonly PropertyKey[]): v.GenericSchema | undefined {
  let current: v.GenericSchema | undefined = schema;
  for (const key of path) {
    if (!current) return undefined;
    const inner = unwrap(current) as unknown as Walkable;
    current = (typeof key === 'number' ? inner.item : inner.entries?.[String(key)]) as v.GenericSchema | undefined;
  }
  return current;
}

/** `null`, `array`, or the `typeof` of a value: what a message may say about input without quoting it. */
const kindOf = (input: unknown) => (input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input);

/**
 * The message of an issue whose schema or action has none of its own. valibot's default quotes the input
 * (`Expected number but received "…"`): the value may be long, or a secret sent in the wrong field, and it would be
 * echoed into the response and the logs. This says what was expected and only the kind of value received; a missing
 * member (valibot: `Invalid key: Expected "user_id" but received undefined`) is "is required".
 */
export function plainMessage(issue: v.BaseIssue<unknown>): string {
  const missing = issue.path?.at(-1)?.origin === 'key' && issue.expected !== 'never';
  if (missing) return 'is required';
  if (issue.kind !== 'schema') return `Invalid ${issue.type.replace(/_/g, ' ')}${issue.expected ? `: expected ${issue.expected}` : ''}`;
  const expected = issue.expected === 'Object' || issue.expected === 'Array' ? issue.expected.toLowerCase() : issue.expected;
  return `Invalid type: expected ${expected}, received ${kindOf(issue.input)}`;
}
