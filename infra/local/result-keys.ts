import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOCAL_DIR } from './dynamodb-local';

const KEY_FILE = join(LOCAL_DIR, 'result-signing-keys');

/** A new `RESULT_SIGNING_KEYS` value: one P-256 key, `kid:<base64 PKCS#8 DER>` (what README "MFA at login" has you make). */
export function newResultSigningKeys(kid = `local-${Date.now().toString(36)}`): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return `${kid}:${privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`;
}

/**
 * The local stack's result signing key: generated on first use and kept in .local/ (git-ignored), so results and
 * the JWKS stay the same across restarts of `npm start`. Never deployed: stages read theirs from Secrets Manager.
 */
export function localResultSigningKeys(file = KEY_FILE): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const keys = newResultSigningKeys();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${keys}\n`, { mode: 0o600 });
  return keys;
}

/**
 * The `RESULT_PUBLIC_KEYS` value for a `RESULT_SIGNING_KEYS` value: each key's public half, same kid, same order
 * (`kid:<base64 SPKI DER>`). What the JWKS and verify functions get instead of the private keys.
 */
export function resultPublicKeysOf(signingKeys: string): string {
  return signingKeys
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [kid, der] = entry.split(':');
      const privateKey = createPrivateKey({ key: Buffer.from(der ?? '', 'base64'), format: 'der', type: 'pkcs8' });
      return `${kid}:${createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64')}`;
    })
    .join(',');
}
