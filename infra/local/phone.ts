import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * The local stack's phone: AWS End User Messaging SMS and voice as the SDK client of the phone factor speaks it (AWS
 * JSON 1.0, `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage` / `SendVoiceMessage`, answering `{ MessageId }`, and
 * the service's error shape for a bad request), keeping every text and call instead of delivering it:
 * - `GET /messages`: `[{ destination, channel, body, timestamp, messageId, ... }]`, oldest first; `?destination=` (or
 *   `?to=`) keeps one number's; a call's `body` is the SSML sent, `transcript` what a listener hears;
 * - `GET /`: a small viewer page, newest first; `POST /clear` forgets everything.
 * The functions reach it through PHONE_ENDPOINT (set by the local stack only); deployed, the SDK's regional endpoint.
 */
export interface PhoneMessage {
  messageId: string;
  /** E.164, as sent. */
  destination: string;
  channel: 'sms' | 'voice';
  body: string;
  /** For a call: the words and digits a listener hears, tags stripped. */
  transcript?: string;
  originationIdentity?: string;
  configurationSet?: string;
  voiceId?: string;
  /** ISO 8601. */
  timestamp: string;
}

export interface LocalPhone {
  url: string;
  messages: () => PhoneMessage[];
  close: () => Promise<void>;
}

/** Keeps the latest messages only: a long `npm start` session must not grow without bound. */
const KEEP = 1_000;
const AWS_JSON = 'application/x-amz-json-1.0';
/** The service's own patterns (its API reference): E.164 with an optional +, a body of 1 to 1600 (text) or 6000 (voice) characters. */
const E164 = /^\+?[1-9][0-9]{1,18}$/;

interface Request {
  DestinationPhoneNumber?: unknown;
  OriginationIdentity?: unknown;
  MessageBody?: unknown;
  MessageBodyTextType?: unknown;
  ConfigurationSetName?: unknown;
  VoiceId?: unknown;
}

class Refusal extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const validation = (field: string, message: string) =>
  new Refusal('ValidationException', message, { Reason: 'INVALID_PARAMETER', Fields: [{ Name: field, Message: message }] });

function accept(operation: string, input: Request): PhoneMessage {
  const channel = operation === 'SendTextMessage' ? 'sms' : 'voice';
  const destination = input.DestinationPhoneNumber;
  if (typeof destination !== 'string' || !E164.test(destination)) throw validation('DestinationPhoneNumber', 'DestinationPhoneNumber must be a phone number in E.164 format.');
  const body = input.MessageBody;
  const maxBody = channel === 'sms' ? 1600 : 6000;
  if (typeof body !== 'string' || body.length < 1 || body.length > maxBody) throw validation('MessageBody', `MessageBody must be 1 to ${maxBody} characters.`);
  const origination = input.OriginationIdentity;
  if (channel === 'voice' && typeof origination !== 'string') throw validation('OriginationIdentity', 'OriginationIdentity is required.');
  if (origination !== undefined && (typeof origination !== 'string' || origination.length < 1 || origination.length > 256)) {
    throw validation('OriginationIdentity', 'OriginationIdentity must be 1 to 256 characters.');
  }
  const ssml = channel === 'voice' && input.MessageBodyTextType === 'SSML';
  return {
    messageId: randomUUID(),
    destination,
    channel,
    body,
    ...(channel === 'voice' ? { transcript: ssml ? transcriptOf(body) : body } : {}),
    ...(typeof origination === 'string' ? { originationIdentity: origination } : {}),
    ...(typeof input.ConfigurationSetName === 'string' ? { configurationSet: input.ConfigurationSetName } : {}),
    ...(typeof input.VoiceId === 'string' ? { voiceId: input.VoiceId } : {}),
    timestamp: new Date().toISOString(),
  };
}

/** What a listener hears: the SSML's text, tags as spaces, entities decoded. */
const transcriptOf = (ssml: string) =>
  ssml
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function viewer(messages: PhoneMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) => `<tr><td>${escape(m.timestamp.replace('T', ' ').slice(0, 19))}</td><td>${escape(m.destination)}</td><td>${m.channel === 'sms' ? 'text' : 'call'}</td>` +
        `<td>${escape(m.transcript ?? m.body)}</td></tr>`,
    )
    .join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Local phone</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}td:nth-child(4){white-space:pre-wrap}</style>
</head><body><h1>Local phone</h1><p>Texts and calls the local stack sent (newest first; this page refreshes every 5 s). JSON: <a href="/messages">/messages</a>.</p>
${messages.length ? `<table><thead><tr><th>Time (UTC)</th><th>To</th><th>How</th><th>Message</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>Nothing sent yet.</p>'}
</body></html>`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 256 * 1024) throw new Refusal('ValidationException', 'The request is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function startLocalPhone(port: number): Promise<LocalPhone> {
  const kept: PhoneMessage[] = [];
  const answer = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, refusal: Refusal) => {
    res.writeHead(400, { 'content-type': AWS_JSON, 'x-amzn-errortype': refusal.type });
    res.end(JSON.stringify({ __type: refusal.type, message: refusal.message, ...refusal.extra }));
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://phone');
      if (req.method === 'GET' && url.pathname === '/messages') {
        const to = url.searchParams.get('destination') ?? url.searchParams.get('to');
        return answer(res, 200, to ? kept.filter((m) => m.destination === to) : kept);
      }
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
        return res.end(viewer(kept));
      }
      if (req.method === 'POST' && url.pathname === '/clear') {
        kept.length = 0;
        return answer(res, 200, { cleared: true });
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('PinpointSMSVoiceV2.') ? target.slice('PinpointSMSVoiceV2.'.length) : '';
      if (req.method !== 'POST' || url.pathname !== '/' || (operation !== 'SendTextMessage' && operation !== 'SendVoiceMessage')) {
        return fail(res, new Refusal('UnknownOperationException', `not emulated: ${target || `${req.method} ${url.pathname}`}`));
      }
      try {
        let input: unknown;
        try {
          input = JSON.parse((await readBody(req)) || '{}');
        } catch (err) {
          if (err instanceof Refusal) throw err;
          throw new Refusal('SerializationException', 'The request body is not valid JSON.');
        }
        if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new Refusal('SerializationException', 'The request body must be a JSON object.');
        const message = accept(operation, input as Request);
        kept.push(message);
        if (kept.length > KEEP) kept.splice(0, kept.length - KEEP);
        answer(res, 200, { MessageId: message.messageId }, AWS_JSON);
      } catch (err) {
        if (err instanceof Refusal) return fail(res, err);
        throw err;
      }
    })().catch((err: Error) => {
      res.writeHead(500, { 'content-type': AWS_JSON, 'x-amzn-errortype': 'InternalServerException' });
      res.end(JSON.stringify({ __type: 'InternalServerException', message: err.message }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        messages: () => [...kept],
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections(); // the SDK keeps connections alive
          }),
      }),
    );
  });
}
