import { documentClient } from '../aws';
import { getConfig, type SecretName } from '../config';
import { TicketStore } from './ticket-store';

/**
 * Module-scope wiring shared by the ticket handlers: configuration validated (with the key rings the handler names,
 * and only those) and the client built once per cold start.
 */
export function ticketContext<K extends SecretName = never>(...needs: K[]) {
  const config = getConfig(...needs);
  return { config, store: new TicketStore(documentClient(config), config.tableName), now: () => Date.now() };
}
