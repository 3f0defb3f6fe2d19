import type { TestProject } from 'vitest/node';
import { freePort } from '../infra/local/processes';
import { startStack, type Stack } from '../infra/local/stack';

/** What tests see of the stack: everything but `stop`, which stays with the global setup. */
export type ProvidedStack = Omit<Stack, 'stop'>;

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}

/** Starts the same local stack as `npm start`, on free ports and in memory, once for all integration tests. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Every test's request comes from 127.0.0.1: the per-source phone cap (20 an hour deployed) would count the whole
  // suite as one attacker. The cap itself is tested with distinct sources (phone-send-limits tests).
  process.env.PHONE_CODE_MAX_PER_SOURCE_PER_HOUR ??= '1000';
  const stack = await startStack({
    apiPort: await freePort(),
    lambdaPort: await freePort(),
    dynamodbPort: await freePort(),
    sesPort: await freePort(),
    adminApiKey: 'test-admin-key-0123456789abcdef',
    tableName: 'tickets-test',
    sweepSchedule: false,
    resultReceiverPort: await freePort(),
  });
  const { stop, ...provided } = stack;
  project.provide('stack', provided);
  return stop;
}
