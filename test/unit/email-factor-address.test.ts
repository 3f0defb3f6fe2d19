import { describe, expect, it } from 'vitest';
import type { Key, KeyRing } from '../../lib/config';
import { addressKey, isEmailAddress, maskEmail, normalizeEmailAddress } from '../../lib/factors/email/address';
import { hashDeliveredCode } from '../../lib/delivered-code/code';

const key = (id: string, fill: string): Key => ({ id, secret: Buffer.alloc(32, fill) });
const ring = (...keys: Key[]): KeyRing => ({ current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) });
const KEYS = ring(key('e1', 'a'));

describe('email factor address: validation', () => {
  it("accepts what a ticket's email accepts, apostrophes included, and refuses the rest", () => {
    for (const ok of ['ada@example.com', "o'brien@example.co.uk", 'a.b+tag@sub.example.org', 'A@EXAMPLE.COM']) expect(isEmailAddress(ok)).toBe(true);
    for (const bad of ['', 'ada', 'ada@', '@example.com', 'ada@example', 'ada@@example.com', 'a b@example.com', 'ada@example.com\n', 42, undefined]) {
      expect(isEmailAddress(bad)).toBe(false);
    }
    expect(isEmailAddress(`${'a'.repeat(242)}@example.com`)).toBe(true); // 254 characters
    expect(isEmailAddress(`${'a'.repeat(243)}@example.com`)).toBe(false);
  });
});

describe('email factor address: masking', () => {
  it.each([
    ['ada@example.com', 'a•••@example.com'],
    ['Ada.Lovelace+mfa@Example.COM', 'A•••@Example.COM'],
    ['ab@example.com', 'a•••@example.com'],
    // One character: showing it would show the whole local part.
    ['a@example.com', '•••@example.com'],
    // The mask has one width: the local part's length is not given away.
    ['a-very-long-local-part@example.com', 'a•••@example.com'],
    ['"odd@local"@example.com', '"•••@example.com'],
    ['no-at-sign', '•••'],
    ['', '•••'],
  ])('%s → %s', (address, masked) => {
    expect(maskEmail(address)).toBe(masked);
  });
});

describe('email factor address: normalization for counting', () => {
  it.each([
    ['Ada@Example.COM', 'ada@example.com'],
    ['ada+anything@example.com', 'ada@example.com'],
    ['ADA+x+y@example.com', 'ada@example.com'],
    ['a.d.a@gmail.com', 'ada@gmail.com'],
    ['A.D.A+tag@GoogleMail.com', 'ada@gmail.com'],
    // Dots matter elsewhere: only Gmail ignores them.
    ['a.d.a@example.com', 'a.d.a@example.com'],
    ["o'brien@example.com", "o'brien@example.com"],
  ])('%s counts as %s', (address, normalized) => {
    expect(normalizeEmailAddress(address)).toBe(normalized);
  });
});

describe('email factor address: rate-limit key', () => {
  it('is a keyed hash naming its key: the same for one mailbox however written, different for another, never the address', () => {
    const k = addressKey('ada@example.com', KEYS);
    expect(k).toMatch(/^e1\.[\w-]{43}$/);
    expect(k).not.toContain('ada');
    expect(addressKey('ADA+promo@Example.com', KEYS)).toBe(k);
    expect(addressKey('ada@example.org', KEYS)).not.toBe(k);
    expect(addressKey('bob@example.com', KEYS)).not.toBe(k);
  });

  it('depends on the key (a reader of the table cannot compute it) and on its own HKDF info (not the code hash)', () => {
    const other = ring(key('e1', 'b'));
    expect(addressKey('ada@example.com', other)).not.toBe(addressKey('ada@example.com', KEYS));
    const digest = addressKey('ada@example.com', KEYS).split('.')[1];
    const codeDigest = hashDeliveredCode('123456', { channel: 'email', purpose: 'login', challengeId: 'c', userId: 'ada@example.com' }, KEYS).split('$')[2];
    expect(digest).not.toBe(codeDigest);
  });
});
