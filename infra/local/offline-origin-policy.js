// The local API's origin policy (docs/LOCAL-STACK.md "Other origins"), a plugin of `serverless offline` only: it does
// nothing when packaging or deploying. serverless-offline, with no CORS configured, echoes any request's Origin with
// credentials allowed and answers every preflight; deployed, API Gateway sends no CORS header at all. So a page on
// another origin that a developer visits while `npm start` runs could read the local API's answers and send it
// requests. Here, on every server serverless-offline starts (the API and its Lambda invoke endpoint):
// - a request from another origin is refused with 403 `forbidden_origin` before any handler runs when it is a
//   preflight, any method other than GET or HEAD (a text/plain POST needs no preflight, so a missing CORS header alone
//   would not stop it), or any admin route;
// - no answer allows credentials, and none echoes an origin: only a handler's own `*` (the JWKS) is kept.
// Requests without an Origin (curl, tests, the device SDK, the local tools) and from the API's own pages pass as before.
'use strict';

/** Routes of the admin API (serverless.yml): never answered to another origin, whatever the method. */
const ADMIN_PATHS = [/^\/api\//, /^\/tickets(\/|$)/];
const SAFE_METHODS = new Set(['get', 'head']);

/** The origins whose pages may call a local server: itself by either loopback name, and PUBLIC_BASE_URL. */
function ownOrigins(port) {
  const origins = new Set([`http://localhost:${port}`, `http://127.0.0.1:${port}`]);
  try {
    if (process.env.PUBLIC_BASE_URL) origins.add(new URL(process.env.PUBLIC_BASE_URL).origin);
  } catch {
    // Not a URL: the functions refuse it at load; nothing to add here.
  }
  return origins;
}

function refuses(request) {
  const origin = request.headers.origin;
  if (origin === undefined || ownOrigins(request.server.info.port).has(origin)) return false;
  return request.method === 'options' || !SAFE_METHODS.has(request.method) || ADMIN_PATHS.some((p) => p.test(request.path));
}

function install(server) {
  server.ext('onRequest', (request, h) => {
    if (!refuses(request)) return h.continue;
    request.app.forbiddenOrigin = true;
    return h
      .response({ error: 'forbidden_origin', message: 'origin: the local API answers only its own pages and clients that send no Origin' })
      .code(403)
      .takeover();
  });
  // Registered after serverless-offline's own onPreResponse extension, so it runs after it and has the last word.
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    const headers = response.isBoom ? response.output.headers : response.headers;
    if (!headers) return h.continue;
    // serverless-offline's extension turns any preflight's answer into a 200: a refusal stays one.
    if (request.app.forbiddenOrigin) response.statusCode = 403;
    delete headers['access-control-allow-credentials'];
    if (headers['access-control-allow-origin'] !== '*') {
      for (const name of Object.keys(headers)) if (name.toLowerCase().startsWith('access-control-')) delete headers[name];
    }
    return h.continue;
  });
}

let patched = false;

/** Every hapi server of this process gets the policy when it starts (serverless-offline keeps its servers private). */
function patchHapi() {
  if (patched) return;
  patched = true;
  const Hapi = require('@hapi/hapi');
  const prototype = Object.getPrototypeOf(Hapi.server());
  const start = prototype.start;
  const installed = new WeakSet();
  prototype.start = function startWithOriginPolicy(...args) {
    if (!installed.has(this)) {
      installed.add(this);
      install(this);
    }
    return start.apply(this, args);
  };
}

class OfflineOriginPolicy {
  constructor() {
    this.hooks = { 'before:offline:start': patchHapi, 'before:offline:start:init': patchHapi };
  }
}

module.exports = OfflineOriginPolicy;
