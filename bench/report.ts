/** Renders docs/BENCHMARKS.md from one run's results. */
import { median } from './stats';
import { TARGET_BUNDLE_BYTES, TARGET_INIT_RATIO, TARGET_MEMORY_HEADROOM, type BundleResult } from './bundle-init';
import type { BurstResult } from './burst';
import { BUCKETS } from './init-profile';
import { enrollmentCost, mfaLoginCost, PRICES, usd, type CostLine } from './cost';
import type { HttpLoadResult } from './http-load';
import type { LoadPair } from './load';
import type { FlowResult } from './ops';
import type { SweepRow } from './sweep-scaling';

export interface RunResults {
  machine: { cpus: number; cpuModel: string; node: string; os: string; memoryGb: number; loadStart: string; loadEnd: string };
  date: string;
  command: string;
  settings: Record<string, string | number>;
  configSource: string;
  esbuild: Record<string, unknown>;
  nodeOptions: string;
  durationSec: number;
  bundles?: BundleResult[];
  ops?: { ops: FlowResult[]; discovery?: string; notes: string[]; load: LoadPair[] };
  http?: HttpLoadResult[] | { error: string };
  burst?: BurstResult | { error: string };
  sweep?: { status: string; note?: string; rows: SweepRow[] };
  errors: string[];
}

const MISS = '**MISS**';
const n = (v: number | undefined, digits = 1) => (v === undefined || Number.isNaN(v) ? '–' : Number(v.toFixed(digits)).toLocaleString('en-US'));
const table = (head: string[], rows: Array<Array<string | number>>) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const mib = (bytes: number | undefined) => (bytes === undefined || Number.isNaN(bytes) ? '–' : `${n(bytes / 2 ** 20, 0)}`);

/** Share of the configured memory left at the peak resident set after the first request. */
export const headroom = (b: BundleResult) => (b.first ? 1 - b.first.afterFirst.maxRss / (b.first.memoryMb * 2 ** 20) : NaN);

/**
 * Why a package a function carries beyond its baseline stays (docs/COLD-START.md weighs the levers). Keyed by the
 * package names the bundle analysis reports; a package without an entry is listed without a reason.
 */
const WHY_IT_STAYS: Record<string, string> = {
  valibot: 'request, event and configuration validation (each function carries only the schemas and actions it uses); the OpenAPI contract and the event schemas are generated from these schemas',
  liquidjs: 'the operator-replaceable Liquid template, parsed at init so no request pays for it',
  '@aws-lambda-powertools/logger': 'structured logs with the Lambda context and a correlation id per request',
  '@aws-lambda-powertools/commons': "Powertools' shared base (logger, metrics, batch)",
  '@aws-lambda-powertools/metrics': 'EMF metrics (signups without a ticket, sweep progress) behind the alarms',
  '@aws-lambda-powertools/batch': "stream batches with per-record failures (Lambda's `batchItemFailures`)",
  jose: 'ES256 result tokens and request tokens (MFA at login, device protocol)',
  otpauth: 'TOTP (RFC 6238) checks',
  '@passwordless-id/webauthn': 'WebAuthn registration and assertion checks (only enrollWebauthn and mfaWebauthn carry it)',
  '@simplewebauthn/browser': 'the browser side of the WebAuthn ceremony, served to the page as a file by the asset function',
  qrcode: "the QR code of the otpauth URI in the hosted page's start answer (only enrollStart carries it)",
  'first-party': "the function's own code (rules, stores, configuration); the page functions also carry every locale's page text (the widget's files only the asset function carries)",
};

const deployedWithMaps = (bundles: BundleResult[]) => bundles.some((b) => b.initMsPlain !== undefined);
const mapsColumn = (bundles: BundleResult[]) => (deployedWithMaps(bundles) ? 'init ms, no NODE_OPTIONS' : 'init ms with --enable-source-maps');
const mapsNote = (bundles: BundleResult[]) =>
  deployedWithMaps(bundles)
    ? '"init ms, no NODE_OPTIONS": ours again without the deployed `NODE_OPTIONS` (source maps parsed at load), for attribution only.'
    : '"init ms with --enable-source-maps": ours again with `NODE_OPTIONS=--enable-source-maps`, which the functions are deployed without (Node then reads and parses the bundle\'s map at load): the cost of mapping traces live; each zip carries its `.map` for `infra/symbolicate.ts` instead.';

/** Buckets in the order every line shows them (bench/init-profile.ts says what each holds). */
const PROFILE_BUCKETS = [BUCKETS.loader, BUCKETS.topLevel, BUCKETS.builtins, BUCKETS.gc];
const BUCKET_LABEL: Record<string, string> = {
  [BUCKETS.loader]: 'Node loader + V8 compile',
  [BUCKETS.topLevel]: 'bundle top level',
  [BUCKETS.builtins]: 'Node built-ins',
  [BUCKETS.gc]: 'GC',
};
/** Milliseconds with a true minus sign (and no `-0`); `signed` also writes the plus. */
const ms = (v: number) => `${v <= -0.05 ? '−' : ''}${n(Math.abs(v), 1)} ms`;
const signed = (v: number) => `${v <= -0.05 ? '' : '+'}${ms(v)}`;

