import { describe, expect, it } from 'vitest';
import { loadConfig, resultSigningConfig } from '../../lib/config';
import { AppError } from '../../lib/errors';
import { REFILL_MS } from '../../lib/mfa/budget';
import { createChallenge } from '../../lib/mfa/create-challenge';
import { mfaConfig } from '../../lib/mfa';
import { recoveryCodeFactor } from '../../lib/factors/recovery-code/login';
import { totpFactor } from '../../lib/factors/totp/login';
import { login, openChallenge, verifyUserFactor, type LoginDeps } from '../../lib/mfa/login';
import type { ChallengeRecord } from '../../lib/mfa/challenge';

const verifyLoginOtp = (deps: LoginDeps, challenge: ChallengeRecord, code: string) => login(deps, challenge, totpFactor, code);
const verifyLoginRecoveryCode = (deps: LoginDeps, challenge: ChallengeRecord, code: string) => login(deps, challenge, recoveryCodeFactor, code);
import { MfaStore } from '../../lib/mfa/mfa-store';
import { enroll, RESULT_URL } from '../support/mfa';
import { db, stack, uniqueUser } from '../support/stack';
import { base32Decode, totp, wrongCode } from '../support/totp';

/**
 * The login rules driven through lib/mfa directly against DynamoDB Local: concurrent attempts (the conditions decide,
 * not the reads) and the budget's refill under a clock the test moves.
 */
const config = resultSigningConfig(mfaConfig(loadConfig({ ...stack.functionEnv })));
const store = new MfaStore(db, stack.tableName);
const at = (ms: number) => ({ store, config, now: () => ms });
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err) => (err instanceof AppError ? err.code : `crash: ${String(err)}`),
  );
const tally = (list: string[]) => list.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x]: (acc[x] ?? 0) + 1 }), {});

async function challengeFor(userId: string, now: number) {
  const created = await createChallenge(at(now), { user_id: userId, result_url: RESULT_URL });
  return openChallenge(at(now), created.request_token);
}

describe('concurrent attempts', () => {
  it('the same right code sent 8 times at once on one challenge: exactly one login, the others see it accepted', async () => {
    const user = await enroll(uniqueUser('race-same'));
    const now = Date.now() + 30_000;
    const challenge = await challengeFor(user.userId, now);
    const code = totp(base32Decode(user.secret), now);
    const results = await Promise.all(Array.from({ length: 8 }, () => outcome(verifyLoginOtp(at(now), challenge, code))));
    expect(tally(results)).toEqual({ ok: 1, challenge_accepted: 7 });
  });

  it('the same right code on 6 different challenges at once: one step, one login', async () => {
    const user = await enroll(uniqueUser('race-steps'));
    const now = Date.now() + 30_000;
    const challenges = await Promise.all(Array.from({ length: 6 }, () => challengeFor(user.userId, now)));
    const code = totp(base32Decode(user.secret), now);
    const results = await Promise.all(challenges.map((c) => outcome(verifyLoginOtp(at(now), c, code))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r !== 'ok').every((r) => r === 'invalid_code')).toBe(true);
  });

  it('one recovery code spent from 6 places at once: one success, one next code', async () => {
    const user = await enroll(uniqueUser('race-recovery'));
    const now = Date.now();
    const challenges = await Promise.all(Array.from({ length: 3 }, () => challengeFor(user.userId, now)));
    const attempts = [
      ...challenges.map((c) => verifyLoginRecoveryCode(at(now), c, user.recoveryCode)),
      ...[1, 2, 3].map(() => verifyUserFactor(at(now), user.userId, recoveryCodeFactor, user.recoveryCode)),
    ];
    const settled = await Promise.allSettled(attempts);
    const next = settled.flatMap((s) => (s.status === 'fulfilled' && s.value.recovery_code ? [s.value.recovery_code] : []));
    expect(next).toHaveLength(1);
    expect((await outcome(verifyUserFactor(at(now), user.userId, recoveryCodeFactor, next[0]!)))).toBe('ok');
  });

  it('20 wrong codes at once: exactly 10 count, the rest are refused with 429, and none slips through as a crash', async () => {
    const user = await enroll(uniqueUser('race-budget'));
    const now = Date.now();
    const wrong = wrongCode(base32Decode(user.secret), now);
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(verifyUserFactor(at(now), user.userId, totpFactor, wrong))));
    expect(tally(results)).toEqual({ invalid_code: 9, too_many_attempts: 11 });
  });
});

describe('the failure budget over time', () => {
  it('one attempt comes back every 6 minutes; a right code then works', async () => {
    const user = await enroll(uniqueUser('budget-clock'));
    const secret = base32Decode(user.secret);
    const t0 = Date.now();
    for (let i = 0; i < 10; i += 1) await outcome(verifyUserFactor(at(t0), user.userId, totpFactor, wrongCode(secret, t0)));
    expect(await outcome(verifyUserFactor(at(t0), user.userId, totpFactor, totp(secret, t0)))).toBe('too_many_attempts');
    const almost = t0 + REFILL_MS - 1000;
    expect(await outcome(verifyUserFactor(at(almost), user.userId, totpFactor, totp(secret, almost)))).toBe('too_many_attempts');
    const later = t0 + REFILL_MS;
    // One attempt is back: a wrong one spends it (429 again), after another 6 minutes a right one succeeds.
    expect(await outcome(verifyUserFactor(at(later), user.userId, totpFactor, wrongCode(secret, later)))).toBe('too_many_attempts');
    const later2 = later + REFILL_MS;
    expect(await outcome(verifyUserFactor(at(later2), user.userId, totpFactor, totp(secret, later2)))).toBe('ok');
  });
});
