import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startService, stopService, waitFor, type Service } from '../../infra/local/processes';

/**
 * The local API answers a failed invocation as API Gateway's HTTP API does deployed. The handlers of this fixture fail
 * on purpose; it runs on the same serverless-offline, with the same runner settings and the same patch
 * (patches/serverless-offline+*.patch), as `npm start`.
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'offline-failures');
const ROOT = join(__dirname, '..', '..');

let offline: Service;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  offline = startService('serverless-offline (failures fixture)', join(ROOT, 'node_modules', '.bin', 'serverless'), ['offline', 'start'], {
    cwd: FIXTURE,
    env: {
      ...process.env,
      PORT: String(port),
      LAMBDA_PORT: String(await freePort()),
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
  });
  await waitFor(offline, async () => (await fetch(`${base}/ok`, { signal: AbortSignal.timeout(2000) })).status === 200, 60_000);
}, 90_000);

afterAll(async () => {
  if (offline) await stopService(offline);
});

async function get(path: string) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}

describe('the local API answers failures as API Gateway does, never as a 2xx', () => {
  it('a handler that throws synchronously: 500 {"message":"Internal Server Error"}', async () => {
    expect(await get('/throws')).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
  });

  it('a handler whose promise rejects: 500 {"message":"Internal Server Error"}', async () => {
    expect(await get('/rejects')).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
  });

  it('a handler that runs past its timeout: 503 {"message":"Service Unavailable"}', async () => {
    expect(await get('/times-out')).toEqual({ status: 503, body: { message: 'Service Unavailable' } });
  });

  it('failures under concurrency stay failures: 30 mixed requests, every answer matches its route', async () => {
    const paths = Array.from({ length: 30 }, (_, i) => ['/ok', '/throws', '/rejects'][i % 3]!);
    const answers = await Promise.all(paths.map(get));
    answers.forEach((answer, i) => {
      expect(answer.status, paths[i]).toBe(paths[i] === '/ok' ? 200 : 500);
    });
  });
});
