/**
 * Section 3: load. Handlers in-process at fixed concurrency, beside the same number of raw calls (the write each
 * operation boils down to, replayed from what the handler sent) straight to DynamoDB Local at the same concurrency.
 * The ratio ours/raw is the product's overhead over the store.
 *
 * The run is cut into slices of a few seconds that alternate ours → raw → raw-all, each raw slice doing as many calls
 * as the handler slice before it, so background load on a shared machine falls on both sides alike.
 */
import { randomBytes } from 'node:crypto';
import * as ddb from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ok, type BenchTicket, type Flows, type HttpResponse } from './flows';
import type { Captured, WireCall } from './ops';
import { batchPut, freshId, idsIn, substitute, type WireItem } from './store';
import { percentile, round } from './stats';

export interface RunStats {
  label: string;
  operations: number;
  errors: number;
  errorKinds: Record<string, number>;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
}

export interface LoadPair {
  name: string;
  status: 'measured' | 'not available yet' | 'failed';
  note?: string;
  ours?: RunStats;
  /** The raw write the operation boils down to (PutItem / TransactWriteItems): the target's baseline. */
  raw?: RunStats;
  ratio?: number;
  /** For attribution: every DynamoDB call the handler made, in sequence, replayed raw. */
  rawAll?: RunStats;
  ratioAll?: number;
}

type Outcome = { ok: true } | { ok: false; kind: string };

/** Latencies and errors of one or more timed runs of the same thing. */
class Series {
  readonly latencies: number[] = [];
  readonly errorKinds: Record<string, number> = {};
  errors = 0;
  seconds = 0;

  constructor(readonly label: string) {}

  stats(): RunStats {
    const n = this.latencies.length;
    return {
      label: this.label,
      operations: n,
      errors: this.errors,
      errorKinds: this.errorKinds,
      seconds: round(this.seconds, 2),
      throughput: round(n / this.seconds, 1),
      p50: round(percentile(this.latencies, 50), 2),
      p99: round(percentile(this.latencies, 99), 2),
    };
  }
}

