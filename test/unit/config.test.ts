import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';

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
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'not a url' }],
    ['ADMIN_API_KEY_HASHES', { ADMIN_API_KEY_HASHES: `${'a'.repeat(64)}@someday` }],
    // Deploy-time secrets left unresolved must fail loudly, not run with a literal placeholder.
    ['TICKET_SIGNING_KEYS', { TICKET_SIGNING_KEYS: '{{resolve:secretsmanager:x:SecretString:y}}' }],
  ])('refuses to start with a bad %s', (name, change) => {
    expect(() => loadConfig({ ...valid, ...change })).toThrow(name);
  });
});
