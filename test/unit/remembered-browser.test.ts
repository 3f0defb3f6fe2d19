import { describe, expect, it } from 'vitest';
import type { KeyRing } from '../../lib/config';
import {
  browserCookies,
  browserTokenHash,
  checkBrowserToken,
  cookiePath,
  setBrowserCookie,
  type RememberedBrowserRecord,
} from '../../lib/mfa/remembered-browser';

const key = (id: string, fill: number) => ({ id, secret: Buffer.alloc(32, fill) });
const keys: KeyRing = { current: key('k2', 2), byId: new Map([['k1', key('k1', 1)], ['k2', key('k2', 2)]]) };
const settings = { days: 30, idleDays: 7 };
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
const ID = 'rb_AAAAAAAAAAAAAAAAAAAAAA';
const TOKEN = 'T'.repeat(43);

const item = (extra: Partial<RememberedBrowserRecord> = {}): RememberedBrowserRecord => ({
  pk: 'USER#u1', sk: `BROWSER#${ID}`, type: 'remembered-browser', user_id: 'u1', browser_id: ID,
  token_hash: browserTokenHash(keys, 'u1', ID, TOKEN)!, created_at: NOW - DAY, last_used_at: NOW - DAY, expires_at: NOW + 29 * DAY,
  auth_time: NOW - DAY, method: 'totp', enrollment_id: 'enr_1', ttl: 0, ...extra,
});

describe('remembered-browser cookie', () => {
  it('reads only well-formed mfa_rb values, from API Gateway cookies or the Cookie header', () => {
    const value = `${ID}.${TOKEN}`;
    expect(browserCookies([`other=1`, `mfa_rb=${value}`])).toEqual([{ browserId: ID, token: TOKEN }]);
    expect(browserCookies(undefined, `a=b; mfa_rb=${value}; c=d`)).toEqual([{ browserId: ID, token: TOKEN }]);
    for (const bad of [`mfa_rb=${ID}`, `mfa_rb=${value}x`, `mfa_rb=rb_short.${TOKEN}`, `mfa_rbx=${value}`, `mfa_rb=${value.replace('T', '%')}`]) {
      expect(browserCookies([bad]), bad).toEqual([]);
    }
  });

  it('is HttpOnly, SameSite=Lax, scoped to the page path, Secure except on a local http origin', () => {
    const cookie = { browserId: ID, token: TOKEN };
    expect(setBrowserCookie('https://mfa.example.com/prod', cookie, NOW + 30 * DAY, NOW)).toBe(
      `mfa_rb=${ID}.${TOKEN}; Path=/prod/mfa; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(setBrowserCookie('http://localhost:3000', cookie, NOW + DAY, NOW)).toBe(`mfa_rb=${ID}.${TOKEN}; Path=/mfa; Max-Age=86400; HttpOnly; SameSite=Lax`);
    expect(setBrowserCookie('http://127.0.0.1:3000', cookie, NOW + DAY, NOW)).not.toContain('Secure');
    expect(setBrowserCookie('http://mfa.example.com', cookie, NOW + DAY, NOW)).toContain('; Secure');
    expect(cookiePath('https://mfa.example.com/')).toBe('/mfa');
  });
});

describe('remembered-browser token', () => {
  it('stores a keyed hash bound to user and browser, never the token', () => {
    const hash = browserTokenHash(keys, 'u1', ID, TOKEN)!;
    expect(hash).toMatch(/^k2\$[\w-]{43}$/);
    expect(hash).not.toContain(TOKEN);
    expect(browserTokenHash(keys, 'u2', ID, TOKEN)).not.toBe(hash);
    expect(browserTokenHash(keys, 'u1', 'rb_BBBBBBBBBBBBBBBBBBBBBB', TOKEN)).not.toBe(hash);
    expect(browserTokenHash(keys, 'u1', ID, TOKEN, 'gone')).toBeUndefined();
  });

  it('current: usable; under an older key still checks; previous: reused; anything else invalid', () => {
    const cookie = { browserId: ID, token: TOKEN };
    expect(checkBrowserToken(keys, item(), 'u1', cookie, settings, NOW)).toEqual({ verdict: 'current', hash: item().token_hash });
    const old = item({ token_hash: browserTokenHash(keys, 'u1', ID, TOKEN, 'k1')! });
    expect(checkBrowserToken(keys, old, 'u1', cookie, settings, NOW).verdict).toBe('current');
    const rotated = item({ token_hash: browserTokenHash(keys, 'u1', ID, 'N'.repeat(43))!, previous_token_hash: item().token_hash });
    expect(checkBrowserToken(keys, rotated, 'u1', cookie, settings, NOW).verdict).toBe('reused');
    expect(checkBrowserToken(keys, rotated, 'u1', { browserId: ID, token: 'X'.repeat(43) }, settings, NOW).verdict).toBe('invalid');
    expect(checkBrowserToken(keys, undefined, 'u1', cookie, settings, NOW).verdict).toBe('invalid');
    expect(checkBrowserToken(keys, item(), 'u2', cookie, settings, NOW).verdict).toBe('invalid');
  });

  it('expires REMEMBER_BROWSER_DAYS after the proof, and after REMEMBER_BROWSER_IDLE_DAYS without use', () => {
    const cookie = { browserId: ID, token: TOKEN };
    expect(checkBrowserToken(keys, item({ expires_at: NOW }), 'u1', cookie, settings, NOW).verdict).toBe('invalid');
    expect(checkBrowserToken(keys, item({ last_used_at: NOW - 7 * DAY }), 'u1', cookie, settings, NOW).verdict).toBe('invalid');
    expect(checkBrowserToken(keys, item({ last_used_at: NOW - 7 * DAY + 1 }), 'u1', cookie, settings, NOW).verdict).toBe('current');
  });
});