function profileMethod(runs: number): string[] {
  return [
    'What each bundle carries beyond its baseline, by package (`first-party` = functions/, lib/, templates): minified bytes',
    'and the init milliseconds they cost. Milliseconds: each side\'s timed init (the median above) split by the shares of',
    `the samples of ${runs} \`node --cpu-prof\` processes per side (medians), run apart from the timed ones, ours minus the`,
    "baseline, so they add up to the init difference. Each sample of the bundle's `require()` goes to the package of the",
    "nearest bundle frame on its stack (found through the bundle's source map), else to a bucket: Node loader + V8 compile",
    '(resolving, reading and compiling the bundle: it grows with the bytes: each package\'s part of it roughly follows its bytes;',
    "a package near 0 ms costs mostly this), bundle top level (esbuild's module scope and helpers, which have no source",
    'position: hoisted module-level code and the lazy compiles it triggers), Node built-ins (loading `node:http`,',
    '`node:crypto`, ...: whichever package requires one first would pay for it all), GC; "other" sums every package not',
    'named (mostly the SDK both sides carry: noise) and V8 outside any JavaScript frame. The timed medians carry the',
    "machine's noise into every figure (a bucket both sides share moves with the init difference); the load average at",
    'the top says how much.',
  ];
}

/** One function's line: bytes (and profiled init ms) beyond its baseline, by package, then the buckets. */
function carriedLine(b: BundleResult): string {
  const profile = b.initProfile && !b.initProfile.error ? b.initProfile : undefined;
  const extra = new Map((profile?.extra ?? []).map((p) => [p.name, p.ms]));
  const head = `- **${b.name}** (+${n((b.bytes - b.baselineBytes) / 1024)} KB${profile ? `, init ${signed(b.initMs - b.baselineInitMs)}` : ''})`;
  const shown = new Set<string>(PROFILE_BUCKETS);
  const packages = b.extraPackages.map((p) => {
    shown.add(p.name);
    return profile ? `${p.name} (${n(p.bytes / 1024)} KB, ${ms(extra.get(p.name) ?? 0)})` : `${p.name} ${n(p.bytes / 1024)} KB`;
  });
  const parts = [packages.join(', ') || '–'];
  if (profile) {
    // Packages with little or no extra bytes that still cost init time (e.g. a shared one used differently).
    const timeOnly = profile.extra.filter((p) => !shown.has(p.name) && !Object.values<string>(BUCKETS).includes(p.name) && p.ms >= 1).slice(0, 3);
    for (const p of timeOnly) shown.add(p.name);
    if (timeOnly.length) parts.push(`time only: ${timeOnly.map((p) => `${p.name} ${ms(p.ms)}`).join(', ')}`);
    const other = profile.extra.filter((p) => !shown.has(p.name)).reduce((sum, p) => sum + p.ms, 0);
    parts.push([...PROFILE_BUCKETS.map((k) => `${BUCKET_LABEL[k]} ${signed(extra.get(k) ?? 0)}`), `other ${signed(other)}`].join(', '));
  }
  if (b.initProfile?.error) parts.push(`init profile failed: ${b.initProfile.error}`);
  if (b.unconstructedSdk.length) parts.push(`SDK client packages bundled but not constructed at init: ${b.unconstructedSdk.join(', ')}`);
  return `${head}: ${parts.join('; ')}`;
}

/** Which functions meet which target, by name: the summary issue 14 asks for. */
function verdict(bundles: BundleResult[]): string {
  const ok = bundles.filter((b) => !b.error);
  const names = (list: BundleResult[]) => (list.length ? list.map((b) => b.name).join(', ') : 'none');
  const small = ok.filter((b) => b.bytes < TARGET_BUNDLE_BYTES);
  const init = ok.filter((b) => b.ratio <= TARGET_INIT_RATIO);
  const withFirst = ok.filter((b) => b.first && !b.first.error);
  const first = withFirst.filter((b) => b.first!.ratio <= TARGET_INIT_RATIO);
  const all = ok.filter((b) => b.bytes < TARGET_BUNDLE_BYTES && b.ratio <= TARGET_INIT_RATIO && (!b.first || b.first.error || b.first.ratio <= TARGET_INIT_RATIO));
  return [
    `**Targets.** Under ${TARGET_BUNDLE_BYTES / 1024} KB: ${small.length} of ${ok.length} (over: ${names(ok.filter((b) => !small.includes(b)))}).`,
    `Init ≤ ${TARGET_INIT_RATIO}×: ${init.length} of ${ok.length}. First invocation ≤ ${TARGET_INIT_RATIO}×: ${first.length} of ${withFirst.length}.`,
    `Every target met: ${names(all)}.`,
    ...exception(ok),
  ].join(' ');
}

