import type { ConfirmDeps } from '../enrollment/confirm';
import type { EnrollFactor } from '../factors/factor';
import { confirmAnyStart } from '../enrollment/confirm';
import { enrollmentTransactionState, type TransactionStateDeps } from '../enrollment/transaction-state';

/**
 * The device protocol's enrollment mode (`Authorization: Ticket id="<ticket token>"`), translated to the enrollment
 * use cases of lib/enrollment — the same rules as the hosted page's `/enroll/*`: each start-flow is a fresh secret
 * bound to its own transaction, only the latest transaction confirms, wrong codes count on the ticket.
 */

/** What a confirmed enrollment looks like to the client (`enrollment` in transaction-state, `device_account`). */
export const OTP_AUTHENTICATOR = {
  methods: ['otp'],
  available_methods: ['otp'],
  available_authenticator_types: ['otp', 'recovery-code'],
} as const;

/**
 * A factor the device protocol serves besides the authenticator app, as its handler passes it: the factor's name (a
 * ticket's `factor`, a challenge's `factors`, a pending code's `factor`), its method in the protocol and the name the
 * client shows for its enrollment.
 */
export interface DeviceMethod {
  factor: string;
  method: string;
  name: string;
}

/** A confirmed enrollment of `method`'s factor as the client sees it, or the authenticator app's. */
export function deviceAuthenticator(method: DeviceMethod | undefined) {
  if (!method) return { name: 'Authenticator app', ...OTP_AUTHENTICATOR };
  return { name: method.name, methods: [method.method], available_methods: [method.method], available_authenticator_types: [method.method, 'recovery-code'] };
}

/** Signs the result of an accepted transaction (an enrollment result, lib/mfa/result-token.ts `signEnrollmentResult`). */
export interface EnrollmentResult {
  sub: string;
  /** The origin of the ticket's result_url, else our own (the signer derives the enrollment audience from it). */
  aud: string;
  txid: string;
  /** Epoch ms when the code was accepted. */
  authTime: number;
  enrollmentId: string;
  /** The ticket's factor: the result names the method it proved. */
  factor: string;
}
export type ResultSigner = (result: EnrollmentResult) => Promise<string>;

/**
 * verify-otp with an enrollment transaction: the transaction token is the credential; the body is empty on success.
 * `started`: the factors that start through their `begin` (by ticket factor), confirmed when the transaction is such a
 * start; else the authenticator app's `factor`.
 */
export async function enrollmentVerifyOtp(
  deps: ConfirmDeps,
  transactionToken: string,
  code: string,
  factor: EnrollFactor<string>,
  started: Readonly<Partial<Record<string, EnrollFactor<string>>>> = {},
): Promise<Record<string, never>> {
  await confirmAnyStart(deps, { transaction_token: transactionToken, code }, started, factor);
  return {};
}

export async function enrollmentTransactionStateView(
  deps: TransactionStateDeps & { sign: ResultSigner; publicBaseUrl: string },
  transactionToken: string,
  methods: readonly DeviceMethod[] = [],
) {
  const state = await enrollmentTransactionState(deps, transactionToken);
  if (state.state === 'pending') return { id: state.txid, state: 'pending' as const };
  const { ticket } = state;
  const token = await deps.sign({
    sub: ticket.user_id,
    aud: new URL(ticket.result_url ?? deps.publicBaseUrl).origin,
    txid: state.txid,
    authTime: ticket.redeemed_at,
    enrollmentId: ticket.enrollment_id,
    factor: ticket.factor,
  });
  return {
    id: state.txid,
    state: 'accepted' as const,
    token,
    enrollment: { id: ticket.enrollment_id, status: 'confirmed', ...deviceAuthenticator(methods.find((m) => m.factor === ticket.factor)) },
  };
}
