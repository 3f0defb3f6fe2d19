import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyRing } from '../config';
import { enrollmentSecretContext, open } from '../crypto/secret-box';
import { AppError } from '../errors';
import { filedEnrollmentOwner } from '../store/records';
import type { EmailLookup } from '../signup/email-lookup';
import { ticketKey } from '../tickets/ticket';

/** Where a notification goes, and in which language. */
export interface NotificationRecipient {
  email: string;
  /** The enrolling ticket's `email_locale`, when known (the mailer's default otherwise). */
  localeTag: string | undefined;
  /** Which step of the chain found the address (logged; never the address). */
  source: 'email_factor' | 'enrollment' | 'ticket' | 'identity';
}

/** Whom the event is about: the user, and the ticket that enrolled the factor when the event names it. */
export interface NotificationSubject {
  userId: string;
  ticketId: string | undefined;
  /**
   * The enrollment item the event is about, as the stream record carries it (a removal's old image): a removed
   * enrollment is no longer in the table, yet its address is still the one to tell.
   */
  enrollment?: Record<string, unknown> | undefined;
}

export interface RecipientDeps {
  db: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
  /** The identity system's lookup (lib/signup/email-lookup.ts), when one is configured. */
  identityLookup: EmailLookup | undefined;
  /** ENCRYPTION_KEYS: opens the enrolled and contact addresses (sealed like TOTP secrets). */
  keys: KeyRing;
}

/** What the chain reads of an enrollment item. */
interface EnrollmentView {
  pk: string;
  sk: string;
  factor?: string;
  email?: string;
  contact_email?: string;
  contact_locale?: string;
  ticket_id?: string;
  created_at?: number;
}

const isEnrollment = (item: Record<string, unknown> | undefined, userId: string): item is Record<string, unknown> & EnrollmentView =>
  typeof item?.pk === 'string' && item.pk === `USER#${userId}` && typeof item.sk === 'string' && item.sk.startsWith('ENROLLMENT#');

/**
 * The user's enrollments, newest first, with the event's own (a removed one included) first among equals. One Query
 * of the user's partition.
 */
async function userEnrollments(deps: RecipientDeps, subject: NotificationSubject): Promise<EnrollmentView[]> {
  const { Items } = await deps.db.send(
    new QueryCommand({
      TableName: deps.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :enrollment)',
      ExpressionAttributeValues: { ':pk': `USER#${subject.userId}`, ':enrollment': 'ENROLLMENT#' },
      ProjectionExpression: 'pk, sk, factor, email, contact_email, contact_locale, ticket_id, created_at',
    }),
  );
  const items = (Items ?? []) as EnrollmentView[];
  const own = isEnrollment(subject.enrollment, subject.userId) ? (subject.enrollment as EnrollmentView) : undefined;
  const all = own && !items.some((i) => i.sk === own.sk) ? [own, ...items] : items;
  return all.sort((a, b) => Number(b.created_at ?? 0) - Number(a.created_at ?? 0));
}

/**
 * A sealed address on an enrollment, opened for the user and enrollment it is filed under. One that does not open
 * (a copied item, a retired key) is no address: the chain goes on.
 */
function openAddress(deps: RecipientDeps, item: EnrollmentView, sealed: string | undefined): string | undefined {
  if (typeof sealed !== 'string' || !sealed) return undefined;
  const owner = filedEnrollmentOwner(item);
  try {
    return open(sealed, deps.keys, enrollmentSecretContext(owner.userId, owner.enrollmentId)).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The user's most recent email enrollment's address: the one the user proved most recently. */
function emailFactorAddress(deps: RecipientDeps, enrollments: readonly EnrollmentView[]): string | undefined {
  const latest = enrollments.find((e) => e.factor === 'email');
  return latest ? openAddress(deps, latest, latest.email) : undefined;
}

/**
 * The enrollment whose enrolling ticket counts: the event's own when it names one, else the user's most recent one
 * that came from a ticket (an imported factor has none).
 */
function enrollingEnrollment(subject: NotificationSubject, enrollments: readonly EnrollmentView[]): EnrollmentView | undefined {
  if (isEnrollment(subject.enrollment, subject.userId)) return subject.enrollment as EnrollmentView;
  if (subject.ticketId) return enrollments.find((e) => e.ticket_id === subject.ticketId);
  return enrollments.find((e) => e.contact_email || e.ticket_id);
}

/**
 * The ticket that enrolled a factor: the event's own, else the one behind the enrollment. Tickets are swept and
 * removed by TTL after they end, so this often finds nothing for an old enrollment: the address the enrollment kept
 * (`contact_email`) comes first for that reason.
 */
async function enrollingTicket(
  deps: RecipientDeps,
  subject: NotificationSubject,
  enrollment: EnrollmentView | undefined,
): Promise<{ email?: string; email_locale?: string } | undefined> {
  const ticketId = subject.ticketId ?? (typeof enrollment?.ticket_id === 'string' ? enrollment.ticket_id : undefined);
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
 * The address, in order: the user's email factor, the enrolling ticket's address as the enrollment kept it, the
 * ticket itself (while it is not swept), the identity system. The language is the enrolling ticket's whichever step
 * found the address. Undefined: nowhere to send.
 */
export async function findRecipient(deps: RecipientDeps, subject: NotificationSubject): Promise<NotificationRecipient | undefined> {
  const enrollments = await userEnrollments(deps, subject);
  const factorEmail = emailFactorAddress(deps, enrollments);
  const enrollment = enrollingEnrollment(subject, enrollments);
  const contactEmail = enrollment ? openAddress(deps, enrollment, enrollment.contact_email) : undefined;
  const contactLocale = typeof enrollment?.contact_locale === 'string' ? enrollment.contact_locale : undefined;
  // The ticket is read only when the enrollment kept neither its address nor its language.
  const ticket = (factorEmail || contactEmail) && contactLocale ? undefined : await enrollingTicket(deps, subject, enrollment);
  const localeTag = contactLocale ?? ticket?.email_locale;
  if (factorEmail) return { email: factorEmail, localeTag, source: 'email_factor' };
  if (contactEmail) return { email: contactEmail, localeTag, source: 'enrollment' };
  if (ticket?.email) return { email: ticket.email, localeTag, source: 'ticket' };
  const identity = await identityAddress(deps, subject);
  return identity ? { email: identity, localeTag, source: 'identity' } : undefined;
}
