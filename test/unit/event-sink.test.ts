import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventSink, type EventSink } from '../../infra/local/event-sink';
import { freePort } from '../../infra/local/processes';

/** The local EventBridge, driven by the real SDK client the publisher uses. */
let sink: EventSink;
let client: EventBridgeClient;

beforeAll(async () => {
  sink = await startEventSink(await freePort(), 'us-east-1');
  client = new EventBridgeClient({ endpoint: sink.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await sink.close();
});

describe('local EventBridge (infra/local/event-sink.ts)', () => {
  it('accepts PutEvents from the SDK and keeps each event as a rule target would receive it', async () => {
    const out = await client.send(new PutEventsCommand({
      Entries: [{
        EventBusName: 'default', Source: 'mfa-tickets', DetailType: 'Ticket Created', Detail: JSON.stringify({ ticket_id: 'tkt_1' }),
        Resources: ['arn:aws:dynamodb:us-east-1:000000000000:table/t'], Time: new Date('2026-12-01T10:00:00.123Z'),
      }],
    }));
    expect(out.FailedEntryCount).toBe(0);
    const kept = sink.events().find((e) => e.id === out.Entries![0]!.EventId)!;
    expect(kept).toMatchObject({
      'version': '0', 'detail-type': 'Ticket Created', 'source': 'mfa-tickets', 'time': '2026-12-01T10:00:00Z',
      'region': 'us-east-1', 'resources': ['arn:aws:dynamodb:us-east-1:000000000000:table/t'],
      'detail': { ticket_id: 'tkt_1' }, 'event-bus-name': 'default',
    });
    const listed = (await (await fetch(`${sink.url}/events`)).json()) as { events: unknown[] };
    expect(listed.events).toContainEqual(kept);
  });

  it('refuses a malformed detail as a failed entry, as EventBridge does, and keeps the others', async () => {
    const before = sink.events().length;
    const out = await client.send(new PutEventsCommand({
      Entries: [
        { Source: 's', DetailType: 'A', Detail: '{"ok":true}' },
        { Source: 's', DetailType: 'B', Detail: 'not json' },
      ],
    }));
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries![1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(sink.events().length).toBe(before + 1);
  });

  it('refuses more than 10 entries in one call', async () => {
    const entries = Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'A', Detail: '{}' }));
    await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toThrow(/1 to 10/);
  });

  it('forgets what it kept on POST /clear', async () => {
    await fetch(`${sink.url}/clear`, { method: 'POST' });
    expect(sink.events()).toEqual([]);
  });
});