/** Runs `op(i)` with `concurrency` workers until `seconds` pass or `limit` operations have started; returns how many ran. */
async function drive(series: Series | undefined, concurrency: number, seconds: number, limit: number, op: (i: number) => Promise<Outcome>): Promise<number> {
  let started = 0;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < deadline && started < limit) {
      const i = started++;
      const s = process.hrtime.bigint();
      let outcome: Outcome;
      try {
        outcome = await op(i);
      } catch (err) {
        outcome = { ok: false, kind: (err as Error).name || 'Error' };
      }
      series?.latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (series && !outcome.ok) {
        series.errors += 1;
        series.errorKinds[outcome.kind] = (series.errorKinds[outcome.kind] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (series) series.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
  return started;
}

const httpOutcome = (r: HttpResponse): Outcome => (ok(r) ? { ok: true } : { ok: false, kind: `HTTP ${r.status} ${(r.json?.error as string | undefined) ?? ''}`.trim() });

/** The captured request minus what the bench added (capacity) and what must be fresh per call (the SDK's idempotency token). */
function stripCapacity<T extends Record<string, unknown>>(input: T): T {
  const { ReturnConsumedCapacity: _capacity, ClientRequestToken: _token, ...rest } = input;
  return rest as T;
}

/** Sends one captured call (wire format) through the low-level client, with ids swapped. */
async function sendWire(client: DynamoDBClient, call: WireCall, replace: ReadonlyMap<string, string>): Promise<Outcome> {
  const Command = (ddb as unknown as Record<string, new (input: unknown) => unknown>)[`${call.operation}Command`];
  if (!Command) throw new Error(`no command for ${call.operation}`);
  await client.send(new Command(substitute(stripCapacity(call.input), replace)) as never);
  return { ok: true };
}

function result(name: string, ours: Series, raw: Series, rawAll?: Series): LoadPair {
  const [o, r, a] = [ours.stats(), raw.stats(), rawAll?.stats()];
  const errors = o.errors + r.errors + (a?.errors ?? 0);
  return {
    name,
    status: errors ? 'failed' : 'measured',
    note: errors ? 'errors during the run (see counts)' : undefined,
    ours: o,
    raw: r,
    ratio: round(o.throughput / r.throughput, 2),
    rawAll: a,
    ratioAll: a ? round(o.throughput / a.throughput, 2) : undefined,
  };
}

const slicing = (seconds: number) => {
  const count = Math.max(1, Math.round(seconds / 5));
  return { count, seconds: seconds / count };
};

export async function loadCreate(flows: Flows, client: DynamoDBClient, captured: Captured, o: { seconds: number; concurrency: number }): Promise<LoadPair> {
  const name = 'create ticket';
  if (!captured.createWrite) return { name, status: 'failed', note: 'the create write was not captured' };
  const tag = randomBytes(3).toString('hex');
  const write = captured.createWrite;
  const calls = captured.createCalls ?? [];
  let n = 0; // ids never repeat across slices
  const ours = (i: number) => flows.http('create', flows.createRequest(`load-${tag}-${i}`)).then(httpOutcome);
  const ids = (label: string, i: number) => new Map([[captured.ticketId, freshId(captured.ticketId)], [captured.userId, `${label}-${tag}-${i}`]]);
  const raw = (i: number) => sendWire(client, write, ids('raw', i));
  const rawAll = async (i: number) => {
    const replace = ids('rawall', i);
    for (const call of calls) await sendWire(client, call, replace);
    return { ok: true } as const;
  };
  // Warm-up of every path (JIT, sockets), not counted.
  await drive(undefined, o.concurrency, 1, Infinity, (i) => ours(1e9 + i));
  await drive(undefined, o.concurrency, 1, 500, (i) => raw(1e9 + i));
  const s = { ours: new Series('handler in-process'), raw: new Series(`raw ${write.operation}`), rawAll: new Series(`raw, all ${calls.length} calls (${calls.map((c) => c.operation).join(' + ')})`) };
  const slices = slicing(o.seconds);
  for (let k = 0; k < slices.count; k++) {
    const base = n;
    const done = await drive(s.ours, o.concurrency, slices.seconds, Infinity, (i) => ours(base + i));
    await drive(s.raw, o.concurrency, 3600, done, (i) => raw(base + i));
    if (calls.length > 1) await drive(s.rawAll, o.concurrency, 3600, done, (i) => rawAll(base + i));
    n += done;
  }
  return result(name, s.ours, s.raw, calls.length > 1 ? s.rawAll : undefined);
}

export async function loadConfirm(flows: Flows, client: DynamoDBClient, tableName: string, captured: Captured, o: { seconds: number; concurrency: number; maxTickets: number }): Promise<LoadPair> {
  const name = 'confirm (successful, one ticket each)';
  if (!flows.has('confirm')) return { name, status: 'not available yet' };
  if (!flows.canConfirm || !captured.confirmWrite || !captured.startedItems?.length) {
    return { name, status: 'failed', note: 'confirm could not be driven in the work-per-operation section' };
  }
  const tag = randomBytes(3).toString('hex');
  const write = captured.confirmWrite;
  const calls = captured.confirmCalls ?? [];
  const otherIds = [...idsIn(write.input)].filter((id) => id !== captured.ticketId);

  // Tickets created and started through the real handlers, as users would, between the timed slices (not timed).
  const tickets: BenchTicket[] = [];
  let prepared = 0;
  let prepErrors: Record<string, number> = {};
  const prepare = async (count: number) => {
    const series = new Series('prepare');
    await drive(series, o.concurrency, 3600, Math.min(count, o.maxTickets - prepared), async (i) => {
      const { ticket, response } = await flows.create(`confirm-${tag}-${prepared + i}`);
      if (!ticket) return httpOutcome(response);
      const started = await flows.startTicket(ticket);
      if (!started) return { ok: false, kind: 'start gave no TOTP secret' };
      tickets.push(started);
      return { ok: true };
    });
    prepared += series.latencies.length;
    for (const [k, v] of Object.entries(series.errorKinds)) prepErrors = { ...prepErrors, [k]: (prepErrors[k] ?? 0) + v };
  };
  // Raw: each call on its own copy of a started ticket (its whole partition, with fresh ids), written beforehand.
  const copies = async (label: string, count: number) => {
    const list: Array<Map<string, string>> = [];
    const seed: WireItem[] = [];
    for (let i = 0; i < count; i++) {
      const replace = new Map([[captured.ticketId, freshId(captured.ticketId)], [captured.userId, `${label}-${tag}-${randomBytes(6).toString('hex')}`]]);
      for (const id of otherIds) replace.set(id, freshId(id));
      list.push(replace);
      seed.push(...substitute(captured.startedItems!, replace));
    }
    await batchPut(client, tableName, seed);
    return list;
  };

  const s = { ours: new Series('handler in-process'), raw: new Series(`raw ${write.operation}`), rawAll: new Series(`raw, all ${calls.length} calls (${calls.map((c) => c.operation).join(' + ')})`) };
  const slices = slicing(o.seconds);
  let rate = 0; // confirms per second seen so far, to prepare just enough tickets for the next slice
  let next = 0;
  for (let k = 0; k < slices.count; k++) {
    const want = rate ? Math.ceil(rate * slices.seconds * 1.3) + o.concurrency : o.concurrency * 4;
    if (tickets.length - next < want) await prepare(want - (tickets.length - next));
    if (Object.keys(prepErrors).length) break;
    const base = next;
    const available = tickets.length - base;
    const t0 = s.ours.seconds;
    const done = await drive(s.ours, o.concurrency, slices.seconds, available, (i) => flows.confirm(tickets[base + i]!).then(httpOutcome));
    next += done;
    rate = done / Math.max(0.001, s.ours.seconds - t0);
    const one = await copies('rawc', done);
    await drive(s.raw, o.concurrency, 3600, done, (i) => sendWire(client, write, one[i]!));
    if (calls.length > 1) {
      const all = await copies('rawall', done);
      await drive(s.rawAll, o.concurrency, 3600, done, async (i) => {
        for (const call of calls) await sendWire(client, call, all[i]!);
        return { ok: true };
      });
    }
  }
  if (Object.keys(prepErrors).length) return { name, status: 'failed', note: `errors while preparing tickets: ${JSON.stringify(prepErrors)}` };
  const out = result(name, s.ours, s.raw, calls.length > 1 ? s.rawAll : undefined);
  out.note = [out.note, `${prepared} tickets created and started beforehand, between slices (not timed)`].filter(Boolean).join('; ');
  return out;
}
