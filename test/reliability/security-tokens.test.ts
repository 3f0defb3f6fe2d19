import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashAdminKey, isAdminRequest } from '../../lib/admin-auth';
import type { KeyRing } from '../../lib/config';
import { newEnrollmentId } from '../../lib/store/records';
import { newRecoveryCode } from '../../lib/factors/recovery-code/code';
import { ticketForToken } from '../../lib/enrollment/ticket-access';
import { newTotpSecret } from '../../lib/factors/totp/totp';
import type { TicketRecord } from '../../lib/tickets/ticket';
import { matchTicketSecret, newTicketId, parseTicketToken, ticketToken } from '../../lib/tickets/tokens';
import { figureLog } from './figures';

/**
 * Every comparison of a secret in lib/ must be crypto.timingSafeEqual on equal-length buffers. The module is wrapped,
 * not replaced: the real function runs, and the test sees each call.
 */
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, default: actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const recordFigure = figureLog(import.meta.url, afterAll);
const compare = vi.mocked(timingSafeEqual);
const key = { id: 'k1', secret: Buffer.alloc(32, 7) };
const keys: KeyRing = { current: key, byId: new Map([[key.id, key]]) };
const SAMPLES = 10_000;

/** The bits of `buffers`, counted per position: for a uniform source each position is 1 about half the time. */
function bitBalance(buffers: Buffer[]) {
  const bits = buffers[0]!.length * 8;
  const ones = new Array<number>(bits).fill(0);
  for (const b of buffers) for (let i = 0; i < bits; i += 1) if ((b[i >> 3]! >> (7 - (i & 7))) & 1) ones[i]! += 1;
  const share = ones.map((n) => n / buffers.length);
  const overall = ones.reduce((a, b) => a + b, 0) / (bits * buffers.length);
  return { bits, min: Math.min(...share), max: Math.max(...share), overall };
}

/**
 * Bounds at about 6 standard deviations, so a good source essentially never fails them (p < 1e-6 over the whole file)
 * while a stuck bit, a counter or a short key would fail them at once.
 */
function expectUniformBits(buffers: Buffer[], expectedBits: number) {
  const { bits, min, max, overall } = bitBalance(buffers);
  expect(bits).toBe(expectedBits);
  const sigma = 0.5 / Math.sqrt(buffers.length);
  expect(min).toBeGreaterThan(0.5 - 6 * sigma);
  expect(max).toBeLessThan(0.5 + 6 * sigma);
  expect(Math.abs(overall - 0.5)).toBeLessThan(6 * (0.5 / Math.sqrt(bits * buffers.length)));
}

/** Pearson's chi-square of symbol counts against a uniform distribution; below mean + 8 sd of its distribution. */
function expectUniformSymbols(symbols: string[], alphabet: string) {
  const counts = new Map<string, number>([...alphabet].map((c) => [c, 0]));
  for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
  expect(counts.size).toBe(alphabet.length); // nothing outside the alphabet
  const expected = symbols.length / alphabet.length;
  const chi2 = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
  const df = alphabet.length - 1;
  expect(chi2).toBeLessThan(df + 8 * Math.sqrt(2 * df));
}

