import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, stack } from '../support/stack';

describe('the OpenAPI contract on the local stack', () => {
  it('GET /openapi.json serves the committed docs/openapi.json, readable from any origin', async () => {
    const res = await fetch(`${stack.apiUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')));
  });

  it('every answer is checked against it: one from a route the document does not list fails the caller', async () => {
    await expect(fetch(`${stack.apiUrl}/not-a-route`)).rejects.toThrow(/contract: GET \/not-a-route is not in docs\/openapi.json/);
    await expect(api('PUT', '/tickets/tkt_x')).rejects.toThrow(/contract/);
  });
});
