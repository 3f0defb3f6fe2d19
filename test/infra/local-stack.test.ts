import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/processes';
import { stackOptionsFromEnv, startStack } from '../../infra/local/stack';

describe('local stack', () => {
  it('refuses a busy port with a message naming the variable to change, before starting anything', async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen({ port: 0, host: '127.0.0.1' }, () => resolve((busy.address() as { port: number }).port)),
    );
    try {
      await expect(
        startStack({
          apiPort: port,
          lambdaPort: await freePort(),
          dynamodbPort: await freePort(),
          sesPort: await freePort(),
          adminApiKey: 'x'.repeat(20),
          tableName: 't',
        }),
      ).rejects.toThrow(`Port ${port} is already in use; set PORT to another port`);
    } finally {
      busy.close();
    }
  });
});

describe('local admin key', () => {
  it('is random per data folder, kept in <data>/admin-key readable by the owner only, and stable across restarts', () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'local-data-')), mkdtempSync(join(tmpdir(), 'local-data-'))];
    try {
      const [a, b] = dirs.map((dir) => stackOptionsFromEnv({}, dir).adminApiKey);
      expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(b).not.toBe(a);
      expect(stackOptionsFromEnv({}, dirs[0]).adminApiKey).toBe(a);
      expect(readFileSync(join(dirs[0]!, 'admin-key'), 'utf8').trim()).toBe(a);
      expect(statSync(join(dirs[0]!, 'admin-key')).mode & 0o777).toBe(0o600);
      expect(a).not.toBe('local-admin-key-do-not-deploy');
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is ADMIN_API_KEY when set, and then nothing is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-data-'));
    try {
      expect(stackOptionsFromEnv({ ADMIN_API_KEY: 'my-own-local-admin-key' }, dir).adminApiKey).toBe('my-own-local-admin-key');
      expect(existsSync(join(dir, 'admin-key'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
