import type { SinkEvent } from './event-sink';
import { stackOptionsFromEnv } from './stack';

/**
 * `npm run events`: with `npm start` running, prints the lifecycle events the stack has published (its local
 * EventBridge, infra/local/event-sink.ts), oldest first, one line each. `--json` prints them whole, as a rule's target
 * would receive them; `--follow` keeps printing new ones; `--clear` forgets those kept so far.
 */
async function main() {
  const args = new Set(process.argv.slice(2));
  const { eventsPort } = stackOptionsFromEnv(process.env);
  const url = `http://127.0.0.1:${eventsPort}`;
  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}${path}`, init).catch((err: Error) => {
      throw new Error(`could not reach the local EventBridge on port ${eventsPort} (is \`npm start\` running?): ${err.message}`);
    });
    return (await res.json()) as { events: SinkEvent[] };
  };
  if (args.has('--clear')) {
    await call('/clear', { method: 'POST' });
    process.stdout.write('Cleared.\n');
    return;
  }
  const print = (event: SinkEvent) => {
    if (args.has('--json')) return process.stdout.write(`${JSON.stringify(event)}\n`);
    const { event_id, correlation_id, occurred_at, ...ids } = event.detail;
    const fields = Object.entries(ids).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    process.stdout.write(`${String(occurred_at)}  ${event['detail-type'].padEnd(22)}  ${fields}  event_id=${String(event_id)}\n`);
  };
  let seen = 0;
  for (;;) {
    const { events } = await call('/events');
    if (seen > events.length) seen = 0; // cleared meanwhile
    events.slice(seen).forEach(print);
    if (!args.has('--follow')) {
      if (events.length === 0) process.stdout.write('No lifecycle events yet.\n');
      return;
    }
    seen = events.length;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

main().catch((err: Error) => {
  process.stderr.write(`npm run events: ${err.message}\n`);
  process.exit(1);
});
