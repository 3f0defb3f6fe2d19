/**
 * Section 2: work per operation. Each flow runs in-process against DynamoDB Local (and the SES emulator) with every AWS
 * call counted and DynamoDB's own ConsumedCapacity summed. Repeated on fresh tickets; durations are medians of the
 * warm repetitions, calls and capacity are those of the last repetition.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lambdaContext, httpEvent } from './events';
import { FLOWS, locateFlows, NOT_WIRED, ok, type BenchTicket, type FlowName, type Flows, type HttpResponse, type LoginProof } from './flows';
import { measure, tally, type CallRecord, type Tally } from './instrument';
import { routeMatches } from './serverless-config';
import { totp } from './totp';
import { batchPut, freshId, keysOf, partitionItems, substitute, tableSchema, type WireItem } from './store';
import { median, round } from './stats';

export interface FlowResult {
  flow: FlowName | 'asset';
  label: string;
  status: 'measured' | 'not available yet' | 'failed';
  functionName?: string;
  memoryMb?: number;
  note?: string;
  /** AWS calls of one operation (for the sweep: of one whole sweep of `expired` tickets). */
  calls?: Tally;
  /** Median in-process duration, ms. */
  ms?: number;
  /** Sweep only: expired tickets it had to process, and the invocations it took. */
  expired?: number;
  invocations?: number;
  /** Emails sent per operation (SES calls that succeeded). */
  emails?: number;
  /** Logins only: which proof it was given, or which way the code was sent (`right`: a TOTP login's cost). */
  variant?: 'right' | 'wrong' | 'recovery' | 'email' | 'sms' | 'voice';
  /** Texts and calls one operation sent (End User Messaging calls that succeeded), priced at list price in the cost table. */
  messages?: { sms: number; voice: number };
}

/** What the load section replays straight against the store, captured from the real flows. */
export interface Captured {
  ticketId: string;
  userId: string;
  /** The create handler's write, as sent (PutItem or TransactWriteItems input). */
  createWrite?: { operation: string; input: Record<string, unknown> };
  /** The ticket's partition after start (what a confirm finds), and the confirm's transaction as sent. */
  startedItems?: WireItem[];
  confirmWrite?: { operation: string; input: Record<string, unknown> };
  /** Every DynamoDB call create / confirm made, in order, as sent. */
  createCalls?: WireCall[];
  confirmCalls?: WireCall[];
  /** Distinct values the product gave each index hash attribute (sharded sparse index), over every create seen. */
  indexHashValues?: Record<string, string[]>;
}

/** Adds the index hash values of `item` to `into`. */
export function noteIndexHashes(item: WireItem, tableName: string, into: Record<string, string[]>): void {
  for (const index of tableSchema(tableName).indexes) {
    for (const k of index.KeySchema.filter((key) => key.KeyType === 'HASH')) {
      const v = item[k.AttributeName]?.S;
      if (v === undefined) continue;
      const list = (into[k.AttributeName] ??= []);
      if (!list.includes(v)) list.push(v);
    }
  }
}

export function createdItem(write: Captured['createWrite']): WireItem | undefined {
  if (!write) return undefined;
  return (write.input.Item ?? (write.input.TransactItems as Array<{ Put?: { Item: WireItem } }> | undefined)?.find((t) => t.Put)?.Put?.Item) as WireItem | undefined;
}

export type WireCall = { operation: string; input: Record<string, unknown> };

const dynamoCalls = (records: CallRecord[]): WireCall[] =>
  records.filter((r) => r.service === 'DynamoDB' && r.ok && r.input).map((r) => ({ operation: r.operation, input: r.input! }));

const WRITE_OPS = ['TransactWriteItems', 'PutItem', 'UpdateItem', 'BatchWriteItem'];

function mainWrite(records: CallRecord[]) {
  for (const op of WRITE_OPS) {
    const r = records.find((rec) => rec.service === 'DynamoDB' && rec.operation === op && rec.ok && rec.input);
    if (r) return { operation: op, input: r.input! };
  }
  return undefined;
}

const describe = (r: HttpResponse) => `${r.status} ${(r.json?.error as string | undefined) ?? r.body.slice(0, 160)}`;