/** Profile groups the exception statement sums (package names as the bundle analysis reports them). */
const EXCEPTION_GROUPS: Array<[string, (name: string) => boolean]> = [
  ['Node loading and compiling the bytes carried', (name) => name === BUCKETS.loader],
  ['first-party code', (name) => name === 'first-party'],
  ['Powertools', (name) => name.startsWith('@aws-lambda-powertools/')],
  ['valibot', (name) => name === 'valibot'],
  ['liquidjs', (name) => name === 'liquidjs'],
];

/**
 * The measured exception issue 14 allows: for the functions with SDK clients that start above the target, what their
 * init beyond the baseline is made of (medians of the profile attribution above), so a reader sees what stays and why.
 */
function exception(ok: BundleResult[]): string[] {
  const over = ok.filter((b) => b.clients.length && b.ratio > TARGET_INIT_RATIO && b.initProfile && !b.initProfile.error);
  const noClient = ok.filter((b) => !b.clients.length);
  const withClient = ok.filter((b) => b.clients.length);
  if (!over.length) return [];
  const msOf = (b: BundleResult, test: (name: string) => boolean) => b.initProfile!.extra.filter((p) => test(p.name)).reduce((sum, p) => sum + p.ms, 0);
  const parts = EXCEPTION_GROUPS.map(([label, test]) => {
    // A bucket every function has; a package only in the functions that carry it.
    const carriers = test(BUCKETS.loader) ? over : over.filter((b) => b.extraPackages.some((p) => test(p.name)));
    return carriers.length ? `${label} ${n(median(carriers.map((b) => msOf(b, test))), 1)} ms${carriers.length < over.length ? ` (in the ${carriers.length} that carry it)` : ''}` : '';
  }).filter(Boolean);
  const lines = [
    `Above ${TARGET_INIT_RATIO}×: ${over.length} of the ${withClient.length} functions with SDK clients, at a median ${n(median(over.map((b) => b.ratio)), 2)}×`,
    `(${n(median(over.map((b) => b.initMs - TARGET_INIT_RATIO * b.baselineInitMs)), 1)} ms over the ${TARGET_INIT_RATIO}× line); their init beyond the baseline, medians of the`,
    `attribution above: ${parts.join(', ')}. Each package's reason to stay is listed above; docs/COLD-START.md weighs what`,
    'is left.',
  ];
  if (noClient.length) {
    const floor = Math.min(...withClient.map((b) => b.baselineInitMs));
    lines.push(
      `${noClient.map((b) => b.name).join(', ')} construct no SDK client, so their baseline is an empty module: their init (${n(Math.min(...noClient.map((b) => b.initMs)), 1)}–${n(Math.max(...noClient.map((b) => b.initMs)), 1)} ms) stays below the`,
      `lightest SDK baseline (${n(floor, 1)} ms).`,
    );
  }
  return lines;
}

