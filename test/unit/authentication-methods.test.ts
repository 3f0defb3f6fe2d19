import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { encryptionKeysFromEnv } from '../../lib/config';
import { enrollmentSecretContext, open } from '../../lib/crypto/secret-box';
import { pagingOf } from '../../lib/enrollment/authentication-methods';
import type { ImportContext } from '../../lib/factors/factor';
import { cacheMaxAgeMs, clearFactorSwitchCache, enabledFor, FactorSwitchStore, SWITCH_NAMES } from '../../lib/factors/switches';
import { decodeTotpSecret, totpImport } from '../../lib/factors/totp/import';
import { passkeyImport, securityKeyImport } from '../../lib/factors/webauthn/import';
import type { EnrollmentRecord } from '../../lib/store/records';
import { SoftAuthenticator } from '../support/soft-authenticator';

const keys = encryptionKeysFromEnv({ ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` });
const context: ImportContext = { userId: 'user-1', keys, now: 1_700_000_000_000, random: randomBytes, rpId: 'localhost' };
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('TOTP import (lib/factors/totp/import.ts)', () => {
  it('seals the secret bound to the user and the new enrollment, as an enrolled one is', () => {
    const result = totpImport.parse({ type: 'totp', totp_secret: SECRET.toLowerCase(), name: 'Old app' }, context);
    if (!result.ok) throw new Error(result.message);
    const e = result.enrollment as Extract<EnrollmentRecord, { factor: 'otp' }>;
    expect(e).toMatchObject({ pk: 'USER#user-1', factor: 'otp', status: 'confirmed', name: 'Old app', last_used_step: 0, imported_at: context.now });
    expect(e.totp_secret).not.toContain(SECRET);
    expect(open(e.totp_secret, keys, enrollmentSecretContext('user-1', e.enrollment_id))).toEqual(decodeTotpSecret(SECRET));
    expect(() => open(e.totp_secret, keys, enrollmentSecretContext('user-2', e.enrollment_id))).toThrow();
    expect(e.ticket_id).toBeUndefined();
    expect(e.recovery_code_hash).toBeUndefined();
  });

  it.each([
    ['missing', undefined],
    ['too short', 'JBSWY3DPEHPK3PX'],
    ['too long', 'A'.repeat(129)],
    ['not base32 (digit 1)', 'JBSWY3DPEHPK3PX1'],
    ['not a string', 12345678901234567],
  ])('refuses a secret that is %s, naming totp_secret', (_why, secret) => {
    expect(totpImport.parse({ type: 'totp', totp_secret: secret }, context)).toMatchObject({ ok: false, field: 'totp_secret' });
  });

  it('accepts spaces and padding as apps print them', () => {
    expect(decodeTotpSecret('jbsw y3dp ehpk 3pxp ====')).toHaveLength(10);
  });
});

describe('WebAuthn import (lib/factors/webauthn/import.ts)', () => {
  const soft = new SoftAuthenticator({ origin: 'http://localhost:3000', rpId: 'localhost' });
  const registration = soft.register('challenge');
  const key = { key_id: soft.credentialId.toString('base64'), public_key: Buffer.from(registration.response.publicKey, 'base64url').toString('base64'), relying_party_identifier: 'localhost' };

  it('stores a security key as a registration would, keyed by its credential id', () => {
    const result = securityKeyImport.parse({ type: 'webauthn-roaming', ...key, transports: ['usb'] }, context);
    if (!result.ok) throw new Error(result.message);
    expect(result.credentialId).toBe(soft.credentialId.toString('base64url'));
    expect(result.enrollment).toMatchObject({ factor: 'webauthn-roaming', algorithm: -7, sign_count: 0, rp_id: 'localhost', transports: ['usb'], device_type: 'singleDevice' });
    expect((result.enrollment as { public_key: string }).public_key).toBe(registration.response.publicKey);
  });

  it('a passkey is our webauthn-platform, multi-device unless told', () => {
    const result = passkeyImport.parse({ type: 'passkey', ...key, credential_backed_up: true }, context);
    expect(result).toMatchObject({ ok: true, enrollment: { factor: 'webauthn-platform', device_type: 'multiDevice', backed_up: true, user_verified: true } });
  });

  it.each([
    ['relying_party_identifier', { relying_party_identifier: 'evil.example' }],
    ['relying_party_identifier', { relying_party_identifier: undefined }],
    ['key_id', { key_id: 'short' }],
    ['key_id', { key_id: '!!not base64!!' }],
    ['public_key', { public_key: Buffer.from('not a key at all, just bytes that are long enough').toString('base64') }],
    ['public_key', { public_key: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }],
    ['aaguid', { aaguid: 'nope' }],
    ['credential_device_type', { credential_device_type: 'phone' }],
    ['transports', { transports: ['carrier-pigeon'] }],
    ['name', { name: '\u0000' }],
  ])('refuses a bad %s', (field, change) => {
    expect(securityKeyImport.parse({ type: 'webauthn-roaming', ...key, ...change }, context)).toMatchObject({ ok: false, field });
  });

  it('refuses keys where WebAuthn is not configured', () => {
    expect(passkeyImport.parse({ type: 'passkey', ...key }, { ...context, rpId: undefined })).toMatchObject({ ok: false, field: 'type' });
  });
});

describe('factor switches (lib/factors/switches.ts)', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  beforeEach(() => {
    ddb.reset();
    clearFactorSwitchCache();
  });

  it('names every factor kind, the recovery code included', () => {
    expect([...SWITCH_NAMES].sort()).toEqual(['email', 'otp', 'phone', 'recovery-code', 'webauthn-platform', 'webauthn-roaming']);
  });

  it('reads the item once per maximum age, per container', async () => {
    let now = 0;
    ddb.on(GetCommand).resolves({ Item: { otp: false, unrelated: 'x' } });
    const store = new FactorSwitchStore(db, 'T', 30_000, () => now);
    expect(await store.get()).toEqual({ otp: false });
    now = 29_999;
    await store.get();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    now = 30_000;
    await store.get();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('no item: everything on; a set forgets this container\'s cache', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    const store = new FactorSwitchStore(db, 'T', 60_000, () => 0);
    expect(await store.get()).toEqual({});
    await store.set('webauthn-platform', false, 1);
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({ ExpressionAttributeNames: { '#name': 'webauthn-platform' }, ExpressionAttributeValues: { ':enabled': false } });
    await store.get();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('a switched-off kind takes its enrollments out of the factor that uses them, not the recovery code riding on them', () => {
    const passkey = { factor: 'webauthn-platform', recovery_code_hash: 'h' } as unknown as EnrollmentRecord;
    const key = { factor: 'webauthn-roaming' } as unknown as EnrollmentRecord;
    const off = { 'webauthn-platform': false };
    expect(enabledFor({ name: 'webauthn-roaming' }, [passkey, key], off)).toEqual([key]);
    expect(enabledFor({ name: 'recovery-code' }, [passkey, key], off)).toEqual([passkey, key]);
    expect(enabledFor({ name: 'recovery-code' }, [passkey], { 'recovery-code': false })).toEqual([]);
  });

  it('FACTOR_SWITCHES_CACHE_SEC: 0 to 60 seconds', () => {
    expect(cacheMaxAgeMs({})).toBe(30_000);
    expect(cacheMaxAgeMs({ FACTOR_SWITCHES_CACHE_SEC: '0' })).toBe(0);
    expect(() => cacheMaxAgeMs({ FACTOR_SWITCHES_CACHE_SEC: '61' })).toThrow(/FACTOR_SWITCHES_CACHE_SEC/);
  });
});

describe('paging (the vendor\'s page, per_page, include_totals)', () => {
  it('defaults and bounds', () => {
    expect(pagingOf(undefined)).toEqual({ page: 0, perPage: 50, includeTotals: false });
    expect(pagingOf({ page: '2', per_page: '10', include_totals: 'true' })).toEqual({ page: 2, perPage: 10, includeTotals: true });
    for (const bad of [{ page: '-1' }, { per_page: '0' }, { per_page: '101' }, { page: '1e3' }, { include_totals: 'yes' }]) expect(() => pagingOf(bad)).toThrow();
  });
});
