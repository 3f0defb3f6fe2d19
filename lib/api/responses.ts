import * as v from 'valibot';
import type { CreatedTicket } from '../tickets/create-ticket';
import type { TicketView } from '../tickets/ticket';
import { FACTORS } from '../tickets/ticket';
import type { startPageEnrollment } from '../enrollment/webauthn-start';
import type { webauthnPrompt } from '../factors/webauthn/prompt';
import type { confirmEnrollment, confirmStartedEnrollment } from '../enrollment/confirm';
import type { sendEnrollmentCode } from '../enrollment/send-code';
import type { StartedEmailOffer } from '../factors/email/enroll';
import type { StartedPhoneOffer } from '../factors/phone/enroll';
import type { enrollmentView } from '../enrollment/admin';
import type { CreatedChallenge } from '../mfa/create-challenge';
import type { challengeView } from '../mfa/challenge';
import type { listRememberedBrowsers } from '../mfa/remembered-admin';
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
const mfaMethod = v.picklist(['totp', 'recovery-code', 'webauthn', 'email', 'sms', 'voice']);
const factorName = v.picklist(['otp', 'recovery-code', 'webauthn-roaming', 'webauthn-platform', 'email', 'phone']);
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

const transactionFields = {
  transaction_token: described(v.string(), 'Sends codes for and confirms this start only; keep it in memory.'),
  transaction_expires_at: timestamp,
  attempts_remaining: count,
  expires_at: timestamp,
};

export const startedEmailEnrollment = v.union([
  v.strictObject({
    factor: v.literal('email'),
    ...transactionFields,
    masked_email: described(v.string(), "The ticket's address, masked (`a•••@example.com`): the code goes there."),
    address_required: v.literal(false),
  }),
  v.strictObject({
    factor: v.literal('email'),
    ...transactionFields,
    address_required: described(v.literal(true), 'The ticket has no address: send one with the first code (`email`).'),
  }),
]);

export const startedPhoneEnrollment = v.strictObject({
  factor: v.literal('phone'),
  ...transactionFields,
  phone_required: described(v.literal(true), 'Ask for the number and the way (text or call): send them with the first code (`phone_number`, `channel`).'),
});

export const startedPageEnrollment = v.union([startedEnrollment, startedWebauthnEnrollment, startedEmailEnrollment, startedPhoneEnrollment]);

export const sentEnrollmentCode = v.strictObject({
  sent_to: described(v.string(), 'Where the code went, masked.'),
  code_expires_at: timestamp,
  retry_after_sec: described(count, 'When another code may be asked for.'),
  sends_remaining: described(count, 'Codes this ticket may still send.'),
});

export const webauthnLoginOptions = v.strictObject({ public_key: publicKeyOptions('PublicKeyCredentialRequestOptionsJSON') });

export const confirmedEnrollment = v.strictObject({
  enrollment_id: v.string(),
  recovery_code: v.optional(described(v.string(), 'Shown once: the user keeps it to sign in without the app.')),
  redirect_url: v.optional(described(v.string(), "The ticket's result_url, when it has one.")),
});

