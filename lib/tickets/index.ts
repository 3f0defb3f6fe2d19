import { documentClient } from '../aws';
import { getConfig } from '../config';
import { TicketStore } from './ticket-store';

/** Module-scope wiring shared by the ticket handlers: configuration validated and the client built once per cold start. */
export function ticketContext() {
  const config = getConfig();
  return { config, store: new TicketStore(documentClient(config), config.tableName), now: () => Date.now() };
}
