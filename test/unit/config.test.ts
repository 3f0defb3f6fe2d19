import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { getConfig, loadConfig, resultPublicConfig } from '../../lib/config';
import { newResultSigningKeys, resultPublicKeysOf } from '../../infra/local/result-keys';

const key = Buffer.alloc(32, 1).toString('base64');
const valid = {
  STAGE: 'prod',
  TABLE_NAME: 't',
  TICKET_SIGNING_KEYS: `s2:${key},s1:${key}`,
  ENCRYPTION_KEYS: `e1:${key}`,
  ADMIN_API_KEY_HASHES: 'a'.repeat(64),
};

describe('configuration', () => {
  it('loads a complete environment, first key current', () => {
    const config = loadConfig({ ...valid, PUBLIC_BASE_URL: 'https://mfa.example.com/', RESULT_URL_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.signingKeys.current.id).toBe('s2');
    expect([...config.signingKeys.byId.keys()]).toEqual(['s2', 's1']);
    expect(config.publicBaseUrl).toBe('https://mfa.example.com');
    expect(config.resultUrlOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.localMode).toBe(false);
    expect(config.adminKeyHashes).toHaveLength(1);
  });

  it('reads an optional expiry per admin key digest, for rotating a key out on a date', () => {
    const config = loadConfig({ ...valid, ADMIN_API_KEY_HASHES: `${'a'.repeat(64)},${'b'.repeat(64)}@2027-01-31T00:00:00Z` });
    expect(config.adminKeyHashes.map((k) => k.expiresAt)).toEqual([undefined, Date.parse('2027-01-31T00:00:00Z')]);
  });

  it.each([
    ['TABLE_NAME', { TABLE_NAME: undefined }],
    ['TICKET_SIGNING_KEYS', { TICKET_SIGNING_KEYS: undefined }],
    ['TICKET_SIGNING_KEYS', { TICKET_SIGNING_KEYS: `s1:${Buffer.alloc(16).toString('base64')}` }],
    ['TICKET_SIGNING_KEYS', { TICKET_SIGNING_KEYS: 'no-colon' }],
    ['ENCRYPTION_KEYS', { ENCRYPTION_KEYS: '' }],
    ['ADMIN_API_KEY_HASHES', { ADMIN_API_KEY_HASHES: 'not-a-digest' }],
    ['ADMIN_API_KEY_HASHES', { ADMIN_API_KEY_HASHES: undefined }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'not a url' }],
    ['ADMIN_API_KEY_HASHES', { ADMIN_API_KEY_HASHES: `${'a'.repeat(64)}@someday` }],
    // Deploy-time secrets left unresolved must fail loudly, not run with a literal placeholder.
    ['TICKET_SIGNING_KEYS', { TICKET_SIGNING_KEYS: '{{resolve:secretsmanager:x:SecretString:y}}' }],
  ])('refuses to start with a bad %s', (name, change) => {
    expect(() => loadConfig({ ...valid, ...change })).toThrow(name);
  });

  describe('key lengths: exactly 32 bytes, never truncated or padded', () => {
    it.each([
      ['33 bytes (was silently truncated for AES)', Buffer.alloc(33, 1).toString('base64')],
      ['48 bytes', Buffer.alloc(48, 1).toString('base64')],
      ['31 bytes', Buffer.alloc(31, 1).toString('base64')],
      ['base64 with a stray character that the decoder would skip', `${key.slice(0, 20)}!${key.slice(20)}`],
      ['base64 with trailing garbage', `${key}AAAA`],
      ['a hex key (64 characters decode to 48 bytes of base64)', 'ab'.repeat(32)],
    ])('refuses an encryption key of %s', (_, encoded) => {
      expect(() => loadConfig({ ...valid, ENCRYPTION_KEYS: `e1:${encoded}` })).toThrow(/ENCRYPTION_KEYS.*exactly 32 bytes/);
    });

    it('refuses a signing key that is not 32 bytes, and a ring naming one id twice', () => {
      expect(() => loadConfig({ ...valid, TICKET_SIGNING_KEYS: `s1:${Buffer.alloc(64, 2).toString('base64')}` })).toThrow(/TICKET_SIGNING_KEYS/);
      expect(() => loadConfig({ ...valid, TICKET_SIGNING_KEYS: `s1:${key},s1:${key}` })).toThrow(/twice/);
    });

    it('accepts 32 bytes as base64 or base64url, padded or not (what `openssl rand -base64 32` prints, and its url-safe form)', () => {
      const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i)); // has + and / in base64
      for (const encoded of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('base64').replace(/=+$/, '')]) {
        expect(loadConfig({ ...valid, ENCRYPTION_KEYS: `e1:${encoded}` }).encryptionKeys.current.secret).toEqual(bytes);
      }
    });
  });

  describe('each function holds only the key rings it names', () => {
    const { ADMIN_API_KEY_HASHES: _a, TICKET_SIGNING_KEYS: _s, ENCRYPTION_KEYS: _e, ...noKeys } = valid;

    it('loads without any ring when the function names none, and leaves the rings it was not given undefined', () => {
      const config = loadConfig(noKeys, []);
      expect(config.signingKeys).toBeUndefined();
      expect(config.encryptionKeys).toBeUndefined();
      expect(config.adminKeyHashes).toBeUndefined();
      expect(loadConfig({ ...noKeys, TICKET_SIGNING_KEYS: valid.TICKET_SIGNING_KEYS }, ['signingKeys']).signingKeys.current.id).toBe('s2');
    });

    it('fails loudly, naming the variable, when a ring the function needs is missing', () => {
      expect(() => loadConfig({ ...noKeys, TICKET_SIGNING_KEYS: valid.TICKET_SIGNING_KEYS }, ['signingKeys', 'encryptionKeys'])).toThrow(
        'ENCRYPTION_KEYS: is required by this function',
      );
      expect(() => loadConfig(noKeys, ['adminKeyHashes'])).toThrow('ADMIN_API_KEY_HASHES: is required by this function');
    });

    it('still validates a ring the function does not need: a malformed key is an error wherever it is set', () => {
      expect(() => loadConfig({ ...noKeys, ENCRYPTION_KEYS: 'e1:short' }, [])).toThrow(/ENCRYPTION_KEYS/);
    });
  });
});

