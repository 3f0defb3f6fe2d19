import type { KeyRing } from '../config';
import type { SendLimits } from '../delivered-code/send-limits';
import type { CodeChannel, PendingCode } from '../delivered-code/code';
import type { DestinationRate, SendCap } from '../delivered-code/destination-rate';
import type { EmailEnrollmentRecord, EnrollmentRecord, PhoneEnrollmentRecord, PendingEnrollCode, PendingStart, PendingTotp, PendingWebauthn } from '../store/records';

/**
 * The interfaces every factor offers (Ory's strategies, Keycloak's authenticators); docs/FACTORS.md says what a
 * factor folder holds. The flows — enrollment (lib/enrollment), login (lib/mfa), the device protocol (lib/guardian),
 * the admin list — call factors only through these and never branch on their internals:
 * - `FactorDescriptor`: light (no crypto library), listed in lib/factors/registry.ts: names, method, `amr`, which
 *   enrollments it can use, its admin view.
 * - `LoginFactor`: signing in — check a proof against the user's enrollments and say what write spends it;
 *   `PromptFactor`: what the page needs before the proof (WebAuthn options).
 * - `EnrollFactor`: enrolling from a ticket — the begin (lib/enrollment/start.ts `beginEnrollment`: what a start
 *   offers and keeps on the ticket; TOTP and WebAuthn still start in lib/enrollment/start.ts, webauthn-start.ts) and
 *   the finish (lib/enrollment/confirm.ts `finishEnrollment`); `CodeDelivery`: where a factor that sends codes sends
 *   one, and how (lib/enrollment/send-code.ts).
 * The heavy modules (a factor's `login.ts`, `enroll.ts`, `prompt.ts`) are picked by the handlers in functions/ and passed to the
 * flows, so each function bundles only the factors it serves.
 *
 * A factor is pure: it reads the user's enrollments as loaded and says which one the proof matches and what write
 * spends it; the store turns that into one conditional update inside the transaction that accepts the login, so a
 * proof is spent exactly once however many requests race with it.
 */
export type MfaMethod = 'totp' | 'recovery-code' | 'webauthn' | 'email' | 'sms' | 'voice';

/** The names apps see in a challenge's `factors` (the vendor's authenticator types). */
export type FactorName = 'otp' | 'recovery-code' | 'webauthn-roaming' | 'webauthn-platform' | 'email' | 'phone';

/** The write that spends a proof, as a condition on the enrollment it matched. */
export type Spend =
  /** TOTP: `last_used_step < step` → `step`, so a time step is accepted once per enrollment. */
  | { kind: 'totp-step'; step: number }
  /** Recovery code: `recovery_code_hash = used` → `next`, so a code works once and its successor replaces it. */
  | { kind: 'recovery-code'; usedHash: string; nextHash: string }
  /** Security key / passkey: `sign_count = seen` → `next`, so two logins never both advance from one counter value. */
  | { kind: 'webauthn-counter'; seen: number; next: number }
  /**
   * A code the service sent (email, phone): the challenge's `pending_code` removed if its `hash` is still this one,
   * in the same write that accepts the challenge, so a code works once and a newer code replaces an older one.
   */
  | { kind: 'pending-code'; hash: string };

export interface FactorMatch {
  method: MfaMethod;
  enrollment: EnrollmentRecord;
  spend: Spend;
  /** The next recovery code, bare 24 characters: returned to the user once, after the spend committed. */
  nextRecoveryCode?: string;
  /** RFC 8176 references of this very proof, when they depend on it (WebAuthn: key kind, user verified). */
  amr?: readonly string[];
}

export interface FactorContext {
  /** ENCRYPTION_KEYS: open TOTP secrets, key recovery-code MACs (absent where no such factor is checked). */
  keys: KeyRing | undefined;
  now: number;
  random: (size: number) => Buffer;
  /** The challenge the proof is for, as read before the attempt (absent on the app's verify API). */
  challenge?: LoginChallenge;
}

