import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashAdminKey } from '../../lib/admin-auth';
import { startDynamoDbLocal, LOCAL_DIR } from './dynamodb-local';
import { freePort, httpAnswers, portIsFree, startService, stopService, waitFor, type Service } from './processes';
import emailStreamFilter from '../email-stream-filter.json';
import lifecycleStreamFilter from '../lifecycle-stream-filter.json';
import securityNotificationStreamFilter from '../security-notification-stream-filter.json';
import { startEventSink, type EventSink } from './event-sink';
import { startLocalPhone, type LocalPhone } from './phone';
import { lambdaInvoker, StreamPoller, type FilterPattern } from './stream-poller';
import { localResultSigningKeys, resultPublicKeysOf } from './result-keys';
import { startResultReceiver, type ResultReceiver } from './result-receiver';
import { ensureTable } from './table';

const ROOT = join(__dirname, '..', '..');
/** The stream consumer, as serverless-offline names it (`<service>-<stage>-<function>`). */
const MAILER_FUNCTION = 'mfa-tickets-local-sendTicketEmail';
/** The other stream consumer: lifecycle events, published to the local event sink (docs/EVENTS.md). */
const EVENTS_FUNCTION = 'mfa-tickets-local-publishLifecycleEvents';
/** The third: each user's MFA history, from the same records (docs/HISTORY.md). */
const HISTORY_FUNCTION = 'mfa-tickets-local-recordMfaHistory';
/** The fourth: security notifications to the user (docs/EMAIL.md); npm start runs it, the test harness opts in per test. */
const NOTIFIER_FUNCTION = 'mfa-tickets-local-sendSecurityNotification';
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

/**
 * Local-only secrets. They are public (this file is), so they must never be deployed: deployed stages read theirs
 * from Secrets Manager (README "Keys"). The admin key is not among them (`localAdminApiKey`): a published one would let
 * any page a developer visits drive the local admin API.
 */
// Keys are exactly 32 bytes (lib/config.ts refuses any other length).
const LOCAL_SIGNING_KEYS = `local:${Buffer.from('local-ticket-signing-do-not-use!').toString('base64')}`;
const LOCAL_ENCRYPTION_KEYS = `local:${Buffer.from('local-encryption-key-32-bytes-do').toString('base64')}`;
const DUMMY_AWS = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
  // Deployed functions run Node.js 22; the SDK's notice about older local Node versions is noise here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface StackOptions {
  apiPort: number;
  lambdaPort: number;
  dynamodbPort: number;
  sesPort: number;
  /** The local EventBridge (event sink); a free port when absent. */
  eventsPort?: number;
  /** The local phone (infra/local/phone.ts); a free port when absent. */
  smsPort?: number;
  adminApiKey: string;
  tableName: string;
  /** Folder that keeps DynamoDB Local's data across restarts; in memory when absent. */
  dataDir?: string;
  /**
   * Email users when their factors change (npm start does; the test harness does not, since every user its tests
   * enroll would get mail: the notifier's own tests drive its handler).
   */
  securityNotifications?: boolean;
  /** Run the hourly sweep schedule (npm start does; tests run the sweep themselves and must not be raced). */
  sweepSchedule?: boolean;
  /** Port of the local MFA result receiver (infra/local/result-receiver.ts), whose origin joins RESULT_URL_ORIGINS; none when absent. */
  resultReceiverPort?: number;
}

