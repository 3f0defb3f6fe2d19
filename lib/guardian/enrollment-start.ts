import type * as v from 'valibot';
import type { EnrollFactor } from '../factors/factor';
import type { StartDeps, BeginDeps } from '../enrollment/start';
import { beginEnrollment, openTicketToStart, startTotp, unsupportedFactor } from '../enrollment/start';
import type { DeviceMethod } from './enrollment';
import type { startFlowSchema } from './schemas';

/** A factor that starts through its `begin`, as the device protocol offers it (the handler passes them). */
export interface DeviceEnrollFactor {
  method: DeviceMethod;
  enroll: Pick<EnrollFactor<never>, 'begin'>;
}

/**
 * start-flow in the device protocol's enrollment mode: a fresh start bound to its own transaction, as the hosted
 * page's `/enroll/start`. An authenticator-app ticket gets a new secret; a ticket whose factor is among `factors`
 * starts through that factor's `begin` and gets its method (`sms`: the client then posts the number to sms-enroll).
 * Either way the start fixes the enrollment id (the device account) and the recovery code the client shows once the
 * code is accepted. Its own module so that verify-otp and transaction-state (lib/guardian/enrollment.ts) do not
 * bundle the start path and its QR encoder.
 */
export async function enrollmentStartFlow(
  deps: StartDeps & BeginDeps,
  ticketToken: string,
  _body: v.InferOutput<typeof startFlowSchema>,
  factors: Readonly<Partial<Record<string, DeviceEnrollFactor>>> = {},
) {
  const now = deps.now();
  const ticket = await openTicketToStart(deps, ticketToken, now);
  const factor = factors[ticket.factor];
  if (factor) {
    const started = await beginEnrollment(deps, ticket, factor.enroll, now, { issueRecoveryCode: true });
    return deviceStart(started.transaction_token, started.txid!, [factor.method.method], { id: started.enrollment_id!, recovery_code: started.recovery_code! });
  }
  if (ticket.factor !== 'otp') throw unsupportedFactor(ticket);
  const started = await startTotp(deps, ticket, now, { issueRecoveryCode: true });
  return deviceStart(started.transaction_token, started.txid, ['otp'], { id: started.enrollment_id!, otp_secret: started.secret, recovery_code: started.recovery_code! });
}

function deviceStart(transactionToken: string, txid: string, methods: string[], account: { id: string; recovery_code: string; otp_secret?: string }) {
  return {
    transaction_token: transactionToken,
    available_enrollment_methods: methods,
    available_authentication_methods: methods,
    enrollment_tx_id: txid,
    // The client accepts a recovery code as bare alphanumerics.
    device_account: { ...account, recovery_code: account.recovery_code.replace(/[^0-9A-Za-z]/g, '') },
  };
}
