import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/processes';
import { startStack } from '../../infra/local/stack';

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
