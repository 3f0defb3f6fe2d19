import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { groupRecoveryCode, hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode, verifyRecoveryCode } from '../../lib/factors/recovery-code/code';
import {
  enrollmentSecretContext,
  isSealedCurrent,
  open,
  pendingSecretContext,
  seal,
  sealedInfo,
  secretAad,
} from '../../lib/crypto/secret-box';
import { legacySeal } from '../support/legacy-seal';
import { base32, newTotpSecret, otpauthUri, timeStep, verifyTotp } from '../../lib/factors/totp/totp';
import { base32Decode, totp, wrongCode } from '../support/totp';

const ring = (...keys: Array<[string, number]>) => {
  const list = keys.map(([id, fill]) => ({ id, secret: Buffer.alloc(32, fill) }));
  return { current: list[0]!, byId: new Map(list.map((k) => [k.id, k])) };
};

describe('secret box (AES-256-GCM, key id and owner bound)', () => {
  const keys = ring(['e1', 1]);
  const secret = Buffer.from('12345678901234567890');
  const ada = enrollmentSecretContext('ada', 'enr_1');

  it('round-trips and never contains the plaintext', () => {
    const sealed = seal(secret, keys, ada);
    expect(sealed).toMatch(/^v2\.e1\.[\w-]{16}\.[\w-]+$/);
    expect(sealed).not.toContain(secret.toString('base64url'));
    expect(sealed).not.toContain(base32(secret));
    expect(open(sealed, keys, ada)).toEqual(secret);
  });

  it('uses a fresh IV every time', () => {
    expect(seal(secret, keys, ada)).not.toBe(seal(secret, keys, ada));
  });

  it('refuses another enrollment, another user (an item copied under another user\'s key), a pending owner, a flipped bit, a truncation and an unknown key', () => {
    const sealed = seal(secret, keys, ada);
    expect(() => open(sealed, keys, enrollmentSecretContext('ada', 'enr_2'))).toThrow();
    expect(() => open(sealed, keys, enrollmentSecretContext('mallory', 'enr_1'))).toThrow();
    expect(() => open(sealed, keys, pendingSecretContext('enr_1'))).toThrow();
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0]! ^= 1;
    expect(() => open([...parts.slice(0, 3), body.toString('base64url')].join('.'), keys, ada)).toThrow();
    expect(() => open(parts.slice(0, 3).join('.') + '.AAAA', keys, ada)).toThrow(/truncated/);
    expect(() => open(sealed, ring(['e9', 9]), ada)).toThrow(/"e1" is not configured/);
  });

  it('binds the owner unambiguously: ids that would run together in a joined string are different owners', () => {
    const sealed = seal(secret, keys, enrollmentSecretContext('a:b', 'c'));
    expect(() => open(sealed, keys, enrollmentSecretContext('a', 'b:c'))).toThrow();
    expect(secretAad(enrollmentSecretContext('a:b', 'c')).equals(secretAad(enrollmentSecretContext('a', 'b:c')))).toBe(false);
  });

  it('opens a v1 value (sealed before the user was bound, AAD "enrollment:<id>:totp_secret") for the same enrollment only', () => {
    const legacy = legacySeal(secret, keys.current, 'enrollment:enr_1:totp_secret');
    expect(sealedInfo(legacy)).toEqual({ version: 'v1', keyId: 'e1' });
    expect(isSealedCurrent(legacy, keys)).toBe(false);
    expect(open(legacy, keys, ada)).toEqual(secret);
    expect(() => open(legacy, keys, enrollmentSecretContext('ada', 'enr_2'))).toThrow();
    const pending = legacySeal(secret, keys.current, 'ticket:tkt_1:pending_totp');
    expect(open(pending, keys, pendingSecretContext('tkt_1'))).toEqual(secret);
  });

  it('still opens what an older key sealed after rotation, and seals new values with the new key', () => {
    const old = seal(secret, ring(['e1', 1]), ada);
    const rotated = ring(['e2', 2], ['e1', 1]);
    expect(open(old, rotated, ada)).toEqual(secret);
    expect(isSealedCurrent(old, rotated)).toBe(false);
    const fresh = seal(secret, rotated, ada);
    expect(fresh).toMatch(/^v2\.e2\./);
    expect(isSealedCurrent(fresh, rotated)).toBe(true);
  });

  it('works with the key format the configuration accepts', () => {
    const config = loadConfig(process.env);
    expect(open(seal(secret, config.encryptionKeys, ada), config.encryptionKeys, ada)).toEqual(secret);
  });
});

