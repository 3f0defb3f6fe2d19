import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Key, KeyRing } from '../../lib/config';
import {
  CODE_TTL_MS,
  hashDeliveredCode,
  isDeliveredCodeShape,
  issueDeliveredCode,
  newDeliveredCode,
  verifyDeliveredCode,
  type CodeContext,
  type PendingCode,
} from '../../lib/delivered-code/code';

// The comparison itself, observed: verifyDeliveredCode must reach timingSafeEqual with two full digests for every code of
// the right shape, right or wrong, rather than compare strings (which stops at the first differing character).
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => actual.timingSafeEqual(a, b)) };
});

const key = (id: string, fill: string): Key => ({ id, secret: Buffer.alloc(32, fill) });
const ring = (...keys: Key[]): KeyRing => ({ current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) });
const OLD = key('e1', 'a');
const NEW = key('e2', 'b');
const KEYS = ring(OLD);
const NOW = 1_800_000_000_000;
const ENROLL: CodeContext = { channel: 'email', purpose: 'enroll', ticketId: 'tkt_A', tx: 'tx-hash-1' };
const LOGIN: CodeContext = { channel: 'email', purpose: 'login', challengeId: 'chl_A', userId: 'user-1' };

/** A fixed byte source: each call takes the next 32-bit value. */
const draws = (...values: number[]) => {
  let i = 0;
  return (size: number) => {
    expect(size).toBe(4);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(values[i++]!);
    return buf;
  };
};

const pendingFor = (code: string, context: CodeContext, keys = KEYS): PendingCode => ({
  hash: hashDeliveredCode(code, context, keys),
  sent_at: NOW,
  expires_at: NOW + CODE_TTL_MS,
  sends: 1,
});

describe('email code: shape and randomness', () => {
  it('is six decimal digits, leading zeros kept', () => {
    expect(newDeliveredCode(draws(0))).toBe('000000');
    expect(newDeliveredCode(draws(42))).toBe('000042');
    for (let i = 0; i < 1000; i += 1) expect(newDeliveredCode()).toMatch(/^[0-9]{6}$/);
  });

  it('throws away draws at or above the largest multiple of 10^6 below 2^32, so no code is likelier than another', () => {
    const limit = Math.floor(2 ** 32 / 1e6) * 1e6; // 4 294 000 000
    expect(newDeliveredCode(draws(limit - 1))).toBe('999999');
    // Taken modulo 10^6, these would be the over-represented codes 000000 and 967295; they are redrawn instead.
    expect(newDeliveredCode(draws(limit, 7))).toBe('000007');
    expect(newDeliveredCode(draws(2 ** 32 - 1, 2 ** 32 - 2, 123_456))).toBe('123456');
  });

  it('spreads every digit position evenly (chi-square over 60 000 codes, well inside the 0.1 % critical value)', () => {
    const counts = Array.from({ length: 6 }, () => new Array<number>(10).fill(0));
    const n = 60_000;
    for (let i = 0; i < n; i += 1) {
      const code = newDeliveredCode();
      for (let p = 0; p < 6; p += 1) counts[p]![Number(code[p])]! += 1;
    }
    for (const position of counts) {
      const chi2 = position.reduce((sum, observed) => sum + (observed - n / 10) ** 2 / (n / 10), 0);
      expect(chi2).toBeLessThan(27.88); // 9 degrees of freedom, p = 0.001
    }
  });

  it('accepts what people type: spaces and dashes between digits; nothing else', () => {
    for (const ok of ['123456', '123 456', '123-456', ' 12 34 56 ', '123‑456']) expect(isDeliveredCodeShape(ok)).toBe(true);
    for (const bad of ['', '12345', '1234567', '12345a', '１２３４５６', '١٢٣٤٥٦', '123.456']) expect(isDeliveredCodeShape(bad)).toBe(false);
  });
});

describe('email code: issued and stored', () => {
  it('keeps only a keyed hash naming its key, expiring 10 minutes after the send, counting sends over replacements', () => {
    const first = issueDeliveredCode({ context: ENROLL, keys: KEYS, now: NOW });
    expect(first.code).toMatch(/^[0-9]{6}$/);
    expect(first.pending).toEqual({ hash: expect.stringMatching(/^dc1\$e1\$[\w-]{43}$/), sent_at: NOW, expires_at: NOW + 600_000, sends: 1, tx: 'tx-hash-1' });
    expect(first.pending.hash).not.toContain(first.code);

    const second = issueDeliveredCode({ context: LOGIN, keys: KEYS, now: NOW + 31_000, previous: { sends: 4 } });
    expect(second.pending.sends).toBe(5);
    expect(second.pending).not.toHaveProperty('tx');
  });

  it('hashes the same code differently for each context and key, and identically when both are the same', () => {
    const hashes = new Set([
      hashDeliveredCode('123456', ENROLL, KEYS),
      hashDeliveredCode('123456', { ...ENROLL, tx: 'tx-hash-2' }, KEYS),
      hashDeliveredCode('123456', { ...ENROLL, ticketId: 'tkt_B' }, KEYS),
      hashDeliveredCode('123456', LOGIN, KEYS),
      hashDeliveredCode('123456', { ...LOGIN, userId: 'user-2' }, KEYS),
      hashDeliveredCode('123456', ENROLL, ring(NEW)),
    ]);
    expect(hashes.size).toBe(6);
    expect(hashDeliveredCode('123 456', ENROLL, KEYS)).toBe(hashDeliveredCode('123456', ENROLL, KEYS));
  });
});