describe('RESULT_PUBLIC_KEYS: the public halves of the result signing keys', () => {
  const spki = (curve = 'P-256') => generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

  it('parses "kid:base64 SPKI" P-256 keys, in order, and is what the signing ring derives to', () => {
    const signing = `${newResultSigningKeys('r2')},${newResultSigningKeys('r1')}`;
    const config = loadConfig({ ...valid, RESULT_SIGNING_KEYS: signing, RESULT_PUBLIC_KEYS: resultPublicKeysOf(signing) });
    expect(config.resultPublicKeys!.all.map((k) => k.id)).toEqual(['r2', 'r1']);
    config.resultPublicKeys!.all.forEach((published, i) => {
      const pair = config.resultSigningKeys!.all[i]!;
      expect(published.publicKey.equals(pair.publicKey)).toBe(true);
    });
  });

  it('refuses a private key (the variable is for functions that must not hold one), other curves, garbage and duplicate kids', () => {
    const [, privateDer] = newResultSigningKeys('r1').split(':');
    for (const bad of [`r1:${privateDer}`, `r1:${spki('P-384')}`, 'r1:bm90IGEga2V5', `r 1:${spki()}`, `r1:${spki()},r1:${spki()}`, `r1:${spki()}:x`]) {
      expect(() => loadConfig({ ...valid, RESULT_PUBLIC_KEYS: bad }), bad.slice(0, 12)).toThrow(/RESULT_PUBLIC_KEYS/);
    }
    // A deploy-time reference left unresolved fails too.
    expect(() => loadConfig({ ...valid, RESULT_PUBLIC_KEYS: '{{resolve:secretsmanager:x:SecretString:result_public_keys}}' })).toThrow(/RESULT_PUBLIC_KEYS/);
  });

  it('is required, loudly, by the functions that publish or check results, with the issuer', () => {
    expect(() => resultPublicConfig(loadConfig({ ...valid, PUBLIC_BASE_URL: 'https://mfa.example.com' }))).toThrow('RESULT_PUBLIC_KEYS: is required by this function');
    expect(() => resultPublicConfig(loadConfig({ ...valid, RESULT_PUBLIC_KEYS: `r1:${spki()}` }))).toThrow('PUBLIC_BASE_URL');
    expect(resultPublicConfig(loadConfig({ ...valid, PUBLIC_BASE_URL: 'https://mfa.example.com', RESULT_PUBLIC_KEYS: `r1:${spki()}` })).resultPublicKeys.all).toHaveLength(1);
  });
});

