import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * The local stack's EventBridge: just enough of the PutEvents API (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`)
 * for the SDK client of the lifecycle-event publisher (EVENTBRIDGE_ENDPOINT), keeping every event it accepts so they
 * can be looked at: `GET /events` (what `npm run events` prints), `POST /clear`. Nothing is routed anywhere.
 */

/** An event as EventBridge delivers it to a rule's target, plus the bus it was put on. */
export interface SinkEvent {
  'version': '0';
  'id': string;
  'detail-type': string;
  'source': string;
  'account': string;
  'time': string;
  'region': string;
  'resources': string[];
  'detail': Record<string, unknown>;
  'event-bus-name': string;
}

export interface EventSink {
  url: string;
  events: () => SinkEvent[];
  close: () => Promise<void>;
}

interface Entry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  /** Epoch seconds, as the SDK's JSON protocol writes a timestamp. */
  Time?: number;
}

/** Keeps the latest events only: a long `npm start` session must not grow without bound. */
const KEEP = 10_000;
const ACCOUNT = '000000000000';

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** What EventBridge would refuse in an entry (as a failed entry, not a failed call), else undefined. */
function refusal(entry: Entry): string | undefined {
  if (!entry.Source || !entry.DetailType || entry.Detail === undefined) return 'Source, DetailType and Detail are required.';
  try {
    const detail = JSON.parse(entry.Detail) as unknown;
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return 'Detail is not a JSON object.';
  } catch {
    return 'Detail is malformed.';
  }
  return undefined;
}

export function startEventSink(port: number, region = 'us-east-1'): Promise<EventSink> {
  const kept: SinkEvent[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://sink').pathname;
      if (req.method === 'GET' && path === '/events') return json(res, 200, { events: kept });
      if (req.method === 'POST' && path === '/clear') {
        kept.length = 0;
        return json(res, 200, { cleared: true });
      }
      const target = req.headers['x-amz-target'];
      const awsJson = 'application/x-amz-json-1.1';
      if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
        return json(res, 400, { __type: 'UnknownOperationException', message: `not emulated: ${String(target ?? `${req.method} ${path}`)}` }, awsJson);
      }
      const { Entries: entries = [] } = JSON.parse((await readBody(req)) || '{}') as { Entries?: Entry[] };
      if (entries.length < 1 || entries.length > 10) {
        return json(res, 400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries.' }, awsJson);
      }
      const results = entries.map((entry) => {
        const problem = refusal(entry);
        if (problem) return { ErrorCode: 'MalformedDetail', ErrorMessage: problem };
        const id = randomUUID();
        kept.push({
          'version': '0',
          id,
          'detail-type': entry.DetailType!,
          'source': entry.Source!,
          'account': ACCOUNT,
          'time': new Date((entry.Time ?? Date.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region,
          'resources': entry.Resources ?? [],
          'detail': JSON.parse(entry.Detail!) as Record<string, unknown>,
          'event-bus-name': entry.EventBusName ?? 'default',
        });
        return { EventId: id };
      });
      if (kept.length > KEEP) kept.splice(0, kept.length - KEEP);
      json(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }, awsJson);
    })().catch((err: Error) => json(res, 500, { __type: 'InternalException', message: err.message }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        events: () => [...kept],
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections(); // the SDK keeps connections alive
          }),
      }),
    );
  });
}