export async function runOps(
  flows: Flows,
  options: { tableName: string; client: DynamoDBClient; repeat: number; sweepExpired: number; log: (s: string) => void },
): Promise<{ flows: FlowResult[]; captured?: Captured; discovery?: string }> {
  const { tableName, client, repeat, log } = options;
  const results = new Map<string, FlowResult>();
  const samples = new Map<string, number[]>();
  const base = (flow: FlowName) => {
    const spec = FLOWS.find((f) => f.flow === flow)!;
    const r = flows.resolved.get(flow);
    return { flow, label: spec.label, functionName: r?.fn.name, memoryMb: r?.fn.memoryMb };
  };
  for (const spec of FLOWS) {
    const loadError = flows.loadErrors.get(spec.flow);
    if (loadError) {
      const unwired = locateFlows(flows.config).get(spec.flow)?.fn.sources.includes(NOT_WIRED);
      results.set(spec.flow, { ...base(spec.flow), status: unwired ? 'not available yet' : 'failed', note: unwired ? `not in serverless.yml yet; ${loadError}` : loadError });
    }
    else if (!flows.has(spec.flow)) results.set(spec.flow, { ...base(spec.flow), status: 'not available yet', note: `no handler (looked for ${spec.route ? `${spec.route.method} ${spec.route.path} in serverless.yml, ` : ''}${spec.files.map((f) => `functions/${f}.ts`).join(', ')})` });
  }
  const record = (key: string, result: Omit<FlowResult, 'status' | 'ms'>, m: { ms: number; records: CallRecord[] }) => {
    (samples.get(key) ?? samples.set(key, []).get(key)!).push(m.ms);
    const sent = (operation: string) => m.records.filter((r) => r.service === PHONE_SERVICE && r.operation === operation && r.ok).length;
    const phone = { sms: sent('SendTextMessage'), voice: sent('SendVoiceMessage') };
    results.set(key, { ...result, status: 'measured', calls: tally(m.records), emails: m.records.filter((r) => r.service === 'SES' && r.ok).length, ...(phone.sms || phone.voice ? { messages: phone } : {}) });
  };
  const fail = (flow: FlowName, note: string, key: string = flow) => {
    if (results.get(key)?.status !== 'measured') results.set(key, { ...base(flow), status: 'failed', note });
  };

  if (!flows.has('create')) return { flows: [...results.values()] };

  const discovery = await flows.discover().catch((err: Error) => `discovery failed: ${err.message}`);
  if (discovery) {
    log(`  enrollment API: ${discovery}`);
    if (flows.has('start') && !flows.canStart) fail('start', discovery);
    if (flows.has('confirm') && !flows.canConfirm) fail('confirm', discovery);
  }

  let captured: Captured | undefined;
  const indexHashValues: Record<string, string[]> = {};
  const assets = new Map<string, { fnName: string; memoryMb: number; handler: (e: unknown, c: unknown) => Promise<unknown> }>();

  for (let rep = 0; rep < repeat; rep++) {
    const userId = `ops-${rep}-${randomBytes(4).toString('hex')}`;
    const created = await measure(() => flows.create(userId, { send_mail: true }), { captureInputs: true });
    const { ticket, response } = created.result;
    if (!ticket) {
      fail('create', `create answered ${describe(response)}`);
      break;
    }
    record('create', base('create'), created);
    const write = mainWrite(created.records);
    const item = createdItem(write);
    if (item) noteIndexHashes(item, tableName, indexHashValues);
    captured = { ticketId: ticket.ticketId, userId, createWrite: write, createCalls: dynamoCalls(created.records), indexHashValues };

    // The stream delivers the INSERT to the mailer; here it gets the same record, built from the item create wrote.
    if (flows.has('email')) {
      if (!item) fail('email', 'could not capture the ticket item create wrote (no PutItem seen)');
      else {
        const m = await measure(() => flows.email(tableName, keysOf(item, tableName), item));
        const failures = (m.result as { batchItemFailures?: unknown[] } | undefined)?.batchItemFailures ?? [];
        const emails = m.records.filter((r) => r.service === 'SES' && r.ok).length;
        if (failures.length || emails === 0) fail('email', `stream batch answered ${JSON.stringify(m.result)?.slice(0, 160)}; SES calls: ${m.records.filter((r) => r.service === 'SES').length}`);
        else record('email', base('email'), m);
      }
    }

    if (flows.has('page')) {
      const m = await measure(() => flows.http('page', flows.pageRequest(ticket)));
      if (!ok(m.result)) fail('page', `GET /enroll answered ${describe(m.result)}`);
      else {
        record('page', base('page'), m);
        // Same-origin scripts and styles the page loads from our own functions count as part of a page view.
        for (const path of assetPaths(m.result.body)) {
          const fn = flows.config.functions.find((f) => f.routes.some((r) => routeMatches(r, 'GET', path)));
          if (!fn) continue;
          if (!assets.has(path)) assets.set(path, { fnName: fn.name, memoryMb: fn.memoryMb, handler: await flows.loadFunction(fn) });
          const asset = assets.get(path)!;
          const route = fn.routes.find((r) => routeMatches(r, 'GET', path))!;
          const a = await measure(() => asset.handler(httpEvent(route, { method: 'GET', url: path }), lambdaContext(fn, flows.config.service)));
          record(`asset ${path}`, { flow: 'asset', label: `  + page asset GET ${path}`, functionName: fn.name, memoryMb: fn.memoryMb }, a);
        }
      }
    }

    if (!flows.canStart) continue;
    const s = await measure(() => flows.startTicket(ticket));
    if (!s.result) {
      fail('start', 'start stopped answering with a TOTP secret');
      continue;
    }
    record('start', base('start'), s);
    const started: BenchTicket = s.result;

    if (!flows.canConfirm) continue;
    const startedItems = item ? await partitionItems(client, tableName, keysOf(item, tableName)) : undefined;
    const c = await measure(() => flows.confirm(started), { captureInputs: true });
    if (!ok(c.result)) {
      fail('confirm', `confirm answered ${describe(c.result)}`);
      continue;
    }
    record('confirm', base('confirm'), c);
    captured = { ...captured, startedItems, confirmWrite: mainWrite(c.records), confirmCalls: dynamoCalls(c.records) };

    if (flows.has('mfaCreate')) {
      const recoveryCode = typeof c.result.json?.recovery_code === 'string' ? c.result.json.recovery_code : undefined;
      await mfaLogins(flows, started, recoveryCode, { record, fail, base });
    }
  }

  if (flows.has('sweep') && captured?.createWrite) {
    const sweep = await measureSweep(flows, { tableName, client, template: captured, expired: options.sweepExpired, live: 0 });
    results.set('sweep', { ...base('sweep'), ...sweep.result });
  }

  // Durations: medians of the warm repetitions (the first one also loads lazily-required code).
  for (const [key, ms] of samples) {
    const r = results.get(key);
    if (r?.status === 'measured') r.ms = round(median(ms.length > 1 ? ms.slice(1) : ms), 2);
  }
  const order = ['create', 'email', 'page', ...[...results.keys()].filter((k) => k.startsWith('asset ')), 'start', 'confirm', 'sweep', ...MFA_KEYS];
  return { flows: order.filter((k) => results.has(k)).map((k) => results.get(k)!), captured, discovery };
}

