import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { stack } from './stack';

/** serverless-offline's Lambda endpoint of the local stack: the way Cognito, EventBridge and the schedule reach us. */
const lambda = new LambdaClient({
  endpoint: stack.lambdaEndpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

/** Invokes `mfa-tickets-local-<fn>` synchronously; a handler error fails the test with the function's own message. */
export async function invoke<T = unknown>(fn: string, payload: unknown): Promise<T> {
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: `mfa-tickets-local-${fn}`, Payload: JSON.stringify(payload) }),
  );
  const text = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
  if (result.FunctionError) throw new Error(`${fn} failed (${result.FunctionError}): ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface StoredEmail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

/** Emails the SES emulator received for one address. */
export async function emailsTo(address: string): Promise<StoredEmail[]> {
  const res = await fetch(`${stack.sesEndpoint}/store`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.destination.to.includes(address));
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
