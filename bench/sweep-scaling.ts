/**
 * Child process for section 4: items the sweep reads with a growing number of live pending tickets and a fixed number
 * of expired ones. Tickets are clones of ones the real create handler wrote (fresh ids, spread over the index
 * partitions the product used), written with BatchWriteItem.
 */
import { randomBytes } from 'node:crypto';
import { sectionIo } from './child';
import { Flows } from './flows';
import { installCounter, measure } from './instrument';
import { createdItem, measureSweep, noteIndexHashes, type Captured, type FlowResult } from './ops';
import type { ServiceConfig } from './serverless-config';
import { rawClient } from './store';

export interface SweepContext {
  config: ServiceConfig;
  adminKey: string;
  tableName: string;
  dynamodbEndpoint: string;
  publicBaseUrl: string;
  /** Where handler bundles go: inside the repository, so the external AWS SDK resolves from its node_modules. */
  bundleDir: string;
  sizes: number[];
  expired: number;
}

export interface SweepRow extends Omit<FlowResult, 'flow' | 'label'> {
  live: number;
  seedSeconds: number;
}

async function main() {
  const { context: c, log, done } = sectionIo<SweepContext>();
  installCounter();
  const flows = new Flows(c.config, c.adminKey, c.publicBaseUrl, c.bundleDir);
  await flows.load(['create', 'sweep']);
  if (!flows.has('sweep')) return done({ status: 'not available yet', rows: [] });
  if (!flows.has('create')) return done({ status: 'failed', note: 'no create handler to take tickets from', rows: [] });

  // Templates from the real create path: enough tickets to see every index partition the product spreads over.
  const indexHashValues: Record<string, string[]> = {};
  let template: Captured | undefined;
  for (let i = 0; i < 40; i++) {
    const userId = `sweep-${randomBytes(4).toString('hex')}`;
    const m = await measure(() => flows.create(userId), { captureInputs: true });
    const ticket = m.result.ticket;
    const write = m.records.find((r) => r.service === 'DynamoDB' && /^(PutItem|TransactWriteItems)$/.test(r.operation) && r.ok && r.input);
    if (!ticket || !write) return done({ status: 'failed', note: `create answered ${m.result.response.status}`, rows: [] });
    const captured: Captured = { ticketId: ticket.ticketId, userId, createWrite: { operation: write.operation, input: write.input! }, indexHashValues };
    const item = createdItem(captured.createWrite);
    if (item) noteIndexHashes(item, c.tableName, indexHashValues);
    template = captured;
  }
  // The sweep's first run takes the 40 live templates as live tickets: nothing expired among them.
  const client = rawClient(c.dynamodbEndpoint);
  const rows: SweepRow[] = [];
  let live = 40;
  for (const size of c.sizes) {
    const add = Math.max(0, size - live);
    log(`  sweep: seeding ${add} more live tickets (${size} in all) and ${c.expired} expired ...`);
    const t0 = Date.now();
    const { result } = await measureSweep(flows, { tableName: c.tableName, client, template: template!, expired: c.expired, live: add });
    live += add;
    const row: SweepRow = { ...result, live: size, seedSeconds: Math.round((Date.now() - t0 - (result.ms ?? 0)) / 100) / 10 };
    rows.push(row);
    log(`    ${size} live + ${c.expired} expired: items read ${row.calls?.itemsRead}, ${row.calls?.rcu} RRU, ${row.calls?.wcu} WRU, ${row.invocations} invocation(s), ${row.ms} ms${row.status !== 'measured' ? ` (${row.note})` : ''}`);
  }
  done({ status: rows.every((r) => r.status === 'measured') ? 'measured' : 'failed', rows });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