/** The End User Messaging SMS and voice client's service id, as the call counter names it. */
const PHONE_SERVICE = 'Pinpoint SMS Voice V2';

const MFA_KEYS = ['mfaCreate', 'mfaPage', 'mfaVerify', 'mfaVerifyWrong', 'mfaVerifyRecovery', 'mfaEmailSendEmail', 'mfaVerifyEmail', 'mfaPhoneSendSms', 'mfaVerifySms', 'mfaPhoneSendVoice', 'mfaVerifyVoice'];

const READ_OPS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'];

/** "target 1 read + 1 write: met" or what the calls were instead (DynamoDB calls that succeeded or failed alike). */
function againstTarget(records: CallRecord[]): string {
  const dynamo = records.filter((r) => r.service === 'DynamoDB');
  const reads = dynamo.filter((r) => READ_OPS.includes(r.operation)).length;
  const writes = dynamo.filter((r) => [...WRITE_OPS, 'DeleteItem'].includes(r.operation)).length;
  const met = reads <= 1 && writes <= 1;
  return `target 1 read + 1 write: ${met ? 'met' : `not met (${reads} read${reads === 1 ? '' : 's'} + ${writes} write${writes === 1 ? '' : 's'})`}`;
}

type Recorder = {
  record: (key: string, result: Omit<FlowResult, 'status' | 'ms'>, m: { ms: number; records: CallRecord[] }) => void;
  fail: (flow: FlowName, note: string, key?: string) => void;
  base: (flow: FlowName) => { flow: FlowName; label: string; functionName?: string; memoryMb?: number };
};