function bundlesSection(bundles: BundleResult[]): string[] {
  const rows = bundles.map((b) => {
    if (b.error) return [b.name, `\`${b.file}\``, '–', '–', '–', '–', '–', '–', '–', '–', '–', `failed: ${b.error}`];
    const sizeOk = b.bytes < TARGET_BUNDLE_BYTES;
    const ratioOk = b.ratio <= TARGET_INIT_RATIO;
    const f = b.first;
    const firstOk = !f || f.error || f.ratio <= TARGET_INIT_RATIO;
    return [
      b.name,
      `\`${b.file}\``,
      `${n(b.bytes / 1024)} KB${sizeOk ? '' : ` ${MISS}`}`,
      `${n(b.baselineBytes / 1024)} KB`,
      n(b.initMs, 1),
      n(b.baselineInitMs, 1),
      `${n(b.ratio, 2)}×${ratioOk ? '' : ` ${MISS}`}`,
      b.cpuRatio === undefined ? '–' : `${n(b.cpuMs, 1)} (${n(b.baselineCpuMs, 1)}) ${n(b.cpuRatio, 2)}×`,
      f ? (f.error ? `failed: ${f.error}` : `${n(f.firstMs, 1)} (${n(f.baselineFirstMs, 1)})`) : '–',
      f && !f.error ? `${n(f.ratio, 2)}×${firstOk ? '' : ` ${MISS}`}` : '–',
      n(b.initMsPlain ?? b.initMsSourceMaps, 1),
      b.clients.join(' + ') || '(none)',
    ];
  });
  const detail = bundles.filter((b) => !b.error).map(carriedLine);
  const profiled = bundles.find((b) => b.initProfile && !b.initProfile.error)?.initProfile;
  const carried = [...new Set(bundles.flatMap((b) => (b.error ? [] : b.extraPackages.map((p) => p.name))))];
  const why = carried.filter((name) => WHY_IT_STAYS[name]).map((name) => `- ${name}: ${WHY_IT_STAYS[name]}.`);
  const baseline = bundles.find((b) => !b.error && b.clients.join() === 'DynamoDBClient,DynamoDBDocumentClient');
  const firsts = bundles.filter((b) => b.first);
  const out = [
    '## 1. Bundle size, init time and first invocation',
    '',
    "Each handler built with serverless.yml's `custom.esbuild` flags (above), into a temporary folder, beside a baseline",
    'bundle built with the same flags that only constructs, at module scope, the AWS SDK clients the function constructs.',
    'Init = `require()` of the bundle in a fresh `node` process, timed inside the child with `process.hrtime`; median of',
    `${bundles[0]?.runs ?? '–'} runs per bundle, ours and baseline alternating. Bytes are the minified \`.js\` (no \`.map\`).`,
    '',
    'First invocation (HTTP functions) = init + the handler\'s answer to its first request, end to end in one fresh `node`',
    'process (what a user waits for on a cold start, apart from the runtime\'s own start), against a DynamoDB Local the',
    'bench starts: the request a user or an application really sends first (a new ticket, a page view on a pending ticket,',
    'a confirm with the right code, ...; "first request" in the memory table below), with the state it needs prepared',
    'beforehand through the product\'s own handlers, untimed. Its baseline process loads the baseline bundle and makes one',
    'raw SDK call on the same table (a DocumentClient GetItem of a missing key); without a DynamoDB client it answers at once.',
    'DynamoDB Local rather than a stub endpoint: every function then takes its real path with real answers, and the store\'s',
    'own latency (loopback, sub-millisecond for one item) is on both sides. A function that needs more than one call pays',
    'for each one, as it would deployed (where each call is a few ms more). Median of the same number of runs, alternating.',
    'Init CPU = user + system CPU time of the same `require()` (every thread of the process: V8 compiles and collects',
    'garbage on helper threads), for attribution: on a shared machine it moves less than wall time, which waits for a core.',
    `Targets: init and first invocation ≤ ${TARGET_INIT_RATIO}× baseline (wall time), bundle < ${TARGET_BUNDLE_BYTES / 1024} KB.`,
    '',
    table(['function', 'handler', 'bundle', 'baseline bundle', 'init ms', 'baseline init ms', 'init ratio', 'init CPU ms (baseline) ratio', 'first invocation ms (baseline)', 'first invocation ratio', mapsColumn(bundles), 'clients in baseline'], rows),
    '',
    mapsNote(bundles),
    '',
  ];
  if (firsts.length) {
    const memRows = firsts.map((b) => {
      const f = b.first!;
      if (f.error) return [b.name, `${f.memoryMb} MB`, f.request || '–', '–', '–', '–', '–', '–', `failed: ${f.error}`];
      const room = headroom(b);
      return [
        b.name,
        `${f.memoryMb} MB`,
        `${f.request} → ${f.status}`,
        `${mib(f.afterInit.heap)} / ${mib(f.afterInit.rss)}`,
        `${mib(f.afterFirst.heap)} / ${mib(f.afterFirst.rss)}`,
        mib(f.afterFirst.maxRss),
        mib(f.baselineAfterFirst.maxRss),
        `${n(100 * room, 0)} %${room < TARGET_MEMORY_HEADROOM ? ` ${MISS}` : ''}`,
      ];
    });
    const nonHttp = bundles.filter((b) => !b.first && b.afterInit);
    const tight = firsts.filter((b) => !b.first!.error && headroom(b) < TARGET_MEMORY_HEADROOM);
    out.push(
      '### Memory after init and after the first request',
      '',
      'Measured in the same first-invocation processes (medians): V8 heap in use and resident set (`process.memoryUsage()`)',
      'after init and after the first answer, and the peak resident set (`process.resourceUsage().maxRSS`), which is what',
      'Lambda reports as "Max Memory Used" (deployed, the runtime client adds a few MB, and Node 22 differs a little from',
      `the local Node). Headroom = 1 − peak ÷ the memory configured in serverless.yml; target ≥ ${n(100 * TARGET_MEMORY_HEADROOM, 0)} %.`,
      '',
      table(['function', 'configured', 'first request → status', 'after init: heap / RSS MB', 'after first request: heap / RSS MB', 'peak RSS MB', 'baseline peak RSS MB', 'headroom'], memRows),
      '',
      nonHttp.length
        ? `Functions without an HTTP route, after init only (heap / RSS MB, median of the init runs): ${nonHttp.map((b) => `${b.name} ${mib(b.afterInit!.heap)} / ${mib(b.afterInit!.rss)}`).join(', ')}.`
        : '',
      '',
      tight.length ? `Below the memory headroom target: ${tight.map((b) => b.name).join(', ')}.` : `Every HTTP function keeps at least ${n(100 * TARGET_MEMORY_HEADROOM, 0)} % of its configured memory free after its first request.`,
      '',
    );
  }
  out.push(
    ...(profiled
      ? profileMethod(profiled.runs)
      : ['What each bundle carries beyond its baseline (minified bytes by package; `first-party` = functions/, lib/, templates):']),
    '',
    ...detail,
    '',
    ...(why.length ? ['Why each of those stays (the levers weighed, and the ones taken: docs/COLD-START.md):', '', ...why, ''] : []),
    baseline
      ? `For scale, the DynamoDB baseline alone is ${n(baseline.baselineBytes / 1024)} KB: ${baseline.baselineTopPackages.map((p) => `${p.name} ${n(p.bytes / 1024)} KB`).join(', ')}; that leaves ${n((TARGET_BUNDLE_BYTES - baseline.baselineBytes) / 1024)} KB under the size target for everything else.`
      : '',
    '',
    verdict(bundles),
    '',
  );
  return out;
}

