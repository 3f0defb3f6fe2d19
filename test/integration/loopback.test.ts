import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stack } from '../support/stack';

/** Local addresses of the sockets listening on `port` (Linux /proc/net/tcp and tcp6, hex as the kernel writes it). */
function listeners(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A = LISTEN
      const [address, hexPort] = local.split(':');
      if (parseInt(hexPort!, 16) === port) found.push(address!);
    }
  }
  return found;
}

/** 127.0.0.1 (as IPv4, or IPv4-mapped IPv6) and ::1, in /proc's byte order. */
const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F', '00000000000000000000000001000000']);

describe('the local stack listens on loopback only (its credentials and admin key are public)', () => {
  const port = (url: string) => Number(new URL(url).port);
  it.each([
    ['DynamoDB Local', () => port(stack.dynamodbEndpoint)],
    ['the SES emulator', () => port(stack.sesEndpoint)],
    ['the HTTP API (serverless-offline)', () => port(stack.apiUrl)],
    ['the Lambda invoke endpoint (serverless-offline)', () => port(stack.lambdaEndpoint)],
  ])('%s', (_, portOf) => {
    const addresses = listeners(portOf());
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(LOOPBACK, `listening on ${address}`).toContain(address);
  });
});