/**
 * The code a challenge is waiting for, from a factor that sends one (`pending_code` on the challenge item): which
 * factor sent it to which enrollment, and the delivered code's keyed hash, times and count of sends
 * (lib/delivered-code/code.ts). One per challenge: a new send replaces it, whatever the factor, and carries `sends` on.
 */
export interface PendingLoginCode extends PendingCode {
  factor: FactorName;
  enrollment_id: string;
  /** How the code went, when the factor has several ways (phone: `sms` or `voice`): the login's `mfa_method`. */
  method?: MfaMethod;
}

/** What a factor may know of the challenge a proof is for. */
export interface LoginChallenge {
  challengeId: string;
  userId: string;
  pendingCode?: PendingLoginCode;
}

/** The admin list's `type` and `auth_method` values (the vendor's; docs/openapi.json lists them): a new factor adds its own. */
export type ViewType = 'authenticator' | 'webauthn-roaming' | 'webauthn-platform' | 'email' | 'phone';
export type ViewAuthMethod = 'authenticator' | 'webauthn' | 'email' | 'sms' | 'voice';

/** What the admin list reads of an enrollment item: never a sealed value, the masked identifier at most. */
export type ListedEnrollment = Pick<EnrollmentRecord, 'enrollment_id' | 'factor' | 'status' | 'name' | 'created_at'> &
  Partial<Pick<EmailEnrollmentRecord, 'masked_email'>> &
  Partial<Pick<PhoneEnrollmentRecord, 'masked_phone' | 'preferred_authentication_method'>>;

/** One row of the admin list (`GET /api/v2/users/{user_id}/enrollments`), in the vendor's vocabulary. */
export interface FactorView {
  type: ViewType;
  auth_method: ViewAuthMethod;
  /** The enrollment's `name` when none was given. */
  defaultName: string;
  /** The enrollment's identifier, masked for the list (an address: `a•••@example.com`); absent when it has none. */
  maskedIdentifier?: (enrollment: ListedEnrollment) => string | undefined;
  /** The vendor's field for that identifier in an authentication method (`email`, `phone_number`). */
  identifierField?: 'email' | 'phone_number';
}

/** Where a factor that sends codes would send one for a challenge, masked: shown before anything is sent. */
export interface MaskedDestination {
  factor: FactorName;
  enrollment_id: string;
  masked: string;
}

/** What the registry knows of a factor without loading its checks. */
export interface FactorDescriptor {
  /** Its name in a challenge's `factors` (a factor with several kinds: its first; see `available`). */
  name: FactorName;
  method: MfaMethod;
  /** Further methods a login with this factor may report (phone: `voice` besides `sms`); the match says which. */
  otherMethods?: readonly MfaMethod[];
  /** RFC 8176 authentication method references for the result token (when the proof itself says none). */
  amr: readonly string[];
  /** Bound to the origin, so a phishing page cannot relay it: the factors a phishing-resistant step-up allows. */
  phishingResistant: boolean;
  /** Whether this enrollment can be used with this factor. */
  usable(enrollment: EnrollmentRecord): boolean;
  /** The names a challenge lists for this user (default: `name` when any enrollment is usable). */
  available?(enrollments: readonly EnrollmentRecord[]): FactorName[];
  /** Attributes of its enrollments sealed with lib/crypto/secret-box.ts (re-sealed by `npm run reencrypt`). */
  sealed?: readonly string[];
  /** The ticket `factor`s it enrolls (an enrollment item's `factor`); none for a factor that rides on another's. */
  enrolls: readonly FactorName[];
  /** The admin list's row for an enrollment whose `factor` is one of `enrolls` (as listed, when its row depends on it). */
  view?(factor: FactorName, enrollment?: ListedEnrollment): FactorView;
}

/** What a challenge needs to list a user's factors. */
export type FactorUse = Pick<FactorDescriptor, 'name' | 'usable'>;

export interface LoginFactor<Proof = string> extends FactorUse {
  method: MfaMethod;
  /** RFC 8176 authentication method references for the result token. */
  amr: readonly string[];
  /** The enrollment the proof matches and the write that spends it; undefined for a wrong, replayed or malformed proof. */
  verify(enrollments: readonly EnrollmentRecord[], proof: Proof, context: FactorContext): FactorMatch | undefined;
}