function costTable(lines: CostLine[], total?: number): string {
  const rows = lines.map((l) => [l.label, usd(l.lambda), usd(l.requests), usd(l.dynamodb), usd(l.ses), usd(l.phone), usd(l.httpApi), usd(l.total)]);
  if (total !== undefined) rows.push(['**total**', '', '', '', '', '', '', `**${usd(total)}**`]);
  return table(['per 1,000', 'Lambda GB-s', 'Lambda requests', 'DynamoDB', 'SES', 'texts, calls', 'HTTP API', 'total'], rows);
}

function opsSection(r: NonNullable<RunResults['ops']>): string[] {
  const rows = r.ops.map((f) => {
    if (f.status !== 'measured') return [f.label, f.functionName ?? '–', f.status === 'failed' ? `**failed**: ${f.note ?? ''}` : `not available yet`, '', '', '', '', ''];
    const c = f.calls!;
    const ops = Object.entries(c.byOperation).map(([k, v]) => `${v}× ${k}`).join(', ') || 'none';
    return [
      f.label.replace(/^\s+\+/, '+'),
      `${f.functionName} (${f.memoryMb} MB)`,
      `${c.calls} (${ops})`,
      n(c.rcu, 1),
      n(c.wcu, 1),
      n(c.itemsRead, 0),
      n(f.ms, 1),
      f.flow === 'sweep' ? `${f.expired} expired tickets, ${f.invocations} invocation(s); ${f.note ?? ''}` : (f.note ?? ''),
    ];
  });
  const cost = enrollmentCost(r.ops);
  const out = [
    '## 2. Work per operation and cost per 1,000 enrollments and MFA logins',
    '',
    'Each flow driven in-process through its real handler (API Gateway v2 / DynamoDB Stream / EventBridge schedule events)',
    'against DynamoDB Local and the SES emulator. Every AWS SDK call is counted by a middleware attached to every client,',
    'which also sets `ReturnConsumedCapacity: TOTAL` on each DynamoDB call and sums what the store reports (RRU = read,',
    'WRU = write request units, indexes included). Duration: median of the warm repetitions, in-process, local network.',
    '',
    table(['operation', 'function', 'AWS calls', 'RRU', 'WRU', 'items read', 'ms', 'notes'], rows),
    '',
    'Capacity is DynamoDB Local\'s own accounting of `ReturnConsumedCapacity` (item size rounded up per KB, ×2 inside',
    'transactions, index writes included); AWS computes it the same way but may differ slightly. Failed conditional',
    `writes report no capacity here although AWS charges them (failed calls in these flows: ${r.ops.reduce((sum, f) => sum + (f.calls?.errors ?? 0), 0)}).`,
    '',
  ];
  if (r.notes.length || r.discovery) out.push(`Enrollment API request shapes: ${[...r.notes, r.discovery].filter(Boolean).join('; ')}.`, '');
  out.push(
    `### Cost per 1,000 enrollments`,
    '',
    `Prices (assumptions, ${PRICES.region}, ${PRICES.date}): Lambda arm64 $${PRICES.lambdaGbSecondArm} per GB-s and`,
    `$${PRICES.lambdaPerMillionRequests} per 1M requests; DynamoDB on-demand $${PRICES.dynamoPerMillionWru} per 1M WRU and $${PRICES.dynamoPerMillionRru} per 1M RRU;`,
    `SES $${PRICES.sesPerThousandEmails} per 1,000 emails; HTTP API $${PRICES.httpApiPerMillionRequests.toFixed(2)} per 1M requests. Lambda duration = the measured in-process`,
    'duration rounded up to 1 ms at the memory configured in serverless.yml. Not included: free tiers, cold-start init',
    'billing, CloudWatch Logs, storage, data transfer; stream reads by Lambda are free. DynamoDB on AWS answers in',
    'milliseconds rather than DynamoDB Local\'s sub-millisecond, so real durations are longer; Lambda time is a small share.',
    'An enrollment = create + email + page view (with the scripts and styles it loads from our functions, fetched once:',
    'first visit) + start + confirm.',
    '',
    costTable(cost.lines, cost.total),
    '',
  );
  if (cost.missing.length) out.push(`Not in the total (not available yet or failed): ${cost.missing.join(', ')}.`, '');
  if (cost.sweepPerThousandExpired) out.push('Sweep, per 1,000 expired tickets:', '', costTable([cost.sweepPerThousandExpired]), '');
  const logins = mfaLoginCost(r.ops).filter((w) => w.lines.length || w.missing.length);
  if (logins.length) {
    out.push(
      '### Cost per 1,000 MFA logins',
      '',
      'An MFA login = challenge create (admin API) + login page view + (the send, for a code we send) + verify with the right',
      'proof, same prices as above. The page\'s scripts and styles are the enrollment page\'s (same functions, cacheable),',
      `not counted again. Texts and calls at US list prices: $${PRICES.smsUsPerMessage.toFixed(5)} per text (AWS's price plus the carriers'`,
      `toll-free surcharge; every text of ours is one part) and $${PRICES.voiceUsPerMinute} per call minute (a call lasts under one minute).`,
      '',
      table(['per 1,000 logins by', 'total', 'of which texts and calls'], logins.map((w) => [w.way, w.complete ? usd(w.total) : `${usd(w.total)} (incomplete)`, usd(w.lines.reduce((sum, l) => sum + l.phone, 0))])),
      '',
    );
    for (const w of logins) {
      out.push(`By ${w.way}:`, '', costTable(w.lines, w.total), '');
      if (w.missing.length) out.push(`Not in the total (not available yet or failed): ${w.missing.join(', ')}.`, '');
    }
  }
  return out;
}

