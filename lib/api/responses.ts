import * as v from 'valibot';
import type { CreatedTicket } from '../tickets/create-ticket';
import type { TicketView } from '../tickets/ticket';
import { FACTORS } from '../tickets/ticket';
import type { startPageEnrollment } from '../enrollment/webauthn-start';
import type { webauthnPrompt } from '../factors/webauthn/prompt';
import type { confirmEnrollment } from '../enrollment/confirm';
import type { enrollmentView } from '../enrollment/admin';
import type { CreatedChallenge } from '../mfa/create-challenge';
import type { challengeView } from '../mfa/challenge';
import type { FactorVerified, LoginSuccess } from '../mfa/login';
import type { CodeSent } from '../mfa/send-code';
import type { ResultPayload } from '../mfa/result-token';
import type { enrollmentTransactionStateView } from '../guardian/enrollment';
import type { enrollmentStartFlow } from '../guardian/enrollment-start';
import type { loginRecoverAccount, loginStartFlow, loginTransactionStateView } from '../guardian/login';
import { DETAIL_TYPES } from '../events/catalog';
import type { HistoryPage } from '../history/list';

/**
 * What every JSON route answers, as valibot schemas: the one description of the response bodies. The OpenAPI
 * document (lib/api/openapi.ts) is generated from these and from the request schemas the handlers parse with; the
 * integration tests validate every response they receive against that document. The `Documents<>` checks at the end
 * make `tsc` fail when a lib function's return type drifts from its schema.
 */

/**
 * An ISO 8601 date-time in UTC (`Z`), as `Date.prototype.toISOString` writes it; the pattern is the one the contract
 * has always stated (calendar-checked, leap days included).
 */
const UTC_DATE_TIME =
  /^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z))$/;
const timestamp = v.pipe(v.string(), v.metadata({ format: 'date-time' }), v.regex(UTC_DATE_TIME));
const int = v.pipe(v.number(), v.safeInteger());
const count = v.pipe(int, v.minValue(0));
const described = <S extends v.GenericSchema>(schema: S, description: string) => v.pipe(schema, v.description(description));
const mfaMethod = v.picklist(['totp', 'recovery-code', 'webauthn', 'email']);
const factorName = v.picklist(['otp', 'recovery-code', 'webauthn-roaming', 'webauthn-platform', 'email']);
const webauthnFactor = v.picklist(['webauthn-roaming', 'webauthn-platform']);
/** A WebAuthn options object, handed to the browser (`@simplewebauthn/browser`) as it is: its shape is the W3C's. */
const publicKeyOptions = (what: string) => described(v.looseObject({ challenge: v.string() }), `\`${what}\` (W3C WebAuthn Level 3, JSON form).`);

export const createdTicket = v.strictObject({
  ticket_id: v.string(),
  ticket_url: described(v.pipe(v.string(), v.url()), ('The link to send the user: the hosted enrollment page with the ticket token. Secret: never log it.')),
  expires_at: timestamp,
});

const emailDelivery = v.strictObject({
  status: v.picklist(['pending', 'sending', 'sent', 'failed']),
  requested_at: timestamp,
  attempts: count,
  sent_at: v.optional(timestamp),
  message_id: v.optional(v.string()),
  failed_at: v.optional(timestamp),
  error_code: v.optional(v.string()),
  error: v.optional(v.string()),
});

export const ticket = described(
  v.strictObject({
    ticket_id: v.string(),
    user_id: v.string(),
    factor: v.picklist(FACTORS),
    status: v.picklist(['pending', 'redeemed', 'revoked', 'expired', 'locked']),
    created_at: timestamp,
    expires_at: timestamp,
    redeemed_at: v.optional(timestamp),
    enrollment_id: v.optional(v.string()),
    revoked_at: v.optional(timestamp),
    locked_at: v.optional(timestamp),
    email: v.optional(v.string()),
    email_locale: v.optional(v.string()),
    send_mail: v.optional(v.boolean()),
    allow_multiple_enrollments: v.optional(v.boolean()),
    result_url: v.optional(v.string()),
    attempts_remaining: count,
    link_generation: described(count, 'Which link is valid: sending to another address makes a new link and bumps this.'),
    recipients: v.array(v.strictObject({ email: v.string(), at: timestamp, generation: count })),
    email_delivery: v.optional(emailDelivery),
  }),
  'A ticket as the admin sees it: never its secret or its URL.',
);

export const startedEnrollment = v.strictObject({
  factor: v.literal('otp'),
  transaction_token: described(v.string(), 'Confirms this start only; keep it in memory, send it with the code.'),
  transaction_expires_at: timestamp,
  txid: v.string(),
  secret: described(v.string(), 'Base32 TOTP secret, for typing into the app by hand.'),
  otpauth_uri: v.string(),
  qr_code: described(v.string(), 'The otpauth URI as an SVG `data:` URL.'),
  issuer: v.string(),
  account_name: v.string(),
  algorithm: v.literal('SHA1'),
  digits: int,
  period: int,
  attempts_remaining: count,
  expires_at: timestamp,
  enrollment_id: v.optional(v.string()),
  recovery_code: v.optional(v.string()),
});