/**
 * MFA at login for a user the enrollment flows just enrolled, each on a fresh challenge: create + page view + verify
 * with a right TOTP code (a login), then a wrong code and a recovery code. The right code is the next time step's
 * (inside the ±1 window): the step the confirm used is spent, and a replay is refused like a wrong code.
 */
async function mfaLogins(flows: Flows, enrolled: BenchTicket, recoveryCode: string | undefined, { record, fail, base }: Recorder): Promise<void> {
  // The targets issue 10 sets (1 read + 1 write); the row's note says whether the measured calls meet them.
  const target = (m: { records: CallRecord[] }) => ({ note: againstTarget(m.records) });
  const verifyBase = (variant: 'right' | 'wrong' | 'recovery', label: string) => ({ ...base('mfaVerify'), variant, label });
  const challenge = async (key: string): Promise<string | undefined> => {
    const m = await measure(() => flows.mfaChallenge(enrolled.userId));
    if (!m.result.requestToken) {
      fail('mfaCreate', `challenge create answered ${describe(m.result.response)}`);
      return undefined;
    }
    if (key === 'mfaCreate') record('mfaCreate', { ...base('mfaCreate'), ...target(m) }, m);
    return m.result.requestToken;
  };
  const verify = async (key: string, result: Omit<FlowResult, 'status' | 'ms'>, token: string, proof: LoginProof, expect: (r: HttpResponse) => boolean) => {
    if (!flows.has('mfaVerify')) return;
    const m = await measure(() => flows.mfaVerify(token, proof));
    if (expect(m.result)) record(key, { ...result, ...target(m) }, m);
    else fail('mfaVerify', `${result.label} answered ${describe(m.result)}`, key);
  };

  const token = await challenge('mfaCreate');
  if (!token) return;
  if (flows.has('mfaPage')) {
    const m = await measure(() => flows.http('mfaPage', flows.mfaPageRequest(token)));
    if (m.result.status === 200) record('mfaPage', base('mfaPage'), m);
    else fail('mfaPage', `GET /mfa answered ${describe(m.result)}`);
  }
  const totpKey = enrolled.totp!;
  const right = totp(totpKey, Date.now() + totpKey.period * 1000);
  await verify('mfaVerify', verifyBase('right', 'login verify, right TOTP code (POST /mfa/verify)'), token, { code: right }, (r) => r.status === 200 && typeof r.json?.signature === 'string');

  const wrongToken = await challenge('mfaVerifyWrong');
  if (wrongToken) {
    // A code none of the window's steps gives.
    const valid = [-1, 0, 1, 2].map((d) => totp(totpKey, Date.now() + d * totpKey.period * 1000));
    let wrong = right;
    for (let i = 1; valid.includes(wrong); i++) wrong = String((Number(right) + i * 123_457) % 10 ** totpKey.digits).padStart(totpKey.digits, '0');
    await verify('mfaVerifyWrong', verifyBase('wrong', 'login verify, wrong code'), wrongToken, { code: wrong }, (r) => r.status === 400 && r.json?.error === 'invalid_code');
  }

  if (!recoveryCode) {
    fail('mfaVerify', 'the confirm answered no recovery_code to log in with', 'mfaVerifyRecovery');
    return;
  }
  const recoveryToken = await challenge('mfaVerifyRecovery');
  if (recoveryToken) {
    await verify('mfaVerifyRecovery', verifyBase('recovery', 'login verify, recovery code'), recoveryToken, { recovery_code: recoveryCode }, (r) => r.status === 200 && typeof r.json?.signature === 'string' && r.json?.mfa_method === 'recovery-code');
  }
  await sentCodeLogins(flows, enrolled.userId, { record, fail, base }, challenge, verify);
}

/**
 * Logins with a code the service sends, for the same user given an address and a number through the vendor's import
 * (setup, not measured): each on a fresh challenge, the send measured, the code read where the user would read it
 * (the SES emulator's store, the local phone's list), then the verify measured.
 */