function loadSection(pairs: LoadPair[], settings: RunResults['settings']): string[] {
  const rows: Array<Array<string | number>> = [];
  for (const p of pairs) {
    if (!p.ours || !p.raw) {
      rows.push([p.name, p.status === 'failed' ? `**failed**: ${p.note ?? ''}` : 'not available yet', '', '', '', '', '', '']);
      continue;
    }
    for (const s of [p.ours, p.raw, p.rawAll]) {
      if (!s) continue;
      const ratio = s === p.ours
        ? `**${n(p.ratio, 2)}**${(p.ratio ?? 0) < 0.8 ? ` ${MISS}` : ''}`
        : s === p.rawAll ? `(ours ÷ this row: ${n(p.ratioAll, 2)})` : '';
      rows.push([
        s === p.ours ? p.name : '',
        s.label,
        n(s.operations, 0),
        n(s.seconds, 1),
        n(s.throughput, 0),
        `${n(s.p50, 1)} / ${n(s.p99, 1)}`,
        `${s.errors}${s.errors ? ` ${JSON.stringify(s.errorKinds)}` : ''}`,
        ratio,
      ]);
    }
  }
  const out = [
    '## 3. Load',
    '',
    `Handlers invoked in-process as Lambda would (real API Gateway v2 events, real clients against DynamoDB Local) by`,
    `${settings.concurrency} concurrent callers for ${settings.seconds} s, beside the same number of raw calls at the same concurrency:`,
    'the write the handler itself sent (captured on the wire in section 2, replayed with fresh ids). The run alternates',
    'slices of about 5 s (handler, then as many raw calls as it just made), so background load hits both sides. Ratio =',
    'our throughput / raw throughput (target ≥ 0.8). A third row, for attribution only, replays every DynamoDB call the',
    'handler made, in sequence: what is left between it and the handler is our own CPU time (parsing, crypto, logging).',
    'Confirms are successful confirms, one per ticket: tickets are',
    'created and started through the handlers beforehand (not timed), each confirmed with a TOTP code computed by the bench.',
    '',
    table(['operation', 'run', 'operations', 's', 'ops/s', 'p50 / p99 ms', 'errors', 'ours/raw'], rows),
    '',
    pairs.filter((p) => p.note && p.ours).map((p) => `- ${p.name}: ${p.note}`).join('\n'),
    '',
  ];
  return out;
}

function httpSection(http: NonNullable<RunResults['http']>): string[] {
  const out = ['### Through the local HTTP API (reference)', ''];
  if ('error' in http) return [...out, `Failed: ${http.error}`, ''];
  const failed = (h: HttpLoadResult) => h.non2xx + (h.errorBodies ?? 0) + h.errors;
  out.push(
    `autocannon, \`POST /tickets\` through serverless-offline (\`startStack\`, as \`npm start\` runs it: every function's bundle`,
    'loaded once and reused in one process, docs/LOCAL-STACK.md), ' + `${http[0]?.seconds ?? '–'} s per connection count after a 3 s`,
    "warm-up at the same concurrency. An answer counts as a success only if it is a 2xx whose body is a created ticket:",
    'every body is checked as it arrives (autocannon buffers bodies anyway; parsing ~300 bytes costs microseconds), so a',
    '2xx carrying a Lambda error (`errorMessage`/`errorType`), a gateway error (`{"message": ...}`) or our error shape is',
    "counted as failed. The emulator's overhead dominates as concurrency grows: reference only, not a product figure.",
    '',
    table(['connections', 'requests', 'req/s', 'p50 / p99 ms', 'created', 'non-2xx', '2xx with an error body', 'connection errors (timeouts)', 'failed'], http.map((h) => [
      h.connections, n(h.requests, 0), n(h.throughput, 0), `${h.p50} / ${h.p99}`, h.ok, h.non2xx, h.errorBodies ?? '–', `${h.errors} (${h.timeouts})`,
      `${failed(h)}${failed(h) ? ` ${MISS}` : ''}${Object.keys(h.failureKinds ?? {}).length ? ` ${JSON.stringify(h.failureKinds)}` : ''}`,
    ])),
    '',
  );
  return out;
}

