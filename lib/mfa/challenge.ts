import { randomBytes } from 'node:crypto';
import type { MaskedDestination, PendingLoginCode } from '../factors/factor';
import type { FactorName, MfaMethod } from '../factors/registry';

/**
 * An MFA challenge: the app asked us to check a user's second factor (POST /api/v2/mfa/challenges). It ends once:
 * `accepted` (a right code), `locked` (5 wrong codes) or `expired` (enforced here; DynamoDB TTL removes the item
 * later). Every transition is one conditional write (lib/mfa/mfa-store.ts).
 */
export type ChallengeStatus = 'pending' | 'accepted' | 'expired' | 'locked';

/** Wrong codes one challenge takes before it locks (the user's budget, lib/mfa/budget.ts, counts them too). */
export const CHALLENGE_MAX_ATTEMPTS = 5;
export const CHALLENGE_MIN_TTL_SEC = 60;
export const CHALLENGE_MAX_TTL_SEC = 900;
export const CHALLENGE_DEFAULT_TTL_SEC = 600;
/** How long an ended challenge stays readable (GET /api/v2/mfa/challenges/{id}) before DynamoDB TTL removes it. */
export const CHALLENGE_RETENTION_SEC = 24 * 3600;

/** `chl_` + 128 random bits: public (admin API, logs); the request token is what lets someone attempt it. */
export const newChallengeId = (random: (size: number) => Buffer = randomBytes) => `chl_${random(16).toString('base64url')}`;
export const isChallengeId = (value: string) => /^chl_[A-Za-z0-9_-]{22}$/.test(value);
export const challengeKey = (challengeId: string) => ({ pk: `CHALLENGE#${challengeId}`, sk: 'CHALLENGE' as const });

/** The challenge as stored. Times are epoch milliseconds; `ttl` is epoch seconds for DynamoDB TTL. */
export interface ChallengeRecord {
  pk: string;
  sk: 'CHALLENGE';
  type: 'challenge';
  challenge_id: string;
  user_id: string;
  /** Where the page form-POSTs the result (the app's `result_url`, on the RESULT_URL_ORIGINS allow-list). */
  result_url: string;
  /** Echoed back to the app with the result. */
  state?: string;
  /** Copied into the result token. */
  nonce?: string;
  email_locale?: string;
  /** What the user could use when the challenge was made (a step-up: of those it allows). */
  factors: FactorName[];
  /** A step-up: the factors a proof may use (the app's `factors` and `acr_values`); absent: any. */
  allowed_factors?: FactorName[];
  /** Where the listed factors that send codes would send one, masked (the page shows them on its buttons). */
  destinations?: MaskedDestination[];
  /** The app's `acr_values`, in its order: the result's `acr` is the first the login satisfied. */
  acr_values?: string[];
  /** The page offers "Remember this browser" (lib/mfa/remembered-browser.ts). */
  remember_browser?: boolean;
  /** A remembered browser may complete it without a code (never with `allowed_factors`). */
  allow_remembered?: boolean;
  /** Once accepted on a remembered browser: so, and when the proof that remembered it was made. */
  remembered_browser?: boolean;
  remembered_auth_time?: number;
  status: Exclude<ChallengeStatus, 'expired'>;
  /** Attempts taken, each before its proof is checked (lib/mfa/login.ts); a right proof gives its own back. */
  attempts: number;
  /** The wrong proofs among them; the fifth locks the challenge. */
  failures?: number;
  created_at: number;
  expires_at: number;
  accepted_at?: number;
  locked_at?: number;
  last_attempt_at?: number;
  /** Once accepted: how, and with which enrollment. */
  method?: MfaMethod;
  enrollment_id?: string;
  /** The result token's `amr` when it depends on the proof (WebAuthn); otherwise the method's own. */
  amr?: string[];
  /**
   * SHA-256 of the device-protocol transaction id that proved the factor (lib/guardian/login.ts): only that
   * transaction reads the result from `transaction-state`. Absent when the page or a request token completed it.
   */
  accepted_tx?: string;
  /**
   * The code the challenge waits for, from a factor that sends one (lib/mfa/send-code.ts): its keyed hash, never the
   * code. Replaced by each send (`sends` carried on), removed by the write that accepts the login with it.
   */
  pending_code?: PendingLoginCode;
  ttl: number;
}

export function challengeStatus(challenge: Pick<ChallengeRecord, 'status' | 'expires_at'>, now: number): ChallengeStatus {
  return challenge.status === 'pending' && challenge.expires_at <= now ? 'expired' : challenge.status;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The admin view: status, timestamps, the method used; never a token. */
export function challengeView(challenge: ChallengeRecord, now: number) {
  return {
    challenge_id: challenge.challenge_id,
    user_id: challenge.user_id,
    status: challengeStatus(challenge, now),
    factors: challenge.factors,
    allowed_factors: challenge.allowed_factors,
    destinations: challenge.destinations,
    acr_values: challenge.acr_values?.join(' '),
    result_url: challenge.result_url,
    created_at: iso(challenge.created_at)!,
    expires_at: iso(challenge.expires_at)!,
    accepted_at: iso(challenge.accepted_at),
    locked_at: iso(challenge.locked_at),
    mfa_method: challenge.method,
    enrollment_id: challenge.enrollment_id,
    remember_browser: challenge.remember_browser,
    allow_remembered: challenge.allow_remembered,
    remembered_browser: challenge.remembered_browser,
    attempts_remaining: Math.max(0, CHALLENGE_MAX_ATTEMPTS - challenge.attempts),
  };
}
