import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors';
import type { EmailLookup } from '../signup/email-lookup';
import { ticketKey } from '../tickets/ticket';

/** Where a notification goes, and in which language. */
export interface NotificationRecipient {
  email: string;
  /** The enrolling ticket's `email_locale`, when known (the mailer's default otherwise). */
  localeTag: string | undefined;
  /** Which step of the chain found the address (logged; never the address). */
  source: 'email_factor' | 'ticket' | 'identity';
}

/** Whom the event is about: the user, and the ticket that enrolled the factor when the event names it. */
export interface NotificationSubject {
  userId: string;
  ticketId: string | undefined;
}

export interface RecipientDeps {
  db: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
  /** The identity system's lookup (lib/signup/email-lookup.ts), when one is configured. */
  identityLookup: EmailLookup | undefined;
}

/**
 * The user's email factor. Not built yet: when it is, its confirmed address is the first choice (it is the one the
 * user proved most recently). Returns nothing until then.
 */
async function emailFactorAddress(_deps: RecipientDeps, _subject: NotificationSubject): Promise<string | undefined> {
  return undefined;
}

/**
 * The ticket that enrolled a factor: the event's own, else (a login event names none) the one behind the user's
 * most recent enrollment. Tickets are swept and removed by TTL after they end, so this often finds nothing for an
 * old enrollment: the chain then asks the identity system.
 */
async function enrollingTicket(deps: RecipientDeps, subject: NotificationSubject): Promise<{ email?: string; email_locale?: string } | undefined> {
  let ticketId = subject.ticketId;
  if (!ticketId) {
    const { Items } = await deps.db.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :enrollment)',
        ExpressionAttributeValues: { ':pk': `USER#${subject.userId}`, ':enrollment': 'ENROLLMENT#' },
        ProjectionExpression: 'ticket_id, created_at',
      }),
    );
    const latest = (Items ?? []).sort((a, b) => Number(b.created_at ?? 0) - Number(a.created_at ?? 0))[0];
    ticketId = typeof latest?.ticket_id === 'string' ? latest.ticket_id : undefined;
  }
  if (!ticketId) return undefined;
  const { Item } = await deps.db.send(
    new GetCommand({ TableName: deps.tableName, Key: ticketKey(ticketId), ProjectionExpression: 'email, email_locale, user_id' }),
  );
  // A ticket of someone else would be a bug in the writer: never mail another user's address.
  if (!Item || Item.user_id !== subject.userId) return undefined;
  return Item as { email?: string; email_locale?: string };
}

/** The identity system's verified address; an unknown user is no address, not a failure. Throttling propagates (retried). */
async function identityAddress(deps: RecipientDeps, subject: NotificationSubject): Promise<string | undefined> {
  if (!deps.identityLookup) return undefined;
  try {
    return await deps.identityLookup(subject.userId);
  } catch (err) {
    if (err instanceof AppError && err.code === 'user_not_found') return undefined;
    throw err;
  }
}

/**
 * The address, in order: the user's email factor, the ticket that enrolled the factor, the identity system. The
 * language is the enrolling ticket's whichever step found the address. Undefined: nowhere to send.
 */
export async function findRecipient(deps: RecipientDeps, subject: NotificationSubject): Promise<NotificationRecipient | undefined> {
  const factorEmail = await emailFactorAddress(deps, subject);
  const ticket = await enrollingTicket(deps, subject);
  const localeTag = ticket?.email_locale;
  if (factorEmail) return { email: factorEmail, localeTag, source: 'email_factor' };
  if (ticket?.email) return { email: ticket.email, localeTag, source: 'ticket' };
  const identity = await identityAddress(deps, subject);
  return identity ? { email: identity, localeTag, source: 'identity' } : undefined;
}