describe('tokens have the promised entropy (10,000 samples each)', () => {
  it('ticket ids: tkt_ + 22 base64url characters = 128 random bits, all distinct, every bit balanced', () => {
    const ids = Array.from({ length: SAMPLES }, () => newTicketId());
    expect(new Set(ids).size).toBe(SAMPLES);
    for (const id of ids) expect(id).toMatch(/^tkt_[A-Za-z0-9_-]{22}$/);
    const raw = ids.map((id) => Buffer.from(id.slice(4), 'base64url'));
    for (const b of raw) expect(b.toString('base64url')).toBe(b.toString('base64url')); // canonical
    expectUniformBits(raw, 128);
    expectUniformSymbols(raw.flatMap((b) => [...b].map((byte) => String.fromCharCode(byte))), Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join(''));
    recordFigure('ticket ids', { cases: SAMPLES, bits: 128, distinct: SAMPLES, violations: 0 });
  });

  it('ticket secrets: 43 base64url characters = 256 bits (HMAC-SHA256 of the id and link generation), all distinct, every bit balanced, never in the id', () => {
    const tokens = Array.from({ length: SAMPLES }, () => ticketToken(newTicketId(), 0, key));
    const secrets = tokens.map((t) => parseTicketToken(t)!.secret);
    expect(new Set(secrets).size).toBe(SAMPLES);
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expectUniformBits(secrets.map((s) => Buffer.from(s, 'base64url')), 256);
    // A different key gives unrelated secrets for the same ids: the secret comes from the key, not from the id.
    const other = { id: 'k2', secret: Buffer.alloc(32, 8) };
    const rekeyed = tokens.slice(0, 1000).map((t) => ticketToken(t.split('.')[0]!, 0, other).split('.')[1]!);
    expect(rekeyed.filter((s, i) => s === secrets[i])).toEqual([]);
    recordFigure('ticket secrets', { cases: SAMPLES, bits: 256, distinct: SAMPLES, violations: 0 });
  });

  it('TOTP secrets (160 bits), enrollment ids (128 bits) and recovery codes (24 Crockford base32 characters, 120 bits)', () => {
    const totp = Array.from({ length: SAMPLES }, () => newTotpSecret());
    expect(new Set(totp.map((b) => b.toString('hex'))).size).toBe(SAMPLES);
    expectUniformBits(totp, 160);

    const enrollments = Array.from({ length: SAMPLES }, () => newEnrollmentId());
    expect(new Set(enrollments).size).toBe(SAMPLES);
    expectUniformBits(enrollments.map((id) => Buffer.from(id.slice(4), 'base64url')), 128);

    const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const codes = Array.from({ length: SAMPLES }, () => newRecoveryCode());
    expect(new Set(codes).size).toBe(SAMPLES);
    for (const c of codes) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{24}$/);
    expectUniformSymbols(codes.flatMap((c) => [...c.replace(/-/g, '')]), CROCKFORD);
    recordFigure('TOTP secrets, enrollment ids, recovery codes', { cases: 3 * SAMPLES, totp_bits: 160, enrollment_id_bits: 128, recovery_code_bits: 120, violations: 0 });
  });
});