export const startedWebauthnEnrollment = v.strictObject({
  factor: webauthnFactor,
  public_key: publicKeyOptions('PublicKeyCredentialCreationOptionsJSON'),
  attempts_remaining: count,
  expires_at: timestamp,
});

export const startedPageEnrollment = v.union([startedEnrollment, startedWebauthnEnrollment]);

export const webauthnLoginOptions = v.strictObject({ public_key: publicKeyOptions('PublicKeyCredentialRequestOptionsJSON') });

export const confirmedEnrollment = v.strictObject({
  enrollment_id: v.string(),
  recovery_code: v.optional(described(v.string(), 'Shown once: the user keeps it to sign in without the app.')),
  redirect_url: v.optional(described(v.string(), "The ticket's result_url, when it has one.")),
});

export const enrollment = v.strictObject({
  id: v.string(),
  status: v.picklist(['confirmed']),
  type: v.picklist(['authenticator', 'webauthn-roaming', 'webauthn-platform', 'email']),
  auth_method: v.picklist(['authenticator', 'webauthn', 'email']),
  name: v.string(),
  identifier: v.optional(described(v.string(), 'The enrolled address, masked (`a•••@example.com`); absent for an authenticator app or a key.')),
  created_at: timestamp,
  enrolled_at: timestamp,
});
export const enrollmentList = v.array(enrollment);

export const historyEvent = v.strictObject({
  event_id: described(v.string(), "The lifecycle event's `event_id` (the EventBridge detail's)."),
  type: described(v.picklist(DETAIL_TYPES as [string, ...string[]]), 'The lifecycle detail-type (docs/EVENTS.md).'),
  occurred_at: timestamp,
  factor: v.optional(v.string()),
  enrollment_id: v.optional(v.string()),
  ticket_id: v.optional(v.string()),
  challenge_id: v.optional(v.string()),
  via: v.optional(
    described(
      v.picklist(['page', 'device', 'admin', 'signup', 'system']),
      'Where it came from: the hosted page, the device API, the admin API, a signup, or the service itself (mailer, sweep). Absent when unknown.',
    ),
  ),
  ip: v.optional(described(v.string(), 'The address of the request that caused it, when one did and recorded it.')),
  user_agent: v.optional(described(v.string(), "That request's browser and OS (`Chrome on macOS`), never the whole header.")),
});
export const historyPage = v.strictObject({
  events: described(v.array(historyEvent), 'Newest first.'),
  next_cursor: v.optional(described(v.string(), 'Present when older events may follow: pass it as `cursor`.')),
});

export const createdChallenge = v.strictObject({
  challenge_id: v.string(),
  request_token: described(v.string(), 'Lets the holder attempt this challenge (device API, /mfa/verify): secret.'),
  challenge_url: described(v.pipe(v.string(), v.url()), ('The hosted login page for this challenge; send the user there.')),
  expires_at: timestamp,
  factors: v.array(factorName),
});

export const challenge = v.strictObject({
  challenge_id: v.string(),
  user_id: v.string(),
  status: v.picklist(['pending', 'accepted', 'expired', 'locked']),
  factors: v.array(factorName),
  result_url: v.string(),
  created_at: timestamp,
  expires_at: timestamp,
  accepted_at: v.optional(timestamp),
  locked_at: v.optional(timestamp),
  mfa_method: v.optional(mfaMethod),
  enrollment_id: v.optional(v.string()),
  attempts_remaining: count,
});

export const loginSuccess = v.strictObject({
  signature: described(v.string(), 'The ES256 result token: verify it with /.well-known/jwks.json or POST /api/v2/mfa/results/verify.'),
  state: v.optional(v.string()),
  post_action_url: v.string(),
  mfa_method: mfaMethod,
  enrollment_id: v.string(),
  recovery_code: v.optional(described(v.string(), 'After a recovery code was used: the next one, shown once.')),
});

export const loginCodeSent = v.strictObject({
  sent_to: described(v.string(), 'Where the code went, masked (`a•••@example.com`).'),
  enrollment_id: v.string(),
  expires_at: described(v.string(), 'When the code stops working (10 minutes after the send), ISO 8601.'),
  resend_after_sec: described(v.number(), 'Seconds before another code may be asked for.'),
  sends_left: described(v.number(), 'Codes that may still be sent for this sign-in (5 in all).'),
});

export const factorVerified = v.strictObject({
  verified: v.literal(true),
  mfa_method: mfaMethod,
  enrollment_id: v.string(),
  recovery_code: v.optional(described(v.string(), 'After a recovery code was used: the next one, shown once.')),
});

export const recoveryCode = v.strictObject({ recovery_code: v.string() });