/** Signing in, before the proof: what the page needs to ask for it (WebAuthn: the ceremony options). */
export interface PromptFactor<Prompt> {
  /** The login method it prompts for (a step-up challenge prompts only for the enrollments it allows). */
  method: MfaMethod;
  /** The prompt for this login; undefined when the user has no enrollment this factor can use. Writes nothing. */
  prompt(enrollments: readonly EnrollmentRecord[], login: { challengeId: string }): Prompt | undefined;
}

/** Where a code goes, opened from an enrollment only to send it. */
export interface CodeDestination {
  /** The address or number, as enrolled: handed to `deliver`, never logged or answered. */
  to: string;
  /** The keyed hash the per-destination hourly cap counts under (lib/delivered-code/destination-rate.ts). */
  rateKey: string;
  /** What the page may show of it (`a•••@example.com`). */
  masked: string;
  /** How it goes when the factor has several ways (phone: `sms` or `voice`): kept on `pending_code`, the login's method. */
  method?: MfaMethod;
}

/** Who asks for a send, for a factor that caps sends per user or per source address (phone). */
export interface SendRequester {
  userId: string;
  /** The request's source address; absent on a direct invocation. */
  sourceIp?: string;
}

/**
 * Signing in with a code the service sends (email, phone): the step before the proof. The flow (lib/mfa/send-code.ts)
 * holds the rules — nothing before the user asks, the send conditions on the challenge and the destination's hourly
 * cap in one transaction — and calls `destination` and `deliver` only after they passed.
 */
export interface CodeSender {
  /** The factor sending: what `pending_code.factor` records and the `LoginFactor` checks. */
  name: FactorName;
  channel: CodeChannel;
  usable(enrollment: EnrollmentRecord): boolean;
  /** The per-destination hourly counter. */
  rate: DestinationRate;
  /**
   * Further counters the send takes in the same transaction as `rate` (phone: per number per day, per user, per source
   * address, the stack's hour); a refusal by any of them sends nothing and takes nothing from the others.
   */
  caps?(destination: CodeDestination, requester: SendRequester, keys: KeyRing): SendCap[];
  /** Opens the enrollment's destination (ENCRYPTION_KEYS: it is sealed like a TOTP secret). */
  destination(enrollment: EnrollmentRecord, keys: KeyRing): CodeDestination;
  /** Sends `code`, once; a failure is an AppError for the page (422 refused for good, 503 try again). */
  deliver(destination: CodeDestination, code: string, locale: string | undefined): Promise<void>;
}

/** What a finish needs besides the ticket and the proof. */
export interface FinishContext {
  /** ENCRYPTION_KEYS: seal the enrolled secret, key the recovery code's MAC. */
  keys: KeyRing;
  now: number;
  random: (size: number) => Buffer;
}

/** The pending enrollment a finish reads: the ticket as the start left it (lib/tickets/ticket.ts `TicketRecord`). */
export interface PendingTicket {
  ticket_id: string;
  user_id: string;
  /** The ticket's `factor` (a factor with several kinds enrolls the one the ticket names). */
  factor: string;
  pending_totp?: PendingTotp;
  pending_webauthn?: PendingWebauthn;
  /** The latest start of a factor that begins through `begin` (its `factor`, transaction hash and generation, and its data). */
  pending?: PendingStart;
  /** The code last sent for a start, by a factor that delivers one. */
  pending_code?: PendingEnrollCode;
  /** The ticket's address, when it has one. */
  email?: string;
  email_locale?: string;
}

/**
 * What a finish decided. Right: the enrollment item to write in the transaction that redeems the ticket, the
 * recovery code to show once (absent when the start already handed it out), and the credential whose uniqueness item
 * the redeem also writes (its condition: no one registered it). Wrong: why, for the answer and the log.
 */
export type Finished =
  | { ok: true; enrollment: EnrollmentRecord; recoveryCode?: string; credentialId?: string }
  | { ok: false; reason?: string };