describe('handler cold starts with the environment serverless.yml gives each function', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.resetModules();
  });

  const RINGS = ['ADMIN_API_KEY_HASHES', 'TICKET_SIGNING_KEYS', 'ENCRYPTION_KEYS', 'RESULT_SIGNING_KEYS', 'RESULT_PUBLIC_KEYS'] as const;
  /** Imports a handler module afresh (its module scope is its cold start) with only the given key rings set. */
  async function coldStart(handler: string, rings: Partial<Record<(typeof RINGS)[number], true>>) {
    for (const name of RINGS) {
      if (!rings[name]) delete process.env[name];
    }
    vi.resetModules();
    return import(`../../functions/${handler}.ts`);
  }

  it.each([
    ['cleanup-expired-tickets', {}],
    ['revoke-ticket', { ADMIN_API_KEY_HASHES: true }],
    ['delete-enrollment', { ADMIN_API_KEY_HASHES: true }],
    ['get-ticket', { ADMIN_API_KEY_HASHES: true }],
    ['send-ticket', { ADMIN_API_KEY_HASHES: true }],
    ['create-ticket', { ADMIN_API_KEY_HASHES: true, TICKET_SIGNING_KEYS: true }],
    ['send-ticket-email', { TICKET_SIGNING_KEYS: true }],
    ['on-user-signup', { TICKET_SIGNING_KEYS: true }],
    ['enroll-start', { TICKET_SIGNING_KEYS: true, ENCRYPTION_KEYS: true }],
    ['enroll-confirm', { TICKET_SIGNING_KEYS: true, ENCRYPTION_KEYS: true }],
    // Public keys only where results are published or checked; the private ring only where they are signed.
    ['mfa-jwks', { RESULT_PUBLIC_KEYS: true }],
    ['verify-mfa-result', { ADMIN_API_KEY_HASHES: true, RESULT_PUBLIC_KEYS: true }],
    ['guardian-transaction-state', { TICKET_SIGNING_KEYS: true, RESULT_SIGNING_KEYS: true }],
  ] as const)('%s starts with only its own rings', async (handler, rings) => {
    await expect(coldStart(handler, rings)).resolves.toHaveProperty('handler');
  });

  it.each([
    ['enroll-start', { TICKET_SIGNING_KEYS: true }, 'ENCRYPTION_KEYS'],
    ['enroll-confirm', { ENCRYPTION_KEYS: true }, 'TICKET_SIGNING_KEYS'],
    ['create-ticket', { TICKET_SIGNING_KEYS: true }, 'ADMIN_API_KEY_HASHES'],
    ['list-enrollments', {}, 'ADMIN_API_KEY_HASHES'],
    ['send-ticket-email', {}, 'TICKET_SIGNING_KEYS'],
    ['mfa-jwks', { RESULT_SIGNING_KEYS: true }, 'RESULT_PUBLIC_KEYS'],
    ['verify-mfa-result', { ADMIN_API_KEY_HASHES: true, RESULT_SIGNING_KEYS: true }, 'RESULT_PUBLIC_KEYS'],
  ] as const)('%s refuses to start without a ring it uses', async (handler, rings, missing) => {
    await expect(coldStart(handler, rings)).rejects.toThrow(`${missing}: is required by this function`);
  });

  it('mfa-jwks publishes the keys of RESULT_PUBLIC_KEYS, a key published ahead of signing included', async () => {
    const signing = newResultSigningKeys('r1');
    const ahead = newResultSigningKeys('r2');
    process.env.RESULT_PUBLIC_KEYS = resultPublicKeysOf(`${ahead},${signing}`);
    const { handler } = await coldStart('mfa-jwks', { RESULT_PUBLIC_KEYS: true });
    const body = JSON.parse((await handler({})).body);
    expect(body.keys.map((k: { kid: string; alg: string; kty: string; crv: string; d?: string }) => [k.kid, k.alg, k.kty, k.crv, k.d])).toEqual([
      ['r2', 'ES256', 'EC', 'P-256', undefined],
      ['r1', 'ES256', 'EC', 'P-256', undefined],
    ]);
  });

  it('getConfig answers each function for its own rings only', () => {
    delete process.env.ENCRYPTION_KEYS;
    vi.resetModules();
    expect(() => getConfig('encryptionKeys')).toThrow('ENCRYPTION_KEYS');
  });
});

describe('WebAuthn relying party', () => {
  it('defaults the rp id to PUBLIC_BASE_URL\'s host and the origin to its origin; localhost works locally', () => {
    expect(loadConfig({ ...valid, PUBLIC_BASE_URL: 'https://mfa.example.com/' }).webauthn).toEqual({
      rpId: 'mfa.example.com', origin: 'https://mfa.example.com', rpName: 'mfa.example.com', userVerification: 'preferred',
    });
    expect(loadConfig({ ...valid, PUBLIC_BASE_URL: 'http://localhost:3000' }).webauthn).toMatchObject({ rpId: 'localhost', origin: 'http://localhost:3000' });
  });

  it('accepts a registrable parent of the host as rp id, and the user verification setting', () => {
    const config = loadConfig({ ...valid, PUBLIC_BASE_URL: 'https://mfa.example.com', WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_USER_VERIFICATION: 'required' });
    expect(config.webauthn).toMatchObject({ rpId: 'example.com', origin: 'https://mfa.example.com', userVerification: 'required' });
  });

  it.each([
    ['another domain', 'https://mfa.example.com', 'example.org', /parent domain/],
    ['a look-alike suffix', 'https://mfa.badexample.com', 'example.com', /parent domain/],
    ['a child of the host', 'https://example.com', 'mfa.example.com', /parent domain/],
    ['a top-level label', 'https://mfa.example.com', 'com', /top-level/],
    ['an API Gateway host', 'https://abc123.execute-api.eu-west-1.amazonaws.com', 'abc123.execute-api.eu-west-1.amazonaws.com', /shared AWS/],
    ['an IP address', 'http://127.0.0.1:3000', '127.0.0.1', /IP address/],
  ])('refuses at load an rp id that is %s', (_label, base, rpId, message) => {
    expect(() => loadConfig({ ...valid, PUBLIC_BASE_URL: base, WEBAUTHN_RP_ID: rpId })).toThrow(message);
  });

  it('leaves WebAuthn off (only its functions refuse to start) when PUBLIC_BASE_URL is an IP address', () => {
    expect(loadConfig({ ...valid, PUBLIC_BASE_URL: 'http://127.0.0.1:3000' }).webauthn).toBeUndefined();
  });
});