export const resultClaims = described(
  v.strictObject({
    iss: v.string(),
    sub: v.string(),
    aud: v.union([v.string(), v.array(v.string())]),
    iat: int,
    exp: int,
    jti: v.string(),
    purpose: v.literal('mfa-login'),
    txid: v.string(),
    auth_time: int,
    nonce: v.optional(v.string()),
    state: v.optional(v.string()),
    amr: v.array(v.string()),
    acr: v.string(),
    mfa_method: mfaMethod,
    enrollment_id: v.string(),
  }),
  "The result's claims, answered once per result.",
);

export const jwks = v.strictObject({
  keys: v.array(
    v.strictObject({
      kty: v.literal('EC'),
      crv: v.literal('P-256'),
      x: v.string(),
      y: v.string(),
      kid: v.string(),
      alg: v.literal('ES256'),
      use: v.literal('sig'),
    }),
  ),
});

/** Device protocol (auth0-guardian-js): field names are the vendor's. */
export const deviceStartFlow = v.union([
  v.strictObject({
    transaction_token: v.string(),
    available_enrollment_methods: v.array(v.string()),
    available_authentication_methods: v.array(v.string()),
    enrollment_tx_id: v.string(),
    device_account: v.strictObject({ id: v.string(), otp_secret: v.string(), recovery_code: v.string() }),
  }),
  v.strictObject({
    transaction_token: v.string(),
    available_enrollment_methods: v.array(v.string()),
    available_authentication_methods: v.array(v.string()),
    device_account: v.strictObject({
      name: v.string(),
      methods: v.array(v.string()),
      available_methods: v.array(v.string()),
      available_authenticator_types: v.array(v.string()),
    }),
  }),
]);

export const deviceEmpty = v.strictObject({});

export const deviceRecoverAccount = v.strictObject({ recovery_code: v.optional(v.string()) });

export const deviceTransactionState = v.union([
  v.strictObject({ id: v.string(), state: v.picklist(['pending', 'rejected']) }),
  v.strictObject({
    id: v.string(),
    state: v.literal('accepted'),
    token: described(v.string(), 'The ES256 result token.'),
    enrollment: v.optional(
      v.strictObject({
        id: v.string(),
        status: v.string(),
        name: v.string(),
        methods: v.array(v.string()),
        available_methods: v.array(v.string()),
        available_authenticator_types: v.array(v.string()),
      }),
    ),
  }),
]);

/** Our error shape (lib/http.ts `errorResult`): `error` is one of the route's documented stable codes. */
export const errorBody = (codes: readonly [string, ...string[]]) =>
  v.strictObject({
    error: v.picklist(codes),
    message: described(v.string(), 'For humans; names the field at fault. Switch on `error`, not on this.'),
    attempts_remaining: v.optional(count),
    retry_after_sec: v.optional(count),
  });

/** The device protocol's error shape (lib/guardian/http.ts `deviceError`), as the vendor's client reads it. */
export const deviceErrorBody = (codes: readonly [string, ...string[]]) =>
  v.strictObject({
    error_code: v.picklist(codes),
    message: v.string(),
    attempts_remaining: v.optional(count),
    retry_after_sec: v.optional(count),
  });

/** Compile-time: what the code returns (T) is what the schema (S) documents (readonly or not: JSON has no such thing). */
type Writable<T> = T extends readonly unknown[] ? { -readonly [K in keyof T]: Writable<T[K]> } : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type Documents<S extends v.GenericSchema, T extends v.InferOutput<S>> = [S, T];
type Returned<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;
export type ContractChecks = [
  Documents<typeof createdTicket, CreatedTicket>,
  Documents<typeof ticket, TicketView>,
  Documents<typeof startedPageEnrollment, Returned<typeof startPageEnrollment>>,
  Documents<typeof webauthnLoginOptions, NonNullable<ReturnType<ReturnType<typeof webauthnPrompt>['prompt']>>>,
  Documents<typeof confirmedEnrollment, Returned<typeof confirmEnrollment>>,
  Documents<typeof enrollment, ReturnType<typeof enrollmentView>>,
  Documents<typeof createdChallenge, CreatedChallenge>,
  Documents<typeof historyPage, HistoryPage>,
  Documents<typeof challenge, ReturnType<typeof challengeView>>,
  Documents<typeof loginSuccess, LoginSuccess>,
  Documents<typeof loginCodeSent, CodeSent>,
  Documents<typeof factorVerified, { verified: true } & FactorVerified>,
  Documents<typeof deviceStartFlow, Returned<typeof enrollmentStartFlow>>,
  Documents<typeof deviceStartFlow, Returned<typeof loginStartFlow>>,
  Documents<typeof deviceRecoverAccount, Returned<typeof loginRecoverAccount>>,
  Documents<typeof deviceTransactionState, Writable<Returned<typeof enrollmentTransactionStateView>>>,
  Documents<typeof deviceTransactionState, Returned<typeof loginTransactionStateView>>,
  Documents<typeof resultClaims, Required<Pick<ResultPayload, 'iss' | 'iat' | 'aud'>> & ResultPayload & { purpose: 'mfa-login' }>,
];
