import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import { stackOptionsFromEnv } from './stack';

/**
 * `npm run sweep`: with `npm start` running, runs the scheduled sweep now (the same function and the same event
 * shape as the schedule) through serverless-offline's Lambda endpoint, and prints its summary.
 */
async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const stack = stackOptionsFromEnv(process.env);
  const lambda = new LambdaClient({
    endpoint: `http://127.0.0.1:${stack.lambdaPort}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const scheduled = {
    'version': '0',
    'id': randomUUID(),
    'detail-type': 'Scheduled Event',
    'source': 'aws.events',
    'account': '000000000000',
    'time': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'region': 'us-east-1',
    'resources': ['arn:aws:events:us-east-1:000000000000:rule/mfa-tickets-local-sweep'],
    'detail': {},
  };
  const result = await lambda
    .send(new InvokeCommand({ FunctionName: 'mfa-tickets-local-cleanupExpiredTickets', Payload: JSON.stringify(scheduled) }))
    .catch((err: Error) => {
      throw new Error(`could not reach the sweep function on port ${stack.lambdaPort} (is \`npm start\` running?): ${err.message}`);
    });
  const answer = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
  if (result.FunctionError) throw new Error(`the sweep failed: ${answer}`);
  const summary = JSON.parse(answer) as Record<string, unknown>;
  const changed = summary.mode === 'delete' ? `${summary.deleted} deleted` : `${summary.expired} marked expired`;
  process.stdout.write(
    `Swept: ${changed}, ${summary.skipped} skipped (ended meanwhile), ${summary.items_read} index items read` +
      `${summary.complete ? '' : ` — stopped early (${summary.stopped}); run again to continue`}.\n` +
      `${JSON.stringify(summary, null, 2)}\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`npm run sweep: ${err.message}\n`);
  process.exit(1);
});