describe('email code: verified', () => {
  beforeEach(() => {
    vi.mocked(crypto.timingSafeEqual).mockClear();
  });

  it('accepts the code for its context, typed with or without separators', () => {
    const { code, pending } = issueDeliveredCode({ context: ENROLL, keys: KEYS, now: NOW });
    expect(verifyDeliveredCode(code, pending, ENROLL, KEYS, NOW + 1)).toBe(true);
    expect(verifyDeliveredCode(`${code.slice(0, 3)} ${code.slice(3)}`, pending, ENROLL, KEYS, NOW + 1)).toBe(true);
    expect(verifyDeliveredCode(`${code.slice(0, 3)}-${code.slice(3)}`, pending, ENROLL, KEYS, NOW + 1)).toBe(true);
  });

  it('binds a hash to its context: copied to another start, ticket, challenge, user, purpose or channel it verifies nothing', () => {
    const pending = pendingFor('123456', ENROLL);
    expect(verifyDeliveredCode('123456', pending, ENROLL, KEYS, NOW)).toBe(true);
    expect(verifyDeliveredCode('123456', pending, { ...ENROLL, tx: 'tx-hash-2' }, KEYS, NOW)).toBe(false);
    expect(verifyDeliveredCode('123456', pending, { ...ENROLL, ticketId: 'tkt_B' }, KEYS, NOW)).toBe(false);

    const login = pendingFor('123456', LOGIN);
    expect(verifyDeliveredCode('123456', login, LOGIN, KEYS, NOW)).toBe(true);
    expect(verifyDeliveredCode('123456', login, { ...LOGIN, userId: 'user-2' }, KEYS, NOW)).toBe(false);
    expect(verifyDeliveredCode('123456', login, { ...LOGIN, challengeId: 'chl_B' }, KEYS, NOW)).toBe(false);
    // Same ids, other purpose: the purpose is part of the MAC too.
    const crossed: CodeContext = { channel: 'email', purpose: 'login', challengeId: ENROLL.ticketId, userId: ENROLL.tx };
    expect(verifyDeliveredCode('123456', pending, crossed, KEYS, NOW)).toBe(false);
    // Same ids, other channel: a code sent by email does not verify as one sent to a phone.
    expect(verifyDeliveredCode('123456', login, { ...LOGIN, channel: 'phone' }, KEYS, NOW)).toBe(false);
  });

  it('verifies a code hashed under a rotated-out key while that key is still configured, and not after it is removed', () => {
    const pending = pendingFor('654321', LOGIN, ring(OLD));
    expect(verifyDeliveredCode('654321', pending, LOGIN, ring(NEW, OLD), NOW)).toBe(true);
    expect(verifyDeliveredCode('654321', pending, LOGIN, ring(NEW), NOW)).toBe(false);
    expect(hashDeliveredCode('654321', LOGIN, ring(NEW, OLD))).toMatch(/^dc1\$e2\$/);
  });

  it('refuses a code from its expiry on (the last millisecond before it still works)', () => {
    const pending = pendingFor('123456', ENROLL);
    expect(verifyDeliveredCode('123456', pending, ENROLL, KEYS, pending.expires_at - 1)).toBe(true);
    expect(verifyDeliveredCode('123456', pending, ENROLL, KEYS, pending.expires_at)).toBe(false);
    expect(verifyDeliveredCode('123456', { ...pending, expires_at: Number.NaN }, ENROLL, KEYS, NOW)).toBe(false);
  });

  it('refuses malformed codes and stored values without throwing, and with no pending code at all', () => {
    const pending = pendingFor('123456', ENROLL);
    for (const bad of ['', '12345', '1234567', 'abcdef', '１２３４５６', '12345\u0000']) {
      expect(verifyDeliveredCode(bad, pending, ENROLL, KEYS, NOW)).toBe(false);
    }
    expect(verifyDeliveredCode(123456 as unknown as string, pending, ENROLL, KEYS, NOW)).toBe(false);
    expect(verifyDeliveredCode('123456', undefined, ENROLL, KEYS, NOW)).toBe(false);
    const digest = pending.hash.split('$')[2]!;
    for (const hash of [`rc2$e1$${digest}`, `dc1$e1$${digest.slice(1)}`, `dc1$e1$${digest}x`, `dc1$$${digest}`, 'dc1$e1$', '']) {
      expect(verifyDeliveredCode('123456', { ...pending, hash }, ENROLL, KEYS, NOW)).toBe(false);
    }
  });

  it('compares full digests in constant time for every well-formed code, right or wrong', () => {
    const pending = pendingFor('123456', ENROLL);
    const compare = vi.mocked(crypto.timingSafeEqual);
    expect(verifyDeliveredCode('123456', pending, ENROLL, KEYS, NOW)).toBe(true);
    expect(verifyDeliveredCode('123457', pending, ENROLL, KEYS, NOW)).toBe(false);
    expect(verifyDeliveredCode('923456', pending, ENROLL, KEYS, NOW)).toBe(false);
    expect(compare).toHaveBeenCalledTimes(3);
    for (const [a, b] of compare.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });
});