function burstSection(b: NonNullable<RunResults['burst']>, command: string): string[] {
  const out = ['## 5. The local stack under a burst: peak memory', ''];
  if ('error' in b) return [...out, `Failed: ${b.error}`, ''];
  const mb = (bytes: number) => `${n(bytes / 2 ** 20, 0)} MB`;
  const met = b.memory.peakBytes < b.targetBytes;
  const services = Object.keys(b.memory.peakByRoot);
  const processes = Object.keys(b.memory.peakByProcess ?? {});
  const largest = Object.entries(b.memory.peakByProcess ?? {}).sort((x, y) => y[1] - x[1])[0];
  out.push(
    `${b.requests} concurrent requests, interleaved over mixed routes (${Object.entries(b.byKind).map(([k, v]) => `${v}× ${k}`).join(', ')}),`,
    'against the local stack (`startStack`, as `npm start` runs it), each on a ticket of its own prepared beforehand (confirms',
    "on enrollments started beforehand, with the right code). A failed answer is one that is not what the request gets",
    'alone: a non-2xx, a 2xx with an error body or the wrong content, or no answer within 60 s.',
    '',
    `Memory: the resident set (VmRSS, /proc) of every process in the trees of the stack's services — ${b.services.map((s) => s.label).join(', ')} —`,
    `summed, sampled every ${b.sampleIntervalMs} ms from the burst's first request until 0.5 s after its last answer. Summed RSS counts`,
    'memory shared between processes once per process: an upper bound.',
    '',
    table(['', 'measured', 'target'], [
      ['**peak memory, all the stack\'s processes**', `**${mb(b.memory.peakBytes)}**${met ? '' : ` ${MISS}`}`, `< ${mb(b.targetBytes)}`],
      ...services.flatMap((s) => [
        [`${s}: at the peak (its own highest)`, `${mb(b.memory.peakByRoot[s] ?? 0)} (${mb(b.memory.maxByRoot[s] ?? 0)})`, ''],
        ...processes
          .filter((p) => p.startsWith(`${s} / `))
          .map((p) => [`&nbsp;&nbsp;process \`${p.slice(s.length + 3)}\`: at the peak (idle before)`, `${mb(b.memory.peakByProcess[p] ?? 0)} (${mb(b.idleByProcess?.[p] ?? 0)})`, '']),
      ]),
      ['all, idle just before the burst', mb(b.idleBytes), ''],
      ['wall time of the burst', `${n(b.wallMs / 1000, 2)} s (per request p50 ${n(b.p50, 0)} ms, p99 ${n(b.p99, 0)} ms)`, ''],
      ['failed answers', `${b.failures}${b.failures ? ` ${MISS} ${JSON.stringify(b.failureKinds)}` : ''}`, '0'],
      ['samples (longest gap)', `${b.memory.samples} (${n(b.memory.maxGapMs, 0)} ms); at most ${b.memory.processes} processes`, ''],
    ]),
    '',
    largest ? `Largest process at the peak: ${largest[0]}, ${mb(largest[1])} (${n((100 * largest[1]) / b.memory.peakBytes, 0)}% of the total).` : '',
    '',
    `Reproduce this section alone: \`${command}\` (a subset writes bench/results/BENCHMARKS.md and leaves this file as it is).`,
    '',
  );
  return out;
}

function sweepSection(s: NonNullable<RunResults['sweep']>, expired: number): string[] {
  const out = ['## 4. Sweep scaling', ''];
  if (s.status === 'not available yet') return [...out, 'Not available yet (no sweep handler: functions/cleanup-expired-tickets.ts).', ''];
  const rows = s.rows.map((r) => [
    n(r.live, 0), n(r.expired, 0), n(r.calls?.itemsRead, 0), n(r.calls?.rcu, 1), n(r.calls?.wcu, 1), r.calls?.calls ?? '–',
    r.invocations ?? '–', n(r.ms, 0), n(r.seedSeconds, 1), r.status === 'measured' ? '' : `**${r.status}** ${r.note ?? ''}`,
  ]);
  const reads = s.rows.map((r) => r.calls?.itemsRead ?? 0);
  const flat = reads.length > 1 && Math.max(...reads) <= Math.min(...reads) * 1.1 + 10;
  out.push(
    `Live pending tickets and ${n(expired, 0)} expired ones (clones of tickets the create handler wrote, fresh ids, written`,
    'with BatchWriteItem); the sweep runs until an invocation writes nothing. Items read: as the sweep reports',
    '(`items_read`) or, failing that, ScannedCount/Items of its calls.',
    '',
    table(['live', 'expired', 'items read', 'RRU', 'WRU', 'AWS calls', 'invocations', 'sweep ms', 'seed s', ''], rows),
    '',
    s.note ? `${s.note}\n` : '',
    reads.length > 1 ? (flat ? 'Items read stay flat as live tickets grow: target met.' : `Items read grow with live tickets: ${MISS}.`) : '',
    '',
  );
  return out;
}

