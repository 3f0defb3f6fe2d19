import { createRequire } from 'node:module';
import { afterEach, inject } from 'vitest';
import { contractProblems, expectContract } from './contract';

/**
 * Every answer the integration tests get from the local stack's API is checked against docs/openapi.json
 * (test/support/contract.ts): through `fetch` (api(), page(), the vendor SDK, direct calls) and through the vendor
 * device client's superagent. An undocumented route, status or body fails the test that received it.
 */
const { apiUrl } = inject('stack');

const realFetch = globalThis.fetch;
globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const response = await realFetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith(apiUrl)) return response;
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  expectContract(method, url, response.status, response.headers.get('content-type'), await response.clone().text());
  return response;
};

// auth0-guardian-js calls superagent 3 with a callback: its answers are checked there, and a breach fails the test after it.
const superagent = createRequire(createRequire(import.meta.url).resolve('auth0-guardian-js'))('superagent') as {
  Request: { prototype: { end(callback: (err: any, res: any) => void): unknown; method: string; url: string } };
};
const breaches: string[] = [];
const end = superagent.Request.prototype.end;
superagent.Request.prototype.end = function (this: { method: string; url: string }, callback) {
  return end.call(this, (err: any, res: any) => {
    const answer = res ?? err?.response;
    if (answer && String(this.url).startsWith(apiUrl)) {
      breaches.push(...contractProblems(this.method, this.url, answer.status, answer.headers?.['content-type'] ?? null, answer.text ?? ''));
    }
    callback(err, res);
  });
};

afterEach(() => {
  const found = breaches.splice(0);
  if (found.length > 0) throw new Error(`contract (device client): ${found.join('; ')}`);
});
