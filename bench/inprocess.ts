/**
 * Child process for sections 2 and 3: the handlers in-process against DynamoDB Local (and the SES emulator), with the
 * functions' environment. Work per operation first (it also captures the writes the load section replays), then load.
 */
import { sectionIo } from './child';
import { Flows } from './flows';
import { installCounter } from './instrument';
import { loadConfirm, loadCreate, type LoadPair } from './load';
import { runOps } from './ops';
import type { ServiceConfig } from './serverless-config';
import { rawClient } from './store';

export interface InProcessContext {
  config: ServiceConfig;
  adminKey: string;
  tableName: string;
  dynamodbEndpoint: string;
  publicBaseUrl: string;
  /** Where handler bundles go: inside the repository, so the external AWS SDK resolves from its node_modules. */
  bundleDir: string;
  repeat: number;
  sweepExpired: number;
  seconds: number;
  concurrency: number;
  maxConfirmTickets: number;
}

async function main() {
  const { context: c, log, done } = sectionIo<InProcessContext>();
  installCounter();
  const flows = new Flows(c.config, c.adminKey, c.publicBaseUrl, c.bundleDir);
  await flows.load();
  const client = rawClient(c.dynamodbEndpoint);

  log(`  work per operation (${c.repeat} fresh tickets per flow) ...`);
  const ops = await runOps(flows, { tableName: c.tableName, client, repeat: c.repeat, sweepExpired: c.sweepExpired, log });
  for (const f of ops.flows) {
    log(`    ${f.label.trim()}: ${f.status}${f.calls ? `, ${f.calls.calls} calls, ${f.calls.rcu} RRU, ${f.calls.wcu} WRU, ${f.ms} ms` : ''}${f.note && f.status !== 'measured' ? ` (${f.note})` : ''}`);
  }

  const load: LoadPair[] = [];
  if (flows.has('create') && ops.captured) {
    log(`  load: create ticket, ${c.concurrency} concurrent, ${c.seconds} s, then the same number of raw writes ...`);
    load.push(await loadCreate(flows, client, ops.captured, c));
    log(`  load: confirm ...`);
    load.push(await loadConfirm(flows, client, c.tableName, ops.captured, { ...c, maxTickets: c.maxConfirmTickets }));
    for (const p of load) {
      log(`    ${p.name}: ${p.status}${p.ours ? `, ours ${p.ours.throughput}/s vs raw ${p.raw!.throughput}/s (${p.ratio}x), errors ${p.ours.errors}/${p.raw!.errors}` : ''}${p.note ? ` (${p.note})` : ''}`);
    }
  }
  done({ ops: ops.flows, discovery: ops.discovery, notes: flows.notes, load });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
