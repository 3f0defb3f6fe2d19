import { issueDeliveredCode } from '../delivered-code/code';
import { capsRefusal, destinationSendUpdate, type SendCap } from '../delivered-code/destination-rate';
import { checkPendingSend, DEFAULT_SEND_LIMITS, tooManySends } from '../delivered-code/send-limits';
import type { Config } from '../config';
import { pageLocale } from '../enrollment/messages';
import type { CodeSender } from '../factors/factor';
import { logger } from '../log';
import { busy, factorNotOffered, sendEnrollmentNotFound } from './errors';
import { openChallenge, requirePendingChallenge, type OpenChallengeDeps } from './login';
import type { MfaStore } from './mfa-store';
import type { ChallengeRecord } from './challenge';

export interface SendCodeDeps extends OpenChallengeDeps {
  store: Pick<MfaStore, 'getChallenge' | 'loadUser' | 'putPendingCode'>;
  config: OpenChallengeDeps['config'] & Pick<Config, 'encryptionKeys' | 'tableName'>;
  random?: (size: number) => Buffer;
}

export type SendCodeRequest = SendCodeOptions &
  /** The request token to open the challenge with, or the challenge a caller already opened (the device protocol). */
  ({ requestToken: string } | { challenge: ChallengeRecord });

interface SendCodeOptions {
  /** Which of the user's enrollments of this factor (default: their first). */
  enrollmentId?: string;
  /** The browser's Accept-Language: the message is in the page's locale (the challenge's `email_locale` first). */
  acceptLanguage: string | undefined;
  /** The request's source address, for a factor that caps sends per source (phone). */
  sourceIp?: string;
}

export interface CodeSent {
  /** Where it went, masked (`a•••@example.com`). */
  sent_to: string;
  enrollment_id: string;
  /** When the code stops working (ISO 8601). */
  expires_at: string;
  /** Seconds until another code may be asked for. */
  resend_after_sec: number;
  /** Codes that may still be sent for this sign-in. */
  sends_left: number;
}

/**
 * `POST /mfa/<factor>/send` (the page's "Email me a code"; the request token authenticates): the only place a login
 * code is sent, so nothing goes out before the user asks (a link scanner that opens and runs the page clicks
 * nothing). In order:
 * 1. the challenge is open (lib/mfa/login.ts `openChallenge`), offers this factor, and the user has the enrollment;
 * 2. the send rules on the challenge as read (cooldown, 5 sends): a refusal writes nothing;
 * 3. one transaction: the code's keyed hash on the challenge (`pending_code`, under the same rules as conditions,
 *    so two sends at once give one code) and one send from the destination's hour;
 * 4. only then the destination is opened and the code sent, once. A failed delivery leaves the send counted: the
 *    user asks again after the cooldown.
 * 429 `too_many_sends` (`retry_after_sec`) when a rule refuses; nothing is logged of the destination or the code.
 */
export async function sendLoginCode(deps: SendCodeDeps, request: SendCodeRequest, sender: CodeSender): Promise<CodeSent> {
  let challenge = 'challenge' in request ? request.challenge : await openChallenge(deps, request.requestToken);
  if (!challenge.factors.includes(sender.name)) throw factorNotOffered();
  const { enrollments } = await deps.store.loadUser(challenge.user_id);
  const usable = enrollments.filter((e) => sender.usable(e));
  const enrollment = request.enrollmentId === undefined ? usable[0] : usable.find((e) => e.enrollment_id === request.enrollmentId);
  if (!enrollment) throw sendEnrollmentNotFound();
  const keys = deps.config.encryptionKeys;
  const destination = sender.destination(enrollment, keys);
  const caps: SendCap[] = [
    { rate: sender.rate, key: destination.rateKey, reason: 'destination' },
    ...(sender.caps?.(destination, { userId: challenge.user_id, sourceIp: request.sourceIp }, keys) ?? []),
  ];

  for (let round = 0; round < 5; round += 1) {
    const now = deps.now();
    requirePendingChallenge(challenge, now);
    const decision = checkPendingSend(challenge.pending_code, now, challenge.expires_at);
    if (!decision.ok) throw tooManySends(decision.retry_after_sec, decision.reason);
    const context = { channel: sender.channel, purpose: 'login', challengeId: challenge.challenge_id, userId: challenge.user_id } as const;
    const { code, pending } = issueDeliveredCode({ context, keys, now, previous: challenge.pending_code, random: deps.random });
    const written = await deps.store.putPendingCode({
      challengeId: challenge.challenge_id,
      pending: { ...pending, factor: sender.name, enrollment_id: enrollment.enrollment_id, ...(destination.method ? { method: destination.method } : {}) },
      destination: destinationSendUpdate(deps.config.tableName, sender.rate, destination.rateKey, now),
      caps: caps.slice(1).map((cap) => destinationSendUpdate(deps.config.tableName, cap.rate, cap.key, now)),
      now,
    });
    if (written.ok) {
      logger.info('mfa code sent', { challengeId: challenge.challenge_id, enrollmentId: enrollment.enrollment_id, factor: sender.name, sends: pending.sends });
      await sender.deliver(destination, code, pageLocale(challenge.email_locale, request.acceptLanguage));
      return {
        sent_to: destination.masked,
        enrollment_id: enrollment.enrollment_id,
        expires_at: new Date(pending.expires_at).toISOString(),
        resend_after_sec: DEFAULT_SEND_LIMITS.cooldownSec,
        sends_left: Math.max(0, DEFAULT_SEND_LIMITS.maxSends - pending.sends),
      };
    }
    if (written.reason === 'destination') throw destinationRefused((written.refused ?? [0]).map((i) => caps[i]!), now);
    if (written.reason === 'busy') continue;
    // Refused by the challenge: decide again on the item as it is now (another send won, or it ended).
    challenge = written.challenge ?? (await deps.store.getChallenge(challenge.challenge_id)) ?? challenge;
  }
  throw busy();
}

const destinationRefused = (refused: readonly SendCap[], now: number) => {
  logger.info('mfa code refused: send cap', { prefixes: refused.map((cap) => cap.rate.prefix) });
  const refusal = capsRefusal(refused, now);
  return tooManySends(refusal.retry_after_sec, refusal.reason);
};
