import { documentClient } from '../aws';
import { getConfig } from '../config';
import { TicketStore } from '../tickets/ticket-store';
import { EnrollmentStore } from './enrollment-store';

/** Module-scope wiring of the enrollment handlers: configuration validated and one client built per cold start. */
export function enrollmentContext() {
  const config = getConfig();
  const db = documentClient(config);
  return {
    config,
    tickets: new TicketStore(db, config.tableName),
    enrollments: new EnrollmentStore(db, config.tableName),
    now: () => Date.now(),
  };
}
export type EnrollmentContext = ReturnType<typeof enrollmentContext>;
