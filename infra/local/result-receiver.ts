import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/**
 * The local stack's stand-in for an app (never deployed): `POST /result` receives the form the hosted login page
 * POSTs (`signature`, `state`), verifies the signature against the API's JWKS exactly as an app would (issuer = the
 * API, audience = this origin), and shows the claims, so a person sees the whole loop in a browser. Its origin is on
 * the local RESULT_URL_ORIGINS allow-list.
 */
export interface ResultReceiver {
  url: string;
  resultUrl: string;
  close: () => Promise<void>;
}

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem auto;max-width:44rem;padding:0 1rem}pre{background:#f4f4f6;padding:1rem;overflow:auto}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

export function startResultReceiver(options: { port: number; apiUrl: string }): Promise<ResultReceiver> {
  const origin = `http://localhost:${options.port}`;
  const jwks = createRemoteJWKSet(new URL(`${options.apiUrl}/.well-known/jwks.json`));
  const server: Server = createServer((req, res) => {
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      res.end(html);
    };
    if (req.method === 'GET') {
      return send(200, page('Local result receiver', `<p>Create a challenge with <code>result_url: "${escape(origin)}/result"</code> (<code>npm run mfa -- --user-id &lt;id&gt;</code> does); after the login page, the result lands here.</p>`));
    }
    if (req.method !== 'POST' || !req.url?.startsWith('/result')) return send(404, page('Not found', ''));
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
      if (raw.length > 64 * 1024) req.destroy();
    });
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      const signature = form.get('signature') ?? '';
      const state = form.get('state');
      jwtVerify(signature, jwks, { issuer: options.apiUrl, audience: origin, algorithms: ['ES256'] }).then(
        ({ payload, protectedHeader }) =>
          send(200, page('MFA result verified', `<p data-testid="result" data-verified="true">Signature verified with the JWKS (kid <code>${escape(String(protectedHeader.kid))}</code>).</p>
<p>state: <code data-testid="state">${escape(state ?? '')}</code></p><pre data-testid="claims">${escape(JSON.stringify(payload, null, 2))}</pre>`)),
        (err: Error) => send(400, page('MFA result refused', `<p data-testid="result" data-verified="false">${escape(err.name)}: ${escape(err.message)}</p>`)),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () =>
      resolve({ url: origin, resultUrl: `${origin}/result`, close: () => new Promise((done) => server.close(() => done())) }),
    );
  });
}
