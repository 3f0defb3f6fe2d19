/**
 * Counts every AWS SDK v3 call made in this process, per service and operation, and sums DynamoDB capacity.
 *
 * The product builds its clients inside lib/ where the bench cannot reach them, so the counter is attached to every
 * client the first time it sends (all v3 clients share one smithy `Client` base class). DynamoDB calls are asked for
 * `ReturnConsumedCapacity: 'TOTAL'`, so the figures are what the store itself reports, not an estimate.
 */
import { __Client } from '@aws-sdk/client-dynamodb';

/** Operations that accept `ReturnConsumedCapacity`. */
const CAPACITY_OPS = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan',
  'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems',
]);

export interface CallRecord {
  service: string;
  operation: string;
  ok: boolean;
  error?: string;
  rcu: number;
  wcu: number;
  /** Items the store looked at: ScannedCount for Query/Scan, 1 per item a Get/BatchGet returned. */
  itemsRead: number;
  /** The request body as sent (DynamoDB wire format), kept only while `captureInputs` is on. */
  input?: Record<string, unknown>;
}

export interface Tally {
  calls: number;
  errors: number;
  rcu: number;
  wcu: number;
  itemsRead: number;
  byOperation: Record<string, number>;
}

type ConsumedCapacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

const state = { records: [] as CallRecord[], captureInputs: false, active: 0 };

/** Read capacity counts as RRU, write as WRU; DynamoDB reports plain CapacityUnits by the kind of operation. */
const READ_OPS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

function capacity(operation: string, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined) {
  let rcu = 0;
  let wcu = 0;
  for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      rcu += c.ReadCapacityUnits ?? 0;
      wcu += c.WriteCapacityUnits ?? 0;
    } else if (READ_OPS.has(operation)) rcu += c.CapacityUnits ?? 0;
    else wcu += c.CapacityUnits ?? 0;
  }
  return { rcu, wcu };
}

function itemsRead(operation: string, output: Record<string, unknown>): number {
  if (operation === 'Query' || operation === 'Scan') return Number(output.ScannedCount ?? output.Count ?? 0);
  if (operation === 'GetItem') return output.Item ? 1 : 0;
  if (operation === 'BatchGetItem') {
    return Object.values((output.Responses ?? {}) as Record<string, unknown[]>).reduce((n, items) => n + items.length, 0);
  }
  if (operation === 'TransactGetItems') return ((output.Responses ?? []) as unknown[]).length;
  return 0;
}

const instrumented = new WeakSet<object>();

type Stack = { add: (mw: unknown, options: Record<string, unknown>) => void };
type Ctx = { commandName?: string; clientName?: string; __op?: string; __input?: Record<string, unknown> };

function instrument(client: { middlewareStack: Stack; config: { serviceId?: string } }) {
  const stack = client.middlewareStack;
  if (instrumented.has(stack)) return;
  instrumented.add(stack);
  const service = client.config.serviceId ?? 'unknown';
  // initialize: runs once per logical call (retries happen inside), sees the final output or error.
  stack.add(
    (next: (args: unknown) => Promise<{ output: Record<string, unknown> }>, context: Ctx) =>
      async (args: { input: Record<string, unknown> }) => {
        if (state.active === 0) return next(args); // load runs: the product's calls exactly as it makes them
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        if (service === 'DynamoDB' && CAPACITY_OPS.has(operation)) args.input.ReturnConsumedCapacity ??= 'TOTAL';
        try {
          const result = await next(args);
          const out = result.output ?? {};
          const { rcu, wcu } = capacity(operation, out.ConsumedCapacity as ConsumedCapacity);
          state.records.push({ service, operation, ok: true, rcu, wcu, itemsRead: itemsRead(operation, out), input: context.__input });
          return result;
        } catch (err) {
          state.records.push({ service, operation, ok: false, error: (err as Error).name, rcu: 0, wcu: 0, itemsRead: 0, input: context.__input });
          throw err;
        }
      },
    { step: 'initialize', name: 'benchCallCounter', priority: 'high' },
  );
  // build: the serialized request, i.e. exactly what goes on the wire (kept for replaying raw calls).
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: Ctx) => async (args: { request?: { body?: unknown } }) => {
      const body = args.request?.body;
      if (state.captureInputs && (typeof body === 'string' || body instanceof Uint8Array)) {
        try {
          context.__input = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;
        } catch {
          /* not JSON (e.g. SES query protocol): nothing to replay */
        }
      }
      return next(args);
    },
    { step: 'build', name: 'benchInputCapture', priority: 'low' },
  );
}

let installed = false;

/** Attaches the counter to every AWS SDK client of this process (idempotent). Call before the first `send`. */
export function installCounter(): void {
  if (installed) return;
  installed = true;
  const proto = __Client.prototype as unknown as { send: (...args: unknown[]) => unknown };
  const send = proto.send;
  proto.send = function (this: Parameters<typeof instrument>[0], ...args: unknown[]) {
    instrument(this);
    return send.apply(this, args);
  };
}

/** Runs `fn` and returns what it cost in AWS calls and how long it took. One at a time: calls are not told apart. */
export async function measure<T>(fn: () => Promise<T>, options: { captureInputs?: boolean } = {}) {
  const start = state.records.length;
  state.active += 1;
  state.captureInputs = options.captureInputs ?? false;
  const t0 = process.hrtime.bigint();
  try {
    const result = await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { result, ms, records: state.records.slice(start) };
  } finally {
    state.active -= 1;
    state.captureInputs = false;
    state.records.length = start;
  }
}

export function tally(records: CallRecord[]): Tally {
  const t: Tally = { calls: 0, errors: 0, rcu: 0, wcu: 0, itemsRead: 0, byOperation: {} };
  for (const r of records) {
    t.calls += 1;
    if (!r.ok) t.errors += 1;
    t.rcu += r.rcu;
    t.wcu += r.wcu;
    t.itemsRead += r.itemsRead;
    const key = `${r.service}.${r.operation}${r.ok ? '' : ` (${r.error})`}`;
    t.byOperation[key] = (t.byOperation[key] ?? 0) + 1;
  }
  return t;
}
