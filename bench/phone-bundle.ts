/**
 * What parsing phone numbers and sending codes cost a function: minified bundle bytes and `require()` time of small
 * entry points built with serverless.yml's `custom.esbuild` flags (docs/PHONE.md "Bundle"). Run:
 * `npx tsx bench/phone-bundle.ts` (about a minute; init times are medians of 7 fresh processes, noisy on a busy machine).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { phoneMetadata } from '../infra/phone-metadata';
import { ROOT } from './serverless-config';
import { median, round } from './stats';

/** serverless.yml `custom.esbuild` (bundle, minify, mainFields, target, platform, format, exclude). */
const FLAGS = {
  bundle: true,
  minify: true,
  mainFields: ['module', 'main'],
  target: 'node22',
  platform: 'node' as const,
  format: 'cjs' as const,
  external: [
    '@aws-sdk/credential-provider-sso', '@aws-sdk/credential-provider-ini', '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-web-identity', '@aws-sdk/credential-provider-http', '@smithy/credential-provider-imds',
  ],
};

const parseWith = (metadataImport: string, parse: string) => `${metadataImport}
export const parse = (n) => { const p = ${parse}; return [p.number, p.isValid(), p.getType()]; };`;

const LOCAL = ['US', 'CA', 'GB', 'FR', 'DE', 'ES', 'BR'];

function entries(dir: string): Array<{ name: string; source: string }> {
  const localFile = join(dir, 'metadata.local.json');
  writeFileSync(localFile, JSON.stringify(phoneMetadata(LOCAL)));
  const core = `import { parsePhoneNumberWithError } from 'libphonenumber-js/core';`;
  return [
    { name: 'libphonenumber-js/min', source: parseWith(`import { parsePhoneNumberWithError } from 'libphonenumber-js/min';`, 'parsePhoneNumberWithError(n)') },
    { name: 'libphonenumber-js/mobile', source: parseWith(`import { parsePhoneNumberWithError } from 'libphonenumber-js/mobile';`, 'parsePhoneNumberWithError(n)') },
    { name: 'libphonenumber-js/max', source: parseWith(`import { parsePhoneNumberWithError } from 'libphonenumber-js/max';`, 'parsePhoneNumberWithError(n)') },
    { name: '/core + max metadata of the 7 local countries (33 with their calling codes)', source: parseWith(`${core} import m from ${JSON.stringify(localFile)};`, 'parsePhoneNumberWithError(n, m)') },
    { name: '/core + the bundled metadata (lib/factors/phone/metadata.json)', source: parseWith(`${core} import m from './lib/factors/phone/metadata.json';`, 'parsePhoneNumberWithError(n, m)') },
    { name: 'End User Messaging client alone (SendTextMessage)', source: `import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
export const send = (n) => new PinpointSMSVoiceV2Client({}).send(new SendTextMessageCommand({ DestinationPhoneNumber: n, MessageBody: 'x' }));` },
    { name: 'parse + send (lib/factors/phone number.ts + send.ts)', source: `import { parsePhoneNumber } from './lib/factors/phone/number';
import { phoneClient, sendPhoneCode } from './lib/factors/phone/send';
const client = phoneClient({});
export const handler = (n) => sendPhoneCode(client, { originationIdentity: 'x' }, { to: parsePhoneNumber(n, { field: 'phone_number', channel: 'sms', allowedCountries: new Set(['US']) }).e164, channel: 'sms', locale: 'en', code: '123456', purpose: 'login' }, { addMetric() {} });` },
    { name: 'parse + send + send limits on DynamoDB + Powertools metrics (a send function\'s phone part)', source: `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { parsePhoneNumber, numberKey } from './lib/factors/phone/number';
import { phoneClient, sendPhoneCode } from './lib/factors/phone/send';
import { PhoneSendLimiter, DEFAULT_PHONE_SEND_LIMITS } from './lib/factors/phone/send-limits';
const client = phoneClient({});
const metrics = new Metrics({ namespace: 'x' });
const limiter = new PhoneSendLimiter(DynamoDBDocumentClient.from(new DynamoDBClient({})), 't', DEFAULT_PHONE_SEND_LIMITS);
export const handler = async (n, keys) => { const to = parsePhoneNumber(n, { field: 'phone_number', channel: 'sms', allowedCountries: new Set(['US']) }).e164;
  await limiter.take({ number: numberKey(to, keys), user: 'u' }, Date.now());
  return sendPhoneCode(client, { originationIdentity: 'x' }, { to, channel: 'sms', locale: 'en', code: '123456', purpose: 'login' }, metrics); };` },
  ];
}

const CHILD = `const t0 = process.hrtime.bigint(); require(process.argv[1]); process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));`;

function initMs(file: string, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const run = spawnSync(process.execPath, ['-e', CHILD, file], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    if (run.status !== 0) throw new Error(run.stderr.slice(0, 300));
    times.push(Number(run.stdout));
  }
  return median(times);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'phone-bundle-'));
  try {
    process.stdout.write('| entry point | minified bytes | KB | require() ms (median of 7) |\n|---|---:|---:|---:|\n');
    for (const [i, entry] of entries(dir).entries()) {
      const outfile = join(dir, `entry-${i}.js`);
      await build({ ...FLAGS, stdin: { contents: entry.source, resolveDir: ROOT, sourcefile: `entry-${i}.ts`, loader: 'ts' }, outfile, logLevel: 'silent', absWorkingDir: ROOT });
      const bytes = statSync(outfile).size;
      process.stdout.write(`| ${entry.name} | ${bytes} | ${round(bytes / 1024, 0)} | ${round(initMs(outfile), 1)} |\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
