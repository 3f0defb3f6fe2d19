import { invalidTransaction, issueTransactionToken, newTransactionId, transactionHash, verifyTransactionToken } from '../enrollment/transaction-token';
import { isChallengeId, type ChallengeRecord } from '../mfa/challenge';
import { challengeEnded, challengeNotFound } from '../mfa/errors';
import type { CodeSender, LoginFactor } from '../factors/factor';
import { sendLoginCode, type SendCodeDeps } from '../mfa/send-code';
import type { DeviceMethod } from './enrollment';
import { login, openChallenge, requirePendingChallenge, type LoginDeps, type OpenChallengeDeps } from '../mfa/login';
import { verifyRequestToken } from '../mfa/request-token';
import { challengeTransactionState, type ChallengeAsker } from '../mfa/transaction-state';
import { claimedAudience } from './http';

/**
 * The device protocol's login mode, translated to the login use cases of lib/mfa/login.ts — the same rules as the
 * hosted page and the app's verify API (one TOTP step once per enrollment, the user's failure budget, 5 wrong codes
 * lock the challenge, recovery codes single use and rotated).
 *
 * start-flow takes the challenge's `request_token` and answers a device transaction of its own
 * (`transaction_token`, `aud: "mfa-login"`, `sub` = the challenge id, a fresh `txid`); nothing is written. The
 * transaction that proves the factor (verify-otp, recover-account) is recorded on the challenge (`accepted_tx`, a
 * hash), and transaction-state hands the result to that transaction only: the request token sits in the challenge
 * URL, so holding it must not be enough to collect a result the user earned elsewhere. verify-otp and recover-account
 * still take the bare request token, as the hosted page does; a login proved that way is read from the page's answer,
 * never from transaction-state.
 */
export const LOGIN_TRANSACTION = 'mfa-login';

/** Verifies either token a login call may carry: a device transaction (ours) or the challenge's request token. */
async function asker(deps: OpenChallengeDeps, token: string): Promise<ChallengeAsker & { txid: string }> {
  const now = deps.now();
  if (claimedAudience(token) === LOGIN_TRANSACTION) {
    const claims = await verifyTransactionToken(deps.config.signingKeys, LOGIN_TRANSACTION, token, now);
    if (!isChallengeId(claims.sub)) throw invalidTransaction();
    return { challengeId: claims.sub, txid: claims.txid, deviceTx: transactionHash(claims.txid) };
  }
  const checked = await verifyRequestToken(token, deps.config.signingKeys, deps.config.publicBaseUrl, now);
  if (!checked.ok) throw checked.reason === 'expired' ? challengeEnded('expired') : challengeNotFound();
  if (!isChallengeId(checked.txid)) throw challengeNotFound();
  return { challengeId: checked.txid, userId: checked.sub, txid: checked.txid };
}

/** The challenge a proof is made against, if it can still be attempted, and the proving device transaction. */
async function openForProof(deps: OpenChallengeDeps, token: string): Promise<{ challenge: ChallengeRecord; deviceTx?: string }> {
  if (claimedAudience(token) !== LOGIN_TRANSACTION) return { challenge: await openChallenge(deps, token) };
  const { challengeId, deviceTx } = await asker(deps, token);
  const challenge = await deps.store.getChallenge(challengeId);
  if (!challenge) throw challengeNotFound();
  requirePendingChallenge(challenge, deps.now());
  return { challenge, deviceTx };
}

/**
 * Only reads: no result signing key needed. A new device transaction per call, as enrollment does. `methods`: the
 * factors the handler serves besides the authenticator app (`sms`), offered where the challenge lists their factor.
 */
export async function loginStartFlow(deps: OpenChallengeDeps, requestToken: string, methods: readonly DeviceMethod[] = []) {
  const challenge = await openChallenge(deps, requestToken);
  const { token } = await issueTransactionToken(
    deps.config.signingKeys,
    LOGIN_TRANSACTION,
    { txid: newTransactionId(), sub: challenge.challenge_id, notAfter: challenge.expires_at },
    deps.now(),
  );
  // As the protocol names them, in the challenge's order; the recovery code last.
  const proving = challenge.factors.flatMap((f) => (f === 'otp' ? [f] : methods.filter((m) => m.factor === f).map((m) => m.method)));
  const types = challenge.factors.includes('recovery-code') ? [...proving, 'recovery-code'] : proving;
  const first = methods.find((m) => m.method === proving[0]);
  return {
    transaction_token: token,
    available_enrollment_methods: [],
    available_authentication_methods: proving,
    device_account: {
      name: first?.name ?? 'Authenticator app',
      methods: proving.length > 0 ? proving : ['otp'],
      available_methods: proving.length > 0 ? proving : ['otp'],
      available_authenticator_types: types,
    },
  };
}

/**
 * send-sms (and any code-sending method): a code for the challenge of a login transaction or request token, through
 * the login's send rules (lib/mfa/send-code.ts `sendLoginCode`: cooldown, sends per challenge, the sender's caps).
 * The body is empty on success, as the client expects.
 */
export async function loginSendCode(
  deps: SendCodeDeps,
  token: string,
  sender: CodeSender,
  request: { acceptLanguage: string | undefined; sourceIp?: string },
): Promise<Record<string, never>> {
  const { challenge } = await openForProof(deps, token);
  await sendLoginCode(deps, { ...request, challenge }, sender);
  return {};
}

/**
 * verify-otp with a login transaction; `factor`: the authenticator app's, which its handler passes. When the
 * challenge waits for a code one of `sent` sent (send-sms), the code is that factor's proof.
 */
export async function loginVerifyOtp(deps: LoginDeps, token: string, code: string, factor: LoginFactor, sent: readonly LoginFactor[] = []): Promise<Record<string, never>> {
  const { challenge, deviceTx } = await openForProof(deps, token);
  const sender = sent.find((f) => f.name === challenge.pending_code?.factor);
  await login(deps, challenge, sender ?? factor, code, deviceTx);
  return {};
}

/** recover-account; `factor`: the recovery code's, which its handler passes. */
export async function loginRecoverAccount(deps: LoginDeps, token: string, recoveryCode: string, factor: LoginFactor): Promise<{ recovery_code?: string }> {
  const { challenge, deviceTx } = await openForProof(deps, token);
  const result = await login(deps, challenge, factor, recoveryCode, deviceTx);
  return { recovery_code: result.recovery_code };
}

/** `id` is the asking token's `txid` (the client's own transaction id). */
export async function loginTransactionStateView(deps: Pick<LoginDeps, 'store' | 'config' | 'now'>, token: string) {
  const who = await asker(deps, token);
  const state = await challengeTransactionState(deps, who);
  if (state.state === 'accepted') return { id: who.txid, state: state.state, token: state.signature };
  return { id: who.txid, state: state.state };
}
