import type { Config } from '../config';
import { effectiveStatus, linkGeneration, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { transactionSuperseded } from './confirm';
import { ticketEnded, ticketSuperseded } from './ticket-access';
import { invalidTransaction, transactionHash, verifyTransactionToken } from './transaction-token';

export interface TransactionStateDeps {
  tickets: Pick<TicketStore, 'get'>;
  config: Pick<Config, 'signingKeys'>;
  now: () => number;
}

export type EnrollmentTransactionState =
  | { state: 'pending'; txid: string }
  /** Confirmed by this transaction: the redeemed ticket (its `enrollment_id`, `user_id`, `result_url`, `redeemed_at`). */
  | { state: 'accepted'; txid: string; ticket: TicketRecord & { enrollment_id: string; redeemed_at: number } };

/**
 * Where an enrollment transaction stands, for a client that learns the outcome by asking (the device protocol's
 * `transaction-state`). Reads only. `pending` while it is the ticket's latest start; `accepted` once THIS transaction
 * confirmed; otherwise it can never complete: 409 `transaction_superseded` (a later start replaced it), 410
 * `ticket_superseded` (a recipient change replaced the link it was started from) or 410 with the ticket's status
 * (ended, or redeemed by another transaction).
 */
export async function enrollmentTransactionState(deps: TransactionStateDeps, transactionToken: string): Promise<EnrollmentTransactionState> {
  const now = deps.now();
  const claims = await verifyTransactionToken(deps.config.signingKeys, 'mfa-enrollment', transactionToken, now);
  const ticket = await deps.tickets.get(claims.sub);
  if (!ticket) throw invalidTransaction();
  const tx = transactionHash(claims.txid);
  if (ticket.status === 'redeemed' && ticket.redeemed_tx === tx && ticket.enrollment_id && ticket.redeemed_at) {
    return { state: 'accepted', txid: claims.txid, ticket: { ...ticket, enrollment_id: ticket.enrollment_id, redeemed_at: ticket.redeemed_at } };
  }
  const status = effectiveStatus(ticket, now);
  if (status !== 'pending') throw ticketEnded(status);
  if (linkGeneration(ticket) !== claims.generation) throw ticketSuperseded();
  // The ticket's latest start: a TOTP start, or one through a factor's `begin` (a phone start waiting for its code).
  if (ticket.pending_totp?.tx !== tx && ticket.pending?.tx !== tx) throw transactionSuperseded();
  return { state: 'pending', txid: claims.txid };
}
