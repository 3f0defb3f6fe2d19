import { parseArgs } from 'node:util';
import { stackOptionsFromEnv } from './stack';

/**
 * `npm run mfa -- --user-id <id> [--state s] [--nonce n] [--locale fr] [--result-url <url>]`: with `npm start`
 * running, creates an MFA challenge for an enrolled user through the admin API and prints its `challenge_url`. Open it,
 * enter a code from the authenticator app (or a recovery code): the page POSTs the signed result to the local result
 * receiver, which verifies it against the JWKS and shows the claims.
 */
const USAGE = 'usage: npm run mfa -- --user-id <id> [--state <s>] [--nonce <n>] [--locale <tag>] [--ttl-sec <60..900>] [--result-url <url>]';

async function main() {
  const { values } = parseArgs({
    options: {
      'user-id': { type: 'string' },
      'state': { type: 'string' },
      'nonce': { type: 'string' },
      'locale': { type: 'string' },
      'ttl-sec': { type: 'string' },
      'result-url': { type: 'string' },
    },
  });
  const userId = values['user-id'];
  if (!userId) throw new Error(USAGE);
  const options = stackOptionsFromEnv(process.env);
  const apiUrl = `http://localhost:${options.apiPort}`;
  const resultUrl = values['result-url'] ?? `http://localhost:${options.resultReceiverPort}/result`;
  const res = await fetch(`${apiUrl}/api/v2/mfa/challenges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.adminApiKey}` },
    body: JSON.stringify({
      user_id: userId,
      result_url: resultUrl,
      state: values.state ?? 'local-demo',
      nonce: values.nonce,
      email_locale: values.locale,
      ttl_sec: values['ttl-sec'] === undefined ? undefined : Number(values['ttl-sec']),
    }),
  }).catch(() => {
    throw new Error(`No API at ${apiUrl}: start the local stack first (npm start).`);
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`POST /api/v2/mfa/challenges answered ${res.status}: ${JSON.stringify(body)}`);
  process.stdout.write(
    [
      `challenge_id:  ${body.challenge_id}`,
      `factors:       ${(body.factors as string[]).join(', ')}`,
      `expires_at:    ${body.expires_at}`,
      `result_url:    ${resultUrl}`,
      `status:        curl -s ${apiUrl}/api/v2/mfa/challenges/${body.challenge_id} -H 'authorization: Bearer ${options.adminApiKey}'`,
      '',
      `challenge_url: ${body.challenge_url}`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`npm run mfa failed: ${err.message}\n`);
  process.exit(1);
});