async function sentCodeLogins(
  flows: Flows,
  userId: string,
  { record, fail, base }: Recorder,
  challenge: (key: string) => Promise<string | undefined>,
  verify: (key: string, result: Omit<FlowResult, 'status' | 'ms'>, token: string, proof: LoginProof, expect: (r: HttpResponse) => boolean) => Promise<void>,
): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const address = `bench-${tag}@example.com`;
  // A fresh French mobile number: valid for texts and calls, and an allowed country of the local stack.
  const number = `+336${String(parseInt(tag, 16) % 1e8).padStart(8, '0')}`;
  const ways = [
    { key: 'Email', flow: 'mfaEmailSend', method: { type: 'email', email: address }, extra: {}, proof: 'email_code', read: () => emailCode(address) },
    { key: 'Sms', flow: 'mfaPhoneSend', method: { type: 'phone', phone_number: number }, extra: { channel: 'sms' }, proof: 'phone_code', read: () => phoneCode(number) },
    { key: 'Voice', flow: 'mfaPhoneSend', method: { type: 'phone', phone_number: number }, extra: { channel: 'voice' }, proof: 'phone_code', read: () => phoneCode(number) },
  ] as const;
  const imported = new Set<string>();
  for (const way of ways) {
    if (!flows.has(way.flow) || !flows.has('mfaVerify')) continue;
    const sendKey = `${way.flow}${way.key}`;
    if (!imported.has(way.method.type)) {
      const r = await flows.importFactor(userId, way.method);
      if (r.status !== 201) {
        fail(way.flow, `importing a ${way.method.type} factor answered ${describe(r)}`, sendKey);
        continue;
      }
      imported.add(way.method.type);
    }
    const token = await challenge(sendKey);
    if (!token) continue;
    const sent = await measure(() => flows.mfaSend(way.flow, token, way.extra));
    if (sent.result.status !== 200) {
      fail(way.flow, `the send answered ${describe(sent.result)}`, sendKey);
      continue;
    }
    const label = way.key === 'Email' ? 'login code by email (POST /mfa/email/send)' : `login code by ${way.key === 'Sms' ? 'text' : 'call'} (POST /mfa/phone/send)`;
    record(sendKey, { ...base(way.flow), label, variant: way.key === 'Email' ? 'email' : way.key === 'Sms' ? 'sms' : 'voice' }, sent);
    const code = await way.read();
    if (!code) {
      fail(way.flow, 'no code reached the emulator', sendKey);
      continue;
    }
    const method = way.key === 'Email' ? 'email' : way.key.toLowerCase();
    await verify(`mfaVerify${way.key}`, { ...base('mfaVerify'), variant: method as FlowResult['variant'], label: `login verify, ${way.proof} (POST /mfa/verify)` }, token, { [way.proof]: code } as LoginProof, (r) => r.status === 200 && r.json?.mfa_method === method);
  }
}

/** The newest code emailed to `address`, from the SES emulator's store (SES_ENDPOINT: the functions' own). */
async function emailCode(address: string): Promise<string | undefined> {
  const res = await fetch(`${process.env.SES_ENDPOINT}/store`);
  const { emails } = (await res.json()) as { emails: Array<{ destination: { to: string[] }; subject: string; body: { text?: string } }> };
  const last = emails.filter((e) => e.destination.to.includes(address)).at(-1);
  return last ? /\b(\d{6})\b/.exec(`${last.subject} ${last.body.text ?? ''}`)?.[1] : undefined;
}

/** The newest code sent to `number`, from the local phone (PHONE_ENDPOINT): a text's six digits or a call's, read one by one. */
async function phoneCode(number: string): Promise<string | undefined> {
  const res = await fetch(`${process.env.PHONE_ENDPOINT}/messages?destination=${encodeURIComponent(number)}`);
  const last = ((await res.json()) as Array<{ channel: string; body: string; transcript?: string }>).at(-1);
  if (!last) return undefined;
  const digits = (last.channel === 'voice' ? (last.transcript ?? last.body) : last.body).replace(/\D+/g, ' ');
  return /\b(\d{6})\b/.exec(digits)?.[1] ?? /(?:\b\d\b ?){6}/.exec(digits)?.[0].replace(/\s/g, '');
}

/** Attribute values as a browser reads them (templates escape `/` as `&#47;` and the like). */
function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', sol: '/', colon: ':' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] !== '#') return named[code.toLowerCase()] ?? whole;
    return String.fromCodePoint(code[1]?.toLowerCase() === 'x' ? parseInt(code.slice(2), 16) : Number(code.slice(1)));
  });
}

