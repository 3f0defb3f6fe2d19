import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startService, stopService, waitFor } from '../../infra/local/processes';
import { stack } from './stack';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A second serverless-offline over the same DynamoDB Local, built with an operator's page template: exactly what an
 * operator does (`PAGE_TEMPLATE=<file> npx serverless deploy`), since the template is chosen when functions are bundled.
 */
export async function startOfflineWithPageTemplate(pageTemplate: string): Promise<{ apiUrl: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const lambdaPort = await freePort();
  const apiUrl = `http://localhost:${port}`;
  const workFolder = `.esbuild/operator-${port}`;
  const offline = startService(
    'serverless-offline (operator template)',
    join(ROOT, 'node_modules', '.bin', 'serverless'),
    ['offline', 'start', '--stage', 'local', '--localEnvironment'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...stack.functionEnv,
        PUBLIC_BASE_URL: apiUrl,
        PAGE_TEMPLATE: pageTemplate,
        PORT: String(port),
        LAMBDA_PORT: String(lambdaPort),
        ESBUILD_WORK_FOLDER: workFolder,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      },
    },
  );
  const stop = async () => {
    await stopService(offline);
    rmSync(join(ROOT, workFolder), { recursive: true, force: true });
  };
  try {
    await waitFor(offline, async () => (await fetch(`${apiUrl}/enroll`, { signal: AbortSignal.timeout(2000) })).status === 404, 240_000); // bundling every function on a busy 2-core machine has taken over 90 s
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, stop };
}