export interface Stack {
  apiUrl: string;
  lambdaEndpoint: string;
  dynamodbEndpoint: string;
  sesEndpoint: string;
  /** The local EventBridge: `GET <eventsUrl>/events` lists the lifecycle events published (`npm run events`). */
  eventsUrl: string;
  /** The local phone: `GET <phoneUrl>/messages` lists the texts and calls sent, `<phoneUrl>/` shows them. */
  phoneUrl: string;
  tableName: string;
  adminApiKey: string;
  /** Where the local result receiver takes the login page's POST (`result_url`), when it runs. */
  resultReceiverUrl?: string;
  /** The environment the functions run with (also handy for in-process tests). */
  functionEnv: Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * The local admin key: ADMIN_API_KEY when set, else a random one made on first start and kept in `<dataDir>/admin-key`
 * (owner-only), so it lasts as long as the data it guards. `npm start` prints it; `npm run mfa` and the like read it.
 */
export function localAdminApiKey(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.ADMIN_API_KEY) return env.ADMIN_API_KEY;
  const file = join(dataDir, 'admin-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another local command made it first: theirs is the key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  return key;
}

export function stackOptionsFromEnv(env: NodeJS.ProcessEnv, dataDir = join(LOCAL_DIR, 'data')): StackOptions {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${name} must be a port number`);
    return value;
  };
  return {
    apiPort: port('PORT', 3000),
    lambdaPort: port('LAMBDA_PORT', 3002),
    dynamodbPort: port('DYNAMODB_PORT', 8000),
    sesPort: port('SES_PORT', 8005),
    eventsPort: port('EVENTS_PORT', 8010),
    smsPort: port('SMS_PORT', 8015),
    adminApiKey: localAdminApiKey(env, dataDir),
    tableName: env.TABLE_NAME ?? 'mfa-tickets-local-tickets',
    dataDir,
    resultReceiverPort: port('RESULT_RECEIVER_PORT', 5173),
    securityNotifications: true,
  };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const ports: Array<[string, number]> = [
    ['PORT (API)', options.apiPort],
    ['LAMBDA_PORT (Lambda invoke endpoint)', options.lambdaPort],
    ['DYNAMODB_PORT (DynamoDB Local)', options.dynamodbPort],
    ['SES_PORT (SES emulator)', options.sesPort],
    ...(options.resultReceiverPort ? [['RESULT_RECEIVER_PORT (MFA result receiver)', options.resultReceiverPort] as [string, number]] : []),
  ];
  const eventsPort = options.eventsPort ?? (await freePort());
  ports.push(['EVENTS_PORT (local EventBridge)', eventsPort]);
  const smsPort = options.smsPort ?? (await freePort());
  ports.push(['SMS_PORT (local phone)', smsPort]);
  for (const [name, port] of ports) {
    if (!(await portIsFree(port))) {
      throw new Error(`Port ${port} is already in use; set ${name.split(' ')[0]} to another port (it is for ${name}).`);
    }
  }

  const services: Service[] = [];
  /** The table-stream consumers the pollers run (each its own filter and batch size, as serverless.yml wires them). */
  const consumers: Array<{ poller: StreamPoller; invoke: ReturnType<typeof lambdaInvoker> }> = [];
  let sink: EventSink | undefined;
  let phone: LocalPhone | undefined;
  let receiver: ResultReceiver | undefined;
  const stop = async () => {
    await receiver?.close();
    for (const consumer of consumers) await consumer.poller.stop();
    for (const consumer of consumers) consumer.invoke.close();
    await sink?.close();
    await phone?.close();
    await Promise.all(services.reverse().map((s) => stopService(s)));
  };
  try {
    const dynamodbEndpoint = `http://127.0.0.1:${options.dynamodbPort}`;
    const sesEndpoint = `http://127.0.0.1:${options.sesPort}`;
    const apiUrl = `http://localhost:${options.apiPort}`;

    const dynamodb = startDynamoDbLocal(options.dynamodbPort, options.dataDir);
    services.push(dynamodb);
    const ses = startService('aws-ses-v2-local', bin('aws-ses-v2-local'), ['--port', String(options.sesPort), '--host', '127.0.0.1']);
    services.push(ses);

    const client = new DynamoDBClient({ endpoint: dynamodbEndpoint, region: DUMMY_AWS.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    // The JVM's start takes 2 s on an idle machine, but over 20 s on a busy 2-core one (a test run packaging templates).
    await waitFor(dynamodb, httpAnswers(dynamodbEndpoint), 90_000);
    await ensureTable(client, options.tableName);
    client.destroy();
    await waitFor(ses, httpAnswers(`${sesEndpoint}/health-check`), 15_000);
    sink = await startEventSink(eventsPort, DUMMY_AWS.AWS_REGION);
    phone = await startLocalPhone(smsPort);

    const resultSigningKeys = process.env.RESULT_SIGNING_KEYS ?? localResultSigningKeys();
    const functionEnv: Record<string, string> = {
      ...DUMMY_AWS,
      STAGE: 'local',
      LOCAL_MODE: 'true',
      TABLE_NAME: options.tableName,
      PUBLIC_BASE_URL: apiUrl,
      RESULT_URL_ORIGINS: [
        process.env.RESULT_URL_ORIGINS ?? `${apiUrl},http://localhost:5173`,
        options.resultReceiverPort ? `http://localhost:${options.resultReceiverPort}` : '',
      ].filter(Boolean).join(','),
      ADMIN_API_KEY_HASHES: hashAdminKey(options.adminApiKey).toString('hex'),
      TICKET_SIGNING_KEYS: process.env.TICKET_SIGNING_KEYS ?? LOCAL_SIGNING_KEYS,
      ENCRYPTION_KEYS: process.env.ENCRYPTION_KEYS ?? LOCAL_ENCRYPTION_KEYS,
      RESULT_SIGNING_KEYS: resultSigningKeys,
      // Derived here as the operator derives the deployed value (README "Keys"): the JWKS and verify functions' keys.
      RESULT_PUBLIC_KEYS: resultPublicKeysOf(resultSigningKeys),
      DYNAMODB_ENDPOINT: dynamodbEndpoint,
      SES_ENDPOINT: sesEndpoint,
      EVENTBRIDGE_ENDPOINT: sink.url,
      // The phone factor's sender (docs/PHONE.md): the local phone, any origination identity, the local countries.
      PHONE_ENDPOINT: phone.url,
      PHONE_ORIGINATION_IDENTITY: process.env.PHONE_ORIGINATION_IDENTITY ?? '+12065550100',
      PHONE_ALLOWED_COUNTRIES: process.env.PHONE_ALLOWED_COUNTRIES ?? 'US,CA,GB,FR,DE,ES,BR',
      EMAIL_FROM: process.env.EMAIL_FROM ?? 'tickets@localhost.test',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // Locally a factor switch shows at once (deployed: cached up to 30 s per function container).
      FACTOR_SWITCHES_CACHE_SEC: process.env.FACTOR_SWITCHES_CACHE_SEC ?? '0',
    };
    const offline = startService(
      'serverless-offline',
      bin('serverless'),
      ['offline', 'start', '--stage', 'local', '--localEnvironment'],
      { env: {
        ...process.env,
        ...functionEnv,
        PORT: String(options.apiPort),
        LAMBDA_PORT: String(options.lambdaPort),
        ESBUILD_WORK_FOLDER: `.esbuild/api-${options.apiPort}`,
        SWEEP_SCHEDULE_ENABLED: String(options.sweepSchedule ?? true),
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      }, cwd: ROOT },
    );
    services.push(offline);
    // Ready when a route answers through a real handler (401 without a key).
    // Generous: bundling every function on a busy 2-core machine has taken over 90 s.
    await waitFor(offline, async () => (await fetch(`${apiUrl}/tickets/x`, { signal: AbortSignal.timeout(2000) })).status === 401, 240_000);

    // serverless-offline emulates no DynamoDB stream: a poller per consumer hands it the table's stream, with the
    // filter file and batch size serverless.yml gives it (docs/EMAIL.md, EVENTS.md, HISTORY.md).
    const lambdaEndpoint = `http://127.0.0.1:${options.lambdaPort}`;
    const streamConsumers: Array<{ fn: string; label: string; filter: FilterPattern[]; batchSize?: number }> = [
      { fn: MAILER_FUNCTION, label: 'mailer', filter: [emailStreamFilter] },
      { fn: EVENTS_FUNCTION, label: 'lifecycle-events', filter: lifecycleStreamFilter as unknown as FilterPattern[], batchSize: 50 },
      { fn: HISTORY_FUNCTION, label: 'mfa-history', filter: lifecycleStreamFilter as unknown as FilterPattern[], batchSize: 50 },
      ...(options.securityNotifications
        ? [{ fn: NOTIFIER_FUNCTION, label: 'security-notifications', filter: securityNotificationStreamFilter as unknown as FilterPattern[], batchSize: 10 }]
        : []),
    ];
    for (const { fn, label, filter, batchSize } of streamConsumers) {
      const invoke = lambdaInvoker(lambdaEndpoint, fn);
      // Loads the function now (config, templates): the first email or event is quick.
      const warm = await invoke({ Records: [] });
      if (!warm.ok) throw new Error(`The ${label} consumer ${fn} failed to start: ${warm.error}`);
      const poller = new StreamPoller({
        dynamodbEndpoint,
        tableName: options.tableName,
        invoke,
        filterPatterns: filter,
        ...(batchSize ? { batchSize, log: (message: string) => process.stderr.write(`[${label}] ${message}\n`) } : {}),
      }).start();
      consumers.push({ poller, invoke });
    }
    if (options.resultReceiverPort) receiver = await startResultReceiver({ port: options.resultReceiverPort, apiUrl });

    return {
      apiUrl,
      lambdaEndpoint,
      dynamodbEndpoint,
      sesEndpoint,
      eventsUrl: sink.url,
      phoneUrl: phone.url,
      tableName: options.tableName,
      adminApiKey: options.adminApiKey,
      resultReceiverUrl: receiver?.resultUrl,
      functionEnv,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