describe('secrets are compared in constant time', () => {
  beforeEach(() => {
    compare.mockClear();
  });

  const ticketId = newTicketId();
  const expected = createHmac('sha256', key.secret).update(`ticket:v2:${ticketId}:0`).digest();
  const ticket = { ticket_id: ticketId, key_id: key.id, generation: 0, status: 'pending' } as TicketRecord;
  /** A presented secret that matches the expected one in its first `n` bytes and in none after. */
  const matching = (n: number) => Buffer.from(expected.map((byte, i) => (i < n ? byte : byte ^ 0xff))).toString('base64url');

  it('verifying a ticket secret is one timingSafeEqual of two 43-character canonical strings, right or wrong, however much matches', () => {
    const cases = [0, 1, 8, 16, 24, 31, 32].map(matching);
    for (const secret of cases) {
      compare.mockClear();
      const match = matchTicketSecret(ticketId, secret, ticket, keys);
      expect(match).toBe(secret === matching(32) ? 'current' : 'invalid');
      expect(compare).toHaveBeenCalledTimes(1);
      const [a, b] = compare.mock.calls[0]! as unknown as [Buffer, Buffer];
      expect([a.length, b.length]).toEqual([43, 43]);
      // The strings themselves are compared, not what they decode to (see the canonical test below).
      expect(b.toString('latin1')).toBe(expected.toString('base64url'));
    }
    recordFigure('ticket secret compare: timingSafeEqual, 43 = 43 characters', { cases: cases.length, violations: 0 });
  });

  it('canonical: every other spelling of the right secret (unused low bits of the last character) is refused, for all 10,000 sampled tickets', () => {
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let aliases = 0;
    for (let i = 0; i < SAMPLES; i += 1) {
      const id = newTicketId();
      const subject = { key_id: key.id, generation: 0 };
      const secret = parseTicketToken(ticketToken(id, 0, key))!.secret;
      expect(matchTicketSecret(id, secret, subject, keys)).toBe('current');
      const last = B64URL.indexOf(secret.at(-1)!);
      for (const low of [1, 2, 3]) {
        const alias = secret.slice(0, -1) + B64URL[(last & ~3) | ((last & 3) ^ low)];
        // Same 32 bytes once decoded: a byte-wise compare would accept it.
        expect(Buffer.from(alias, 'base64url').equals(Buffer.from(secret, 'base64url'))).toBe(true);
        expect(matchTicketSecret(id, alias, subject, keys)).toBe('invalid');
        aliases += 1;
      }
    }
    compare.mockClear();
    recordFigure('canonical secrets: non-canonical spellings refused', { cases: aliases, violations: 0 });
  });

  it('a token for an unknown ticket is still compared (the answer takes as long whether the id exists or not)', async () => {
    const token = ticketToken(ticketId, 0, key);
    const outcomes: string[] = [];
    for (const [label, stored, presented] of [
      ['unknown id', undefined, token],
      ['wrong secret', ticket, `${ticketId}.${matching(31)}`],
      ['right secret', ticket, token],
    ] as const) {
      compare.mockClear();
      const result = await ticketForToken({ get: async () => stored }, presented, keys).then(
        () => 'found',
        (err: { code?: string }) => err.code,
      );
      outcomes.push(`${label}: ${result}`);
      expect(compare, label).toHaveBeenCalledTimes(1);
    }
    expect(outcomes).toEqual(['unknown id: ticket_not_found', 'wrong secret: ticket_not_found', 'right secret: found']);
    recordFigure('unknown ticket compared too', { cases: 3, violations: 0 });
  });

  it('an admin key is compared with every configured digest, in constant time, wherever it matches', () => {
    const configured = ['a', 'b', 'c', 'd'].map((c) => `admin-key-${c.repeat(24)}`);
    const adminKeys = configured.map((k) => ({ digest: hashAdminKey(k), expiresAt: undefined }));
    for (const presented of [...configured, 'admin-key-not-configured-at-all']) {
      compare.mockClear();
      expect(isAdminRequest(`Bearer ${presented}`, adminKeys, Date.now())).toBe(configured.includes(presented));
      expect(compare).toHaveBeenCalledTimes(configured.length);
      for (const [a, b] of compare.mock.calls as unknown as Array<[Buffer, Buffer]>) expect([a.length, b.length]).toEqual([32, 32]);
    }
    recordFigure('admin key compare: every digest, timingSafeEqual', { cases: configured.length + 1, violations: 0 });
  });

  it('timing: verifying takes as long whether 0, 8, 16, 24, 31 or all 32 leading bytes match (fastest batches within 1.5×)', () => {
    const variants = [0, 8, 16, 24, 31, 32];
    const secrets = variants.map(matching);
    const ROUNDS = 31;
    const PER_BATCH = 400;
    const samples = variants.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round += 1) {
      // A different order each round, so drift (GC, other processes) does not favour one variant.
      for (let j = 0; j < variants.length; j += 1) {
        const v = (j + round) % variants.length;
        const started = process.hrtime.bigint();
        for (let i = 0; i < PER_BATCH; i += 1) matchTicketSecret(ticketId, secrets[v]!, ticket, keys);
        samples[v]!.push(Number(process.hrtime.bigint() - started));
      }
      compare.mockClear(); // the wrapper's call log stays small; its cost is the same for every variant
    }
    // Other processes and GC only ever add time, so each variant's fastest batch is its own cost; medians swung by 2–6×
    // between variants on a loaded 2-core machine, for the old code as for this one.
    const fastest = samples.map((s) => Math.min(...s));
    const ratio = Math.max(...fastest) / Math.min(...fastest);
    console.info(`verify time per call by matching leading bytes ${variants.join('/')}: ${fastest.map((m) => (m / PER_BATCH).toFixed(0)).join('/')} ns (max/min ${ratio.toFixed(2)})`);
    expect(ratio).toBeLessThan(1.5);
    recordFigure('timing: matching prefix 0…32 bytes', { iterations: variants.length * ROUNDS * PER_BATCH, variants: variants.length, violations: 0 });
  });
});

