import document from '../docs/openapi.json';
import type { HttpHandler } from '../lib/http';

/** Serialized once per cold start: the committed document is bundled as it is (no schema library, no generator). */
const body = JSON.stringify(document);

/**
 * GET /openapi.json (public): the OpenAPI 3.1 contract, generated from the code by `npm run openapi` and checked to be
 * current by the tests. Cacheable for 5 minutes; readable from any origin so API tools and client generators can fetch it.
 */
export const handler: HttpHandler = async () => ({
  statusCode: 200,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'public, max-age=300',
    'x-content-type-options': 'nosniff',
    'access-control-allow-origin': '*',
  },
  body,
});