/** What a begin is given: the new start's transaction (its hash, what the pending record and any code are bound to). */
export interface BeginContext {
  tx: string;
  now: number;
  random: (size: number) => Buffer;
}

/** What a begin decided: the fields the start answers with besides the flow's own, and what to keep for the finish. */
export interface Begun<Offer extends object> {
  offer: Offer;
  /** Kept on the ticket in `pending` beside the flow's `factor`, `tx`, `generation`, `started_at`; read by `finish`. */
  pending?: Record<string, unknown>;
}

/**
 * Enrolling from a ticket. The flow (lib/enrollment/start.ts `beginEnrollment`) opens the ticket, makes the start's
 * transaction, stores `pending` (replacing any earlier start's) and answers with the transaction token plus `offer`;
 * the finish (lib/enrollment/confirm.ts `finishEnrollment`) holds the ticket's rules — an attempt reserved before
 * this check, a wrong proof kept and counted, the redeem — and calls `finish` once per reserved attempt. `begin` is
 * optional while TOTP and WebAuthn still start in lib/enrollment/start.ts and webauthn-start.ts.
 */
export interface EnrollFactor<Proof, Offer extends object = object> {
  begin?(ticket: PendingTicket, context: BeginContext): Begun<Offer>;
  finish(ticket: PendingTicket, proof: Proof, context: FinishContext): Finished | Promise<Finished>;
}

/** What an import needs besides the request's item: whose it is, the keys to seal with, the relying party. */
export interface ImportContext {
  userId: string;
  keys: KeyRing;
  now: number;
  random: (size: number) => Buffer;
  /** The configured relying party id (undefined: WebAuthn not configured, nothing to import keys into). */
  rpId: string | undefined;
}

/** A factor moved in from elsewhere: the enrollment to write (as an enrolled one would be), or the field at fault. */
export type Imported =
  | { ok: true; enrollment: EnrollmentRecord; credentialId?: string }
  | { ok: false; field: string; message: string };

/**
 * Importing an existing factor (`POST`/`PUT /api/v2/users/{id}/authentication-methods`, the vendor's `type`s): parses
 * one request item into the enrollment item it stands for. The flow (lib/enrollment/authentication-methods.ts) writes
 * it in one transaction with its pointer, its uniqueness item and the user's count, as a redeem does.
 */
export interface ImportFactor {
  /** The vendor's `type` this parser takes. */
  type: string;
  parse(body: Readonly<Record<string, unknown>>, context: ImportContext): Imported;
}

/**
 * The ticket `factor`s a start function serves, each with its `begin` (the handler picks them): a start needs no
 * finish, so a factor whose finish is heavy (phone: the number's parser and metadata) can hand the start its begin alone.
 */
export type EnrollFactors<Offer extends object = object> = Readonly<Partial<Record<string, Pick<EnrollFactor<never, Offer>, 'begin'>>>>;

/**
 * Sending a code for a start, for a factor that delivers one (email, phone). The flow
 * (lib/enrollment/send-code.ts) checks the start, takes the send under the ticket's rules and the destination's
 * hourly cap in one transaction, and only then calls `deliver`.
 */
export interface CodeDelivery {
  channel: CodeChannel;
  /** How this send goes, when the factor has several ways (phone: `sms` or `voice`): kept on the ticket's `pending_code`. */
  method?: 'sms' | 'voice';
  limits: SendLimits;
  rate: DestinationRate;
  /** Where this send goes: the ticket's destination, or the one the user gave when the ticket has none (else a 400). */
  destination(ticket: PendingTicket, requested: string | undefined): string;
  /** The keyed hash the destination's hourly cap counts under (no address or number in a key). */
  destinationKey(destination: string, keys: KeyRing): string;
  /** Further counters the send takes in the same transaction (as `CodeSender.caps`). */
  caps?(destination: string, requester: SendRequester, keys: KeyRing): SendCap[];
  /** The destination as the page may show it. */
  masked(destination: string): string;
  /** Sends the code; a failure is thrown as the answer to give (422 refused for good, 503 try again). */
  deliver(destination: string, code: string, locale: string | undefined): Promise<void>;
}
