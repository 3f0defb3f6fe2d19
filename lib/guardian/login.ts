import { openChallenge, verifyLoginOtp, verifyLoginRecoveryCode, type LoginDeps, type OpenChallengeDeps } from '../mfa/login';
import { challengeTransactionState } from '../mfa/transaction-state';

/**
 * The device protocol's login mode (`Authorization: Bearer <request_token>`), translated to the login use cases of
 * lib/mfa/login.ts — the same rules as the hosted page and the app's verify API (one TOTP step once per enrollment,
 * the user's failure budget, 5 wrong codes lock the challenge, recovery codes single use and rotated). The challenge
 * is the transaction: its request token is answered back as `transaction_token` (`txid` = the challenge id), so a
 * login needs no state beyond the challenge itself.
 */

/** Only reads: no result signing key needed. */
export async function loginStartFlow(deps: OpenChallengeDeps, requestToken: string) {
  const challenge = await openChallenge(deps, requestToken);
  const types = challenge.factors.filter((f) => f === 'otp' || f === 'recovery-code');
  return {
    transaction_token: requestToken,
    available_enrollment_methods: [],
    available_authentication_methods: types.includes('otp') ? ['otp'] : [],
    device_account: { name: 'Authenticator app', methods: ['otp'], available_methods: ['otp'], available_authenticator_types: types },
  };
}

export async function loginVerifyOtp(deps: LoginDeps, requestToken: string, code: string): Promise<Record<string, never>> {
  const challenge = await openChallenge(deps, requestToken);
  await verifyLoginOtp(deps, challenge, code);
  return {};
}

export async function loginRecoverAccount(deps: LoginDeps, requestToken: string, recoveryCode: string): Promise<{ recovery_code?: string }> {
  const challenge = await openChallenge(deps, requestToken);
  const result = await verifyLoginRecoveryCode(deps, challenge, recoveryCode);
  return { recovery_code: result.recovery_code };
}

export async function loginTransactionStateView(deps: Pick<LoginDeps, 'store' | 'config' | 'now'>, requestToken: string) {
  const state = await challengeTransactionState(deps, requestToken);
  if (state.state === 'accepted') return { id: state.txid, state: state.state, token: state.signature };
  return { id: state.txid, state: state.state };
}