describe('recovery codes', () => {
  const owner = { userId: 'user-1', enrollmentId: 'enr_AAAAAAAAAAAAAAAAAAAAAA' };

  it('are 24 Crockford base32 characters, the vendor format: 120 bits', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newRecoveryCode()));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{24}$/);
    expect(groupRecoveryCode('ABCDEFGHJKMN0123456789PQ')).toBe('ABCD-EFGH-JKMN-0123-4567-89PQ');
  });

  it('are stored as an HMAC-SHA256 under the current encryption key, that verifies whatever the reader types', async () => {
    const keys = ring(['e1', 1]);
    const code = newRecoveryCode();
    const hash = hashRecoveryCode(code, owner, keys);
    expect(hash).toMatch(/^rc2\$e1\$[\w-]{43}$/);
    expect(hash).not.toContain(normalizeRecoveryCode(code));
    expect(hashRecoveryCode(code, owner, keys)).toBe(hash);
    expect(verifyRecoveryCode(code, hash, owner, keys)).toBe(true);
    expect(verifyRecoveryCode(groupRecoveryCode(code).toLowerCase().replace(/-/g, ' '), hash, owner, keys)).toBe(true);
    expect(verifyRecoveryCode(groupRecoveryCode(code), hash, owner, keys)).toBe(true);
    expect(verifyRecoveryCode(newRecoveryCode(), hash, owner, keys)).toBe(false);
    expect(verifyRecoveryCode(code.slice(1), hash, owner, keys)).toBe(false);
    expect(verifyRecoveryCode(code, 'plain', owner, keys)).toBe(false);
  });

  it('bind the user and the enrollment: the same code and hash verify nowhere else (review M5)', () => {
    const keys = ring(['e1', 1]);
    const code = newRecoveryCode();
    const hash = hashRecoveryCode(code, owner, keys);
    expect(verifyRecoveryCode(code, hash, { ...owner, userId: 'user-2' }, keys)).toBe(false);
    expect(verifyRecoveryCode(code, hash, { ...owner, enrollmentId: 'enr_BBBBBBBBBBBBBBBBBBBBBB' }, keys)).toBe(false);
    // No ambiguity between fields: moving characters from one id into the other changes the digest.
    expect(hashRecoveryCode(code, { userId: 'ab', enrollmentId: 'c' }, keys)).not.toBe(hashRecoveryCode(code, { userId: 'a', enrollmentId: 'bc' }, keys));
  });

  it('cannot be tested without the key: another key gives another digest, and a key no longer configured verifies nothing', async () => {
    const code = newRecoveryCode();
    const hash = hashRecoveryCode(code, owner, ring(['e1', 1]));
    expect(hashRecoveryCode(code, owner, ring(['e1', 2]))).not.toBe(hash);
    expect(verifyRecoveryCode(code, hash, owner, ring(['e1', 2]))).toBe(false);
    expect(verifyRecoveryCode(code, hash, owner, ring(['e2', 1]))).toBe(false);
  });

  it('still verify after the encryption keys rotate, and new codes use the new key', async () => {
    const code = newRecoveryCode();
    const old = hashRecoveryCode(code, owner, ring(['e1', 1]));
    const rotated = ring(['e2', 2], ['e1', 1]);
    expect(verifyRecoveryCode(code, old, owner, rotated)).toBe(true);
    expect(hashRecoveryCode(code, owner, rotated)).toMatch(/^rc2\$e2\$/);
    expect(verifyRecoveryCode(code, hashRecoveryCode(code, owner, rotated), owner, rotated)).toBe(true);
  });

  it('work with the key format the configuration accepts', async () => {
    const { encryptionKeys } = loadConfig(process.env);
    const code = newRecoveryCode();
    expect(verifyRecoveryCode(code, hashRecoveryCode(code, owner, encryptionKeys), owner, encryptionKeys)).toBe(true);
  });

  it('reads the letters people confuse as Crockford does', () => {
    expect(normalizeRecoveryCode('ol-il 1O')).toBe('011110');
    expect(normalizeRecoveryCode('ab.cd_ef')).toBe('ABCDEF');
  });
});

describe('TOTP (server: otpauth; checked against an independent RFC 6238 implementation)', () => {
  const rfcSecret = Buffer.from('12345678901234567890');

  it('the test implementation reproduces the RFC 6238 SHA-1 test vectors', () => {
    const vectors: Array<[number, string]> = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) expect(totp(rfcSecret, seconds * 1000, { digits: 8 })).toBe(code);
  });

  it('accepts the current code and one step either side, and says which step it was', () => {
    const secret = newTotpSecret();
    const now = 1_700_000_015_000;
    for (const delta of [-1, 0, 1]) {
      expect(verifyTotp(secret, totp(secret, now + delta * 30_000), now)).toBe(timeStep(now) + delta);
    }
  });

  it('refuses codes two steps away, wrong codes and anything that is not 6 digits', () => {
    const secret = newTotpSecret();
    const now = 1_700_000_015_000;
    for (const delta of [-2, 2]) {
      const code = totp(secret, now + delta * 30_000);
      const nearby = [-1, 0, 1].map((d) => totp(secret, now + d * 30_000));
      if (!nearby.includes(code)) expect(verifyTotp(secret, code, now)).toBeUndefined();
    }
    expect(verifyTotp(secret, wrongCode(secret, now), now)).toBeUndefined();
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 12345']) expect(verifyTotp(secret, bad, now)).toBeUndefined();
  });

  it('gives a base32 key and an otpauth URI that decode to the same 160-bit secret', () => {
    const secret = newTotpSecret();
    expect(secret).toHaveLength(20);
    expect(base32Decode(base32(secret))).toEqual(secret);
    const uri = new URL(otpauthUri(secret, 'Acme Corp', 'ada@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Acme Corp:ada@example.com');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ issuer: 'Acme Corp', algorithm: 'SHA1', digits: '6', period: '30' });
    expect(base32Decode(uri.searchParams.get('secret')!)).toEqual(secret);
  });
});
