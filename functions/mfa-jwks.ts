import { getConfig, resultPublicConfig } from '../lib/config';
import type { HttpHandler } from '../lib/http';
import { jwks } from '../lib/mfa/result-token';

/** Public keys only (RESULT_PUBLIC_KEYS): this public function holds no private key. */
const config = resultPublicConfig(getConfig());
/** Computed once per cold start: the keys only change with a deploy. */
const body = jwks(config.resultPublicKeys).then((set) => JSON.stringify(set));

/**
 * GET /.well-known/jwks.json (public): the keys that verify MFA results. Cacheable for 5 minutes, so a key rotated in
 * is seen by apps soon after the deploy that adds it (add it second, let caches turn over, then move it first).
 */
export const handler: HttpHandler = async () => ({
  statusCode: 200,
  headers: {
    'content-type': 'application/jwk-set+json',
    'cache-control': 'public, max-age=300',
    'x-content-type-options': 'nosniff',
    'access-control-allow-origin': '*',
  },
  body: await body,
});
