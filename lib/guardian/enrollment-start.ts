import type * as v from 'valibot';
import type { StartDeps } from '../enrollment/start';
import { startEnrollment } from '../enrollment/start';
import type { startFlowSchema } from './schemas';

/**
 * start-flow in the device protocol's enrollment mode: a fresh secret bound to its own transaction, as the hosted
 * page's `/enroll/start`. Its own module so that verify-otp and transaction-state (lib/guardian/enrollment.ts) do not
 * bundle the start path and its QR encoder.
 */
export async function enrollmentStartFlow(deps: StartDeps, ticketToken: string, _body: v.InferOutput<typeof startFlowSchema>) {
  const started = await startEnrollment(deps, { ticket: ticketToken }, { issueRecoveryCode: true });
  return {
    transaction_token: started.transaction_token,
    available_enrollment_methods: ['otp'],
    available_authentication_methods: ['otp'],
    enrollment_tx_id: started.txid,
    device_account: {
      id: started.enrollment_id!,
      otp_secret: started.secret,
      // The client accepts a recovery code as bare alphanumerics.
      recovery_code: started.recovery_code!.replace(/[^0-9A-Za-z]/g, ''),
    },
  };
}

