import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { json, route } from '../../lib/http';
import { logger } from '../../lib/log';
import { httpEvent } from '../support/events';

const context = (id: string) => ({ awsRequestId: id, functionName: 'fn', getRemainingTimeInMillis: () => 10_000 }) as unknown as Context;
const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 15));

/** A route that, like the real ones, learns its ticket id mid-request and logs around awaits. */
const handler = route(async (event) => {
  logger.info('received');
  await pause();
  logger.appendKeys({ ticketId: JSON.parse(event.body!).ticket });
  await pause();
  logger.info('checked');
  await pause();
  logger.warn('answered');
  return json(200, {});
});

let lines: Array<Record<string, unknown>>;

beforeEach(() => {
  lines = [];
  logger.setLogLevel('INFO');
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      lines.push(JSON.parse(String(chunk)));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel('SILENT');
});

describe('logs stay per request when invocations interleave in one module instance', () => {
  it('100 interleaved requests: every line carries its own requestId and ticketId, and no key outlives its request', async () => {
    const requests = Array.from({ length: 100 }, (_, i) => ({ requestId: `req-${i}`, ticket: `tkt_${i}` }));
    await Promise.all(
      requests.map(({ requestId, ticket }) =>
        handler(
          httpEvent({ body: JSON.stringify({ ticket }), requestContext: { ...httpEvent({}).requestContext, requestId } }),
          context(`aws-${requestId}`),
        ),
      ),
    );

    expect(lines).toHaveLength(300);
    for (const line of lines) {
      const n = String(line.requestId).slice('req-'.length);
      expect(line.function_request_id, line.message as string).toBe(`aws-req-${n}`);
      if (line.message === 'received') expect(line.ticketId).toBeUndefined();
      else expect(line.ticketId).toBe(`tkt_${n}`);
    }
    // Nothing leaked to the shared logger: a line outside any request has no request keys.
    logger.info('outside');
    expect(lines.at(-1)).not.toHaveProperty('requestId');
    expect(lines.at(-1)).not.toHaveProperty('ticketId');
  });
});