export const enrollment = v.strictObject({
  id: v.string(),
  status: v.picklist(['confirmed']),
  type: v.picklist(['authenticator', 'webauthn-roaming', 'webauthn-platform', 'email', 'phone']),
  auth_method: v.picklist(['authenticator', 'webauthn', 'email', 'sms', 'voice']),
  name: v.string(),
  identifier: v.optional(described(v.string(), 'The enrolled address or number, masked (`a•••@example.com`, `+1 ••• ••• ••34`); absent for an authenticator app or a key.')),
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

const destinations = v.optional(
  described(
    v.array(v.strictObject({ factor: factorName, enrollment_id: v.string(), masked: described(v.string(), '`a•••@example.com`, `+1 ••• ••• ••34`.') })),
    'Where the listed factors that send codes (email, phone) would send one, masked, per enrollment: the page shows them before anything is sent. Absent when none of the listed factors sends codes.',
  ),
);

export const createdChallenge = v.strictObject({
  challenge_id: v.string(),
  request_token: described(v.string(), 'Lets the holder attempt this challenge (device API, /mfa/verify): secret.'),
  challenge_url: described(v.pipe(v.string(), v.url()), ('The hosted login page for this challenge; send the user there.')),
  expires_at: timestamp,
  factors: v.array(factorName),
  destinations,
});

export const challenge = v.strictObject({
  challenge_id: v.string(),
  user_id: v.string(),
  status: v.picklist(['pending', 'accepted', 'expired', 'locked']),
  factors: v.array(factorName),
  allowed_factors: v.optional(described(v.array(factorName), 'A step-up: the factors this login may use (from `factors` and `acr_values`).')),
  destinations,
  acr_values: v.optional(described(v.string(), 'The `acr_values` the challenge was created with.')),
  remember_browser: v.optional(described(v.boolean(), 'The page offers "Remember this browser".')),
  allow_remembered: v.optional(described(v.boolean(), 'A remembered browser may complete it without a code.')),
  remembered_browser: v.optional(described(v.boolean(), 'Accepted on a remembered browser, without a code.')),
  result_url: v.string(),
  created_at: timestamp,
  expires_at: timestamp,
  accepted_at: v.optional(timestamp),
  locked_at: v.optional(timestamp),
  mfa_method: v.optional(mfaMethod),
  enrollment_id: v.optional(v.string()),
  attempts_remaining: count,
});

export const rememberedBrowsers = v.strictObject({
  browsers: v.array(
    v.strictObject({
      id: v.string(),
      created_at: described(timestamp, 'When a proof with "Remember this browser" ticked remembered it.'),
      last_used_at: described(timestamp, 'Its last sign-in without a code (or its creation).'),
      expires_at: described(timestamp, 'REMEMBER_BROWSER_DAYS after its creation; unused for REMEMBER_BROWSER_IDLE_DAYS, it lapses earlier.'),
      user_agent: v.optional(described(v.string(), 'Browser and OS family (`Chrome on macOS`), never the whole header.')),
    }),
  ),
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
    remembered_browser: v.optional(described(v.literal(true), 'Completed on a remembered browser without a code; `auth_time` is the proof that remembered it.')),
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
    device_account: v.strictObject({
      id: v.string(),
      otp_secret: v.optional(described(v.string(), 'An authenticator-app ticket only (base32); a phone ticket posts the number to sms-enroll instead.')),
      recovery_code: v.string(),
    }),
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
const errorFields = (codes: readonly [string, ...string[]]) => ({
  error: v.picklist(codes),
  message: described(v.string(), 'For humans; names the field at fault. Switch on `error`, not on this.'),
  attempts_remaining: v.optional(count),
  retry_after_sec: v.optional(count),
});
export const errorBody = (codes: readonly [string, ...string[]]): v.GenericSchema =>
  // `available_factors` only where a route can answer `no_allowed_factor` (a step-up the user cannot take).
  codes.includes('no_allowed_factor')
    ? v.strictObject({ ...errorFields(codes), available_factors: v.optional(described(v.array(factorName), '`no_allowed_factor`: the factors the user does have.')) })
    : v.strictObject(errorFields(codes));

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
  Documents<typeof startedPageEnrollment, Returned<typeof startPageEnrollment<StartedEmailOffer | StartedPhoneOffer>>>,
  Documents<typeof sentEnrollmentCode, Returned<typeof sendEnrollmentCode>>,
  Documents<typeof confirmedEnrollment, Returned<typeof confirmStartedEnrollment>>,
  Documents<typeof webauthnLoginOptions, NonNullable<ReturnType<ReturnType<typeof webauthnPrompt>['prompt']>>>,
  Documents<typeof confirmedEnrollment, Returned<typeof confirmEnrollment>>,
  Documents<typeof enrollment, ReturnType<typeof enrollmentView>>,
  Documents<typeof createdChallenge, CreatedChallenge>,
  Documents<typeof historyPage, HistoryPage>,
  Documents<typeof challenge, ReturnType<typeof challengeView>>,
  Documents<typeof rememberedBrowsers, Returned<typeof listRememberedBrowsers>>,
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

/** A user's factor as the vendor's Management API shows an authentication method (never a secret). */
export const authenticationMethod = v.strictObject({
  id: described(v.string(), 'The enrollment id (`enr_…`), or `recovery-code|<enrollment id>` for the recovery code that enrollment carries.'),
  type: v.picklist(['totp', 'webauthn-roaming', 'webauthn-platform', 'passkey', 'recovery-code', 'email', 'phone']),
  confirmed: v.boolean(),
  name: v.optional(v.string()),
  created_at: timestamp,
  enrolled_at: timestamp,
  last_auth_at: v.optional(timestamp),
  enabled: described(v.boolean(), "False while the factor is switched off for everyone (`PUT /api/v2/guardian/factors/{name}`)."),
  email: v.optional(described(v.string(), 'An email method\'s address, masked (`a•••@example.com`).')),
  phone_number: v.optional(described(v.string(), 'A phone method\'s number, masked (`+1 ••• ••• ••34`).')),
  preferred_authentication_method: v.optional(described(v.picklist(['sms', 'voice']), 'A phone method\'s way of sending codes: a text or a call.')),
  key_id: v.optional(described(v.string(), 'The credential id, base64url.')),
  public_key: v.optional(described(v.string(), 'SubjectPublicKeyInfo DER, base64.')),
  aaguid: v.optional(v.string()),
  relying_party_identifier: v.optional(v.string()),
  credential_device_type: v.optional(v.picklist(['single_device', 'multi_device'])),
  credential_backed_up: v.optional(v.boolean()),
  transports: v.optional(v.array(v.string())),
});
export const authenticationMethodList = v.union([
  v.array(authenticationMethod),
  v.strictObject({ start: v.number(), limit: v.number(), total: v.number(), authenticators: v.array(authenticationMethod) }),
]);
export const authenticationMethodArray = v.array(authenticationMethod);

/** `GET /api/v2/guardian/enrollments/{id}`, the vendor's shape. */
export const guardianEnrollment = v.strictObject({
  id: v.string(),
  status: v.picklist(['confirmed']),
  name: v.string(),
  enrolled_at: timestamp,
  last_auth: v.optional(timestamp),
});

/** The factor switches (`GET /api/v2/guardian/factors`). */
export const guardianFactors = v.array(v.strictObject({ name: v.string(), enabled: v.boolean(), trial_expired: v.boolean() }));
export const guardianFactorSet = v.strictObject({ enabled: v.boolean() });
