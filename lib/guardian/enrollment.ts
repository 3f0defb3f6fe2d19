import type { ConfirmDeps } from '../enrollment/confirm';
import type { EnrollFactor } from '../factors/factor';
import { confirmEnrollment } from '../enrollment/confirm';
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

/** Signs the result of an accepted transaction (an enrollment result, lib/mfa/result-token.ts `signEnrollmentResult`). */
export interface EnrollmentResult {
  sub: string;
  /** The origin of the ticket's result_url, else our own (the signer derives the enrollment audience from it). */
  aud: string;
  txid: string;
  /** Epoch ms when the code was accepted. */
  authTime: number;
  enrollmentId: string;
}
export type ResultSigner = (result: EnrollmentResult) => Promise<string>;

/** verify-otp with an enrollment transaction: the transaction token is the credential; the body is empty on success. */
export async function enrollmentVerifyOtp(deps: ConfirmDeps, transactionToken: string, code: string, factor: EnrollFactor<string>): Promise<Record<string, never>> {
  await confirmEnrollment(deps, { transaction_token: transactionToken, code }, factor);
  return {};
}

export async function enrollmentTransactionStateView(
  deps: TransactionStateDeps & { sign: ResultSigner; publicBaseUrl: string },
  transactionToken: string,
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
  });
  return {
    id: state.txid,
    state: 'accepted' as const,
    token,
    enrollment: { id: ticket.enrollment_id, status: 'confirmed', name: 'Authenticator app', ...OTP_AUTHENTICATOR },
  };
}
