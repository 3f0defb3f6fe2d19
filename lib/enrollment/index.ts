import { documentClient } from '../aws';
import { getConfig, type SecretName } from '../config';
import { TicketStore } from '../tickets/ticket-store';
import { EnrollmentStore } from './enrollment-store';

/**
 * Module-scope wiring of the enrollment handlers: configuration validated (with the key rings the handler names, and
 * only those) and one client built per cold start.
 */
export function enrollmentContext<K extends SecretName = never>(...needs: K[]) {
  const config = getConfig(...needs);
  const db = documentClient(config);
  return {
    config,
    tickets: new TicketStore(db, config.tableName),
    enrollments: new EnrollmentStore(db, config.tableName),
    now: () => Date.now(),
  };
}
export type EnrollmentContext = ReturnType<typeof enrollmentContext>;