export function renderReport(r: RunResults): string {
  const out = [
    '# Benchmarks',
    '',
    `Generated by \`${r.command}\` on ${r.date} in ${Math.round(r.durationSec)} s. Re-run it to reproduce; every figure`,
    'below is printed beside its baseline from the same run.',
    '',
    table(['machine', ''], [
      ['CPUs (`nproc`)', r.machine.cpus],
      ['CPU model', r.machine.cpuModel],
      ['memory', `${r.machine.memoryGb} GB`],
      ['Node.js', r.machine.node],
      ['OS', r.machine.os],
      ['load average (1/5/15 min) at start → end', `${r.machine.loadStart} → ${r.machine.loadEnd}`],
    ]),
    '',
    'A load average above the CPU count means other work shared the machine: init times and throughputs are then',
    'noisier (the side-by-side baselines share the same conditions, so the ratios hold better than the absolute figures).',
    '',
    `Settings: ${Object.entries(r.settings).map(([k, v]) => `\`${k}=${v}\``).join(', ')}. Functions and esbuild flags read with`,
    `\`${r.configSource}\`: \`${JSON.stringify(r.esbuild)}\`; init runs use the deployed \`NODE_OPTIONS=${r.nodeOptions || '(none)'}\`.`,
    '',
  ];
  if (r.errors.length) out.push('**Errors during this run:**', '', ...r.errors.map((e) => `- ${e.replace(/\n/g, ' ')}`), '');
  if (r.bundles) out.push(...bundlesSection(r.bundles));
  if (r.ops) {
    out.push(...opsSection(r.ops));
    out.push(...loadSection(r.ops.load, r.settings));
  }
  if (r.http) out.push(...(r.ops ? [] : ['## 3. Load', '']), ...httpSection(r.http));
  if (r.sweep) out.push(...sweepSection(r.sweep, Number(r.settings.sweepExpired)));
  if (r.burst) out.push(...burstSection(r.burst, `BENCH_SECTIONS=burst${r.settings.burstRequests !== 200 ? ` BENCH_BURST_REQUESTS=${r.settings.burstRequests}` : ''} npm run bench`));
  out.push(
    '## Reproducing',
    '',
    '`npm run bench` (Node.js 20+, Java 17+; it fetches DynamoDB Local into `.local/` once, like `npm start`). It starts',
    'everything it needs on free ports, in memory, and stops it all at the end, on error or on Ctrl-C. Settings:',
    '',
    table(['variable', 'default', 'what'], [
      ['`BENCH_SECONDS`', 20, 'duration of each timed in-process load run'],
      ['`BENCH_CONCURRENCY`', 50, 'concurrent in-process callers'],
      ['`BENCH_HTTP_SECONDS`', 10, 'each autocannon run through the local HTTP API'],
      ['`BENCH_HTTP_CONNECTIONS`', '1,10,50', 'autocannon connection counts'],
      ['`BENCH_BURST_REQUESTS`', 200, 'concurrent requests in the burst whose peak memory section 5 reports'],
      ['`BENCH_INIT_RUNS`', 11, 'fresh `node` processes per bundle, ours and baseline each, for init and again for the first invocation'],
      ['`BENCH_PROFILE_RUNS`', 3, 'CPU-profiled `node` processes per bundle, ours and baseline each, for the init time by package (0: none)'],
      ['`BENCH_OPS_REPEAT`', 5, 'fresh tickets per flow in the work-per-operation section'],
      ['`BENCH_OPS_EXPIRED`', 100, 'expired tickets swept in the work-per-operation section'],
      ['`BENCH_CONFIRM_MAX_TICKETS`', 40000, 'cap on tickets prepared for the confirm load'],
      ['`BENCH_SWEEP_SIZES`', '10000,100000', 'live pending tickets for the sweep-scaling runs'],
      ['`BENCH_SWEEP_EXPIRED`', 1000, 'expired tickets in each sweep-scaling run'],
      ['`BENCH_SECTIONS`', 'bundles,inprocess,http,burst,sweep', 'run a subset (its report goes to `bench/results/BENCHMARKS.md`)'],
      ['`BENCH_OUTPUT`', 'docs/BENCHMARKS.md', 'where the report goes (raw JSON and logs: `bench/results/`, git-ignored)'],
    ]),
    '',
    'Layout: `bench/run.ts` orchestrates; `bundle-init.ts` + `init-profile.ts` + `first-invocation.ts` (section 1), `inprocess.ts` → `ops.ts` + `load.ts` (2, 3),',
    '`sweep-scaling.ts` (4) run in child processes with the functions\' environment; `http-load.ts` (3, autocannon) and',
    '`burst.ts` (5, with `proc-memory.ts`) drive the local stack over HTTP, and `answers.ts` tells a failed answer from a',
    'success by its status and its body; `flows.ts` finds and drives the handlers, `instrument.ts` counts AWS calls,',
    '`cost.ts` holds the prices.',
    '',
  );
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
