import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * The one logger. Rule: never pass it a token, a ticket URL, a TOTP secret or a recovery code; log ticket ids.
 * Request bodies are never logged.
 */
const root = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'mfa-tickets' });

/**
 * Keys such as `requestId` and `ticketId` belong to one invocation. Deployed, an instance runs one invocation at a
 * time, but the local runner (and Lambda's multi-concurrency instances) interleave several in one module instance: a
 * key appended to a shared logger would then stamp another request's lines. So each invocation gets its own child
 * logger, found through AsyncLocalStorage, and `logger` resolves to it wherever it is called from.
 */
const invocation = new AsyncLocalStorage<Logger>();

export const logger: Logger = new Proxy(root, {
  get(target, property) {
    const current = invocation.getStore() ?? target;
    const value: unknown = Reflect.get(current, property, current);
    return typeof value === 'function' ? value.bind(current) : value;
  },
});

/** Runs `fn` with a logger of its own that carries the Lambda context and `keys` on every line. */
export function withInvocationLogger<T>(context: Context | undefined, keys: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const child = root.createChild();
  if (context) child.addContext(context);
  child.appendKeys(keys);
  return invocation.run(child, fn);
}
