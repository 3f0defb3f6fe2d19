import { join } from 'node:path';
import { startStack, stackOptionsFromEnv } from './stack';

/** `npm start`: the whole service on this machine. Ctrl-C stops every child. */
async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const options = stackOptionsFromEnv(process.env);
  process.stdout.write('Starting DynamoDB Local, the SES emulator, the local phone and the API ...\n');
  const stack = await startStack(options);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping ...\n');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);

  const keyNote = process.env.ADMIN_API_KEY
    ? ' (ADMIN_API_KEY)'
    : ` (random, kept in ${join('.local', 'data', 'admin-key')}; set ADMIN_API_KEY to choose one)`;
  process.stdout.write(
    [
      `  API:          ${stack.apiUrl}`,
      `  Mail viewer:  ${stack.sesEndpoint.replace('127.0.0.1', 'localhost')}`,
      `  Phone:        ${stack.phoneUrl.replace('127.0.0.1', 'localhost')} (texts and calls sent; JSON at /messages)`,
      `  DynamoDB:     ${stack.dynamodbEndpoint} (table ${stack.tableName}, data in .local/data)`,
      `  Events:       npm run events (lifecycle events, kept by the local EventBridge at ${stack.eventsUrl})`,
      `  Admin key:    ${stack.adminApiKey}${keyNote}`,
      ...(stack.resultReceiverUrl ? [`  MFA results:  ${stack.resultReceiverUrl} (npm run mfa -- --user-id <id> prints a login link that ends here)`] : []),
      '',
      `  curl -s -X POST ${stack.apiUrl}/tickets -H 'authorization: Bearer ${stack.adminApiKey}' \\`,
      `    -H 'content-type: application/json' -d '{"user_id":"user-1","email":"user-1@example.com"}'`,
      '',
      `Local stack ready: ${stack.apiUrl} (Ctrl-C to stop)`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`npm start failed: ${err.message}\n`);
  process.exit(1);
});
