import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config, KeyRing } from '../config';
import { keyedDigest } from '../crypto/keyed-hash';
import type { MfaMethod } from '../factors/registry';

/**
 * "Remember this browser": after a proof with the box ticked, the page's answer sets a cookie holding a random token;
 * a later challenge that allows it (`allow_remembered`) completes on that browser without a code. The table keeps
 * only a keyed hash of the token, under the user (`USER#<user_id>` / `BROWSER#<browser_id>`), so neither a copy of the
 * table nor the logs let anyone present one. Every use rotates the token (one conditional write on the current hash);
 * the previous hash stays, so the rotated-away token presented again is recognised as a stolen copy and revokes every
 * browser the user has remembered (docs/MFA-LOGIN.md "Remember this browser").
 */
export const REMEMBER_COOKIE = 'mfa_rb';
export const BROWSER_SK_PREFIX = 'BROWSER#';
/** Separate from every other use of ENCRYPTION_KEYS (keyed-hash.ts binds a subkey to its `info`). */
const HASH_INFO = 'mfa-remembered-browser-token';
const DAY_MS = 24 * 3600 * 1000;

export const newBrowserId = (random: (size: number) => Buffer = randomBytes) => `rb_${random(16).toString('base64url')}`;
export const isBrowserId = (value: string) => /^rb_[A-Za-z0-9_-]{22}$/.test(value);
export const browserKey = (userId: string, browserId: string) => ({ pk: `USER#${userId}`, sk: `${BROWSER_SK_PREFIX}${browserId}` });
/** 256 random bits. */
export const newBrowserToken = (random: (size: number) => Buffer = randomBytes) => random(32).toString('base64url');

/** The stored item: no token, only its keyed hash (and the previous one, to recognise a replay). */
export interface RememberedBrowserRecord {
  pk: string;
  sk: string;
  type: 'remembered-browser';
  user_id: string;
  browser_id: string;
  /** `<key id>$<HMAC-SHA256 base64url>` of the current token. */
  token_hash: string;
  /** The token it replaced: presented again, it was copied (theft) and revokes all the user's browsers. */
  previous_token_hash?: string;
  created_at: number;
  last_used_at: number;
  /** REMEMBER_BROWSER_DAYS after the proof that remembered it; a use does not extend it. */
  expires_at: number;
  /** `Chrome on macOS`: browser and OS family, never the header itself. */
  user_agent?: string;
  /** The proof that remembered it: the result of a remembered login states its time and factor. */
  auth_time: number;
  method: MfaMethod;
  enrollment_id: string;
  amr?: string[];
  /** Epoch seconds: DynamoDB TTL removes it once expired. */
  ttl: number;
}

export type RememberSettings = Config['rememberBrowser'];

/** The cookie's value: `<browser id>.<token>`. */
export interface BrowserCookie {
  browserId: string;
  token: string;
}

const COOKIE_VALUE = /^(rb_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** The well-formed `mfa_rb` cookies of a request (API Gateway v2 `cookies`, else the Cookie header). */
export function browserCookies(cookies: readonly string[] | undefined, header?: string): BrowserCookie[] {
  const pairs = cookies ?? (header ? header.split(';') : []);
  const found: BrowserCookie[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== REMEMBER_COOKIE) continue;
    const match = COOKIE_VALUE.exec(pair.slice(at + 1).trim());
    if (match) found.push({ browserId: match[1]!, token: match[2]! });
  }
  return found;
}

/** The path the page and its calls live under (`/mfa` below PUBLIC_BASE_URL's path). */
export const cookiePath = (publicBaseUrl: string) => `${new URL(publicBaseUrl).pathname.replace(/\/+$/, '')}/mfa`;

/** `Secure` everywhere but on a local http origin (a browser drops a Secure cookie set over plain http). */
function secure(publicBaseUrl: string): boolean {
  const url = new URL(publicBaseUrl);
  return !(url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1'));
}

/** The Set-Cookie value of a remembered browser's token, for its remaining lifetime. */
export function setBrowserCookie(publicBaseUrl: string, cookie: BrowserCookie, expiresAt: number, now: number): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return cookieLine(publicBaseUrl, `${cookie.browserId}.${cookie.token}`, maxAge);
}

const cookieLine = (publicBaseUrl: string, value: string, maxAge: number) =>
  `${REMEMBER_COOKIE}=${value}; Path=${cookiePath(publicBaseUrl)}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure(publicBaseUrl) ? '; Secure' : ''}`;

/** The keyed hash of a token, bound to its user and browser id (a hash copied to another item matches nothing). */
export function browserTokenHash(keys: KeyRing, userId: string, browserId: string, token: string, keyId = keys.current.id): string | undefined {
  const key = keys.byId.get(keyId);
  if (!key) return undefined;
  return `${key.id}$${keyedDigest(HASH_INFO, key, [userId, browserId, token]).toString('base64url')}`;
}

const sameHash = (a: string, b: string | undefined) => {
  if (b === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * What a presented token is for its item: `current` (and usable: not expired, used within the idle limit),
 * `reused` (the rotated-away one: a copy), or `invalid` (unknown, expired, idle too long, another user's).
 */
export function checkBrowserToken(
  keys: KeyRing,
  item: RememberedBrowserRecord | undefined,
  userId: string,
  cookie: BrowserCookie,
  settings: RememberSettings,
  now: number,
): { verdict: 'current'; hash: string } | { verdict: 'reused' | 'invalid' } {
  if (!item || item.user_id !== userId || item.browser_id !== cookie.browserId) return { verdict: 'invalid' };
  const hashWith = (stored: string | undefined) =>
    stored === undefined ? undefined : browserTokenHash(keys, userId, cookie.browserId, cookie.token, stored.split('$')[0]);
  const current = hashWith(item.token_hash);
  if (current !== undefined && sameHash(current, item.token_hash)) {
    return usable(item, settings, now) ? { verdict: 'current', hash: item.token_hash } : { verdict: 'invalid' };
  }
  const previous = hashWith(item.previous_token_hash);
  if (previous !== undefined && sameHash(previous, item.previous_token_hash)) return { verdict: 'reused' };
  return { verdict: 'invalid' };
}

/** Not expired, and used within the inactivity limit. */
export const usable = (item: Pick<RememberedBrowserRecord, 'expires_at' | 'last_used_at'>, settings: RememberSettings, now: number) =>
  item.expires_at > now && item.last_used_at > idleCutoff(settings, now);

/** A browser last used at or before this is idle too long. */
export const idleCutoff = (settings: RememberSettings, now: number) => now - settings.idleDays * DAY_MS;

export const rememberedUntil = (settings: RememberSettings, now: number) => now + settings.days * DAY_MS;

/** The admin view: never the token or its hash. */
export function browserView(item: RememberedBrowserRecord) {
  return {
    id: item.browser_id,
    created_at: new Date(item.created_at).toISOString(),
    last_used_at: new Date(item.last_used_at).toISOString(),
    expires_at: new Date(item.expires_at).toISOString(),
    user_agent: item.user_agent,
  };
}