/** Paths of the scripts and stylesheets a page loads (relative, or absolute on any origin: matched to routes later). */
function assetPaths(html: string): string[] {
  const paths = new Set<string>();
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)) {
    const raw = decodeEntities(m[1]!);
    if (raw.startsWith('data:') || raw.startsWith('#')) continue;
    try {
      paths.add(new URL(raw, 'http://page.invalid').pathname);
    } catch {
      /* not a URL */
    }
  }
  return [...paths];
}

/** Clones of the ticket create wrote: fresh ids, and `expires` (ms or s, like the original) set to the given time. */
export function ticketClones(template: Captured, tableName: string, count: number, expiresAt: number): WireItem[] {
  const item = createdItem(template.createWrite)!;
  const { indexes } = tableSchema(tableName);
  const rangeAttrs = indexes.flatMap((i) => i.KeySchema.filter((k) => k.KeyType === 'RANGE').map((k) => k.AttributeName));
  const hashAttrs = indexes.flatMap((i) => i.KeySchema.filter((k) => k.KeyType === 'HASH').map((k) => k.AttributeName));
  const out: WireItem[] = [];
  for (let i = 0; i < count; i++) {
    const clone = substitute(item, new Map([[template.ticketId, freshId(template.ticketId)], [template.userId, `${template.userId}-c${i}`]]));
    for (const attr of rangeAttrs) {
      const n = Number(clone[attr]?.N);
      if (!Number.isFinite(n)) continue;
      const value = n > 1e12 ? expiresAt : Math.floor(expiresAt / 1000); // same unit as the product wrote
      clone[attr] = { N: String(value) };
    }
    // Spread over the index partitions the product was seen to use (e.g. `pending#0..3`), as its own hash of the id does.
    for (const attr of hashAttrs) {
      const seen = template.indexHashValues?.[attr] ?? [];
      if (clone[attr]?.S !== undefined && seen.length) clone[attr] = { S: seen[i % seen.length]! };
    }
    out.push(clone);
  }
  return out;
}

/**
 * Seeds `expired` expired clones (and `live` pending ones) of a real ticket, then runs the sweep until an invocation
 * writes nothing, counting everything it read. Items read come from the sweep's own `items_read` when it reports one.
 */
export async function measureSweep(
  flows: Flows,
  o: { tableName: string; client: DynamoDBClient; template: Captured; expired: number; live: number; log?: (s: string) => void },
): Promise<{ result: Omit<FlowResult, 'flow' | 'label'>; reported?: Record<string, unknown> }> {
  const now = Date.now();
  if (o.live) await batchPut(o.client, o.tableName, ticketClones(o.template, o.tableName, o.live, now + 5 * 86_400_000));
  const expiredItems = ticketClones(o.template, o.tableName, o.expired, now - 3_600_000);
  await batchPut(o.client, o.tableName, expiredItems);
  const records: CallRecord[] = [];
  let ms = 0;
  let invocations = 0;
  let reportedRead = 0;
  let reported: Record<string, unknown> | undefined;
  for (; invocations < 20; ) {
    const m = await measure(() => flows.sweep());
    invocations += 1;
    ms += m.ms;
    records.push(...m.records);
    reported = (m.result ?? undefined) as Record<string, unknown> | undefined;
    if (typeof reported?.items_read === 'number') reportedRead += reported.items_read;
    const wrote = m.records.some((r) => r.service === 'DynamoDB' && /^(UpdateItem|DeleteItem|PutItem|BatchWriteItem|TransactWriteItems)$/.test(r.operation));
    if (!wrote) break;
  }
  // Did it finish? Every expired clone must have left `pending` (or the table).
  let left = 0;
  for (const item of expiredItems.slice(0, 50)) {
    const got = await o.client.send(new GetItemCommand({ TableName: o.tableName, Key: keysOf(item, o.tableName), ConsistentRead: true }));
    if (got.Item?.status?.S === 'pending') left += 1;
  }
  const calls = tally(records);
  if (reportedRead) calls.itemsRead = reportedRead;
  return {
    result: {
      status: left ? 'failed' : 'measured',
      note: `${left ? `${left} of 50 sampled expired tickets still pending after ${invocations} invocations; ` : ''}items read ${reportedRead ? 'as the sweep reports (items_read)' : 'counted from ScannedCount/Items'}`,
      calls,
      ms: round(ms, 1),
      expired: o.expired,
      invocations,
    },
    reported,
  };
}
