import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { idempotencyMarkerKey } from '../../lib/tickets/ticket-store';
import { signupIdempotencyKey } from '../../lib/signup/issue-signup-ticket';
import { stackOptionsFromEnv } from './stack';

/**
 * `npm run signup -- --user-id <id> --email <email> [--locale fr] [--eventbridge]`: with `npm start` running, delivers
 * a real Cognito PostConfirmation event (or the EventBridge "User Signed Up" event) to the signup function through
 * serverless-offline's Lambda endpoint, then shows the ticket it issued and, once the mailer has run, its email.
 */
const USAGE = 'usage: npm run signup -- --user-id <id> --email <email> [--locale fr] [--eventbridge] [--source <source>]';
const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

function cognitoEvent(userId: string, email: string, locale: string | undefined) {
  // The shape Cognito sends; locally the user's `sub` (the ticket's user_id) is the id you gave.
  return {
    version: '1',
    region: 'us-east-1',
    userPoolId: 'us-east-1_LocalPool',
    userName: userId,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'localclientid0123456789abcd' },
    triggerSource: 'PostConfirmation_ConfirmSignUp',
    request: {
      userAttributes: {
        'sub': userId,
        'email_verified': 'true',
        'cognito:user_status': 'CONFIRMED',
        'email': email,
        ...(locale ? { locale } : {}),
      },
    },
    response: {},
  };
}

function eventBridgeEvent(userId: string, email: string, locale: string | undefined, source: string) {
  return {
    'version': '0',
    'id': randomUUID(),
    'detail-type': 'User Signed Up',
    source,
    'account': '000000000000',
    'time': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'region': 'us-east-1',
    'resources': [],
    'detail': { user_id: userId, email, ...(locale ? { locale } : {}) },
  };
}

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      'user-id': { type: 'string' },
      'email': { type: 'string' },
      'locale': { type: 'string' },
      'eventbridge': { type: 'boolean', default: false },
      'source': { type: 'string', default: process.env.SIGNUP_EVENT_SOURCE ?? 'custom.identity' },
    },
  });
  const userId = values['user-id'];
  const email = values.email;
  if (!userId || !email) throw new Error(USAGE);
  const stack = stackOptionsFromEnv(process.env);
  const api = `http://localhost:${stack.apiPort}`;

  const event = values.eventbridge
    ? eventBridgeEvent(userId, email, values.locale, values.source!)
    : cognitoEvent(userId, email, values.locale);
  const lambda = new LambdaClient({ ...LOCAL_AWS, endpoint: `http://127.0.0.1:${stack.lambdaPort}` });
  const startedAt = Date.now();
  const result = await lambda
    .send(new InvokeCommand({ FunctionName: 'mfa-tickets-local-onUserSignup', Payload: JSON.stringify(event) }))
    .catch((err: Error) => {
      throw new Error(`could not reach the signup function on port ${stack.lambdaPort} (is \`npm start\` running?): ${err.message}`);
    });
  const answer = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
  process.stdout.write(`Delivered a ${values.eventbridge ? 'EventBridge "User Signed Up"' : 'Cognito PostConfirmation_ConfirmSignUp'} event for ${userId}.\n`);
  if (result.FunctionError) throw new Error(`the signup function failed: ${answer}`);

  // Which ticket this signup owns: the idempotency marker written with it.
  const db = new DynamoDBClient({ ...LOCAL_AWS, endpoint: `http://127.0.0.1:${stack.dynamodbPort}` });
  const key = idempotencyMarkerKey(signupIdempotencyKey(userId));
  const { Item: marker } = await db.send(
    new GetItemCommand({ TableName: stack.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }),
  );
  const ticketId = marker?.ticket_id?.S;
  if (!ticketId) {
    process.stdout.write('No ticket was issued (the signup went through regardless). Restart `npm start` with LOCAL_STACK_VERBOSE=1 to see why.\n');
    return;
  }
  const again = Number(marker?.created_at?.N ?? 0) < startedAt - 1000;
  process.stdout.write(again ? `This user already had ticket ${ticketId}: nothing new was created or sent.\n` : `Issued ticket ${ticketId}.\n`);

  // Show the ticket as the admin API sees it; wait a few seconds for the mailer to pick it up from the stream.
  let view: Record<string, any> = {};
  for (let i = 0; i < 20; i += 1) {
    const res = await fetch(`${api}/tickets/${ticketId}`, { headers: { authorization: `Bearer ${stack.adminApiKey}` } });
    view = (await res.json()) as Record<string, any>;
    if (!res.ok || !view.email_delivery || ['sent', 'failed'].includes(view.email_delivery.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  if (view.email_delivery?.status === 'sent') {
    process.stdout.write(`Email sent to ${email}: open the mail viewer at http://localhost:${stack.sesPort}\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`npm run signup: ${err.message}\n`);
  process.exit(1);
});
