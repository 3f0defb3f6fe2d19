import { documentClient } from '../aws';
import { getConfig, resultSigningConfig, type SecretName } from '../config';
import { EnrollmentStore } from '../enrollment/enrollment-store';
import { mfaConfig } from '../mfa';
import { MfaStore } from '../mfa/mfa-store';
import { TicketStore } from '../tickets/ticket-store';

/**
 * Module-scope wiring of the device-protocol handlers: one client per cold start, configuration validated loudly.
 * Both modes share a handler (the credential decides), so each gets the ticket and the challenge stores.
 */
export function deviceContext<K extends SecretName = never>(...needs: K[]) {
  const config = mfaConfig(getConfig(...needs));
  const db = documentClient(config);
  return {
    config,
    tickets: new TicketStore(db, config.tableName),
    enrollments: new EnrollmentStore(db, config.tableName),
    store: new MfaStore(db, config.tableName),
    now: () => Date.now(),
  };
}

/** The same, for handlers that sign results (RESULT_SIGNING_KEYS required at cold start). */
export function signingDeviceContext<K extends SecretName = never>(...needs: K[]) {
  const context = deviceContext(...needs);
  return { ...context, config: resultSigningConfig(context.config) };
}
