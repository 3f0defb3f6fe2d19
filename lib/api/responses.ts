import * as z from '../zod-mini';
import type { CreatedTicket } from '../tickets/create-ticket';
import type { TicketView } from '../tickets/ticket';
import { FACTORS } from '../tickets/ticket';
import type { startPageEnrollment } from '../enrollment/webauthn-start';
import type { webauthnLoginOptions as webauthnLoginOptionsOf } from '../mfa/webauthn-options';
import type { confirmEnrollment } from '../enrollment/confirm';
import type { enrollmentView } from '../enrollment/admin';
import type { CreatedChallenge } from '../mfa/create-challenge';
import type { challengeView } from '../mfa/challenge';
import type { FactorVerified, LoginSuccess } from '../mfa/login';
import type { ResultPayload } from '../mfa/result-token';
import type { enrollmentTransactionStateView } from '../guardian/enrollment';
import type { enrollmentStartFlow } from '../guardian/enrollment-start';
import type { loginRecoverAccount, loginStartFlow, loginTransactionStateView } from '../guardian/login';

/**
 * What every JSON route answers, as zod/mini schemas: the one description of the response bodies. The OpenAPI
 * document (lib/api/openapi.ts) is generated from these and from the request schemas the handlers parse with; the
 * integration tests validate every response they receive against that document. The `Documents<>` checks at the end
 * make `tsc` fail when a lib function's return type drifts from its schema.
 */

const timestamp = z.iso.datetime();
const count = z.int().check(z.gte(0));
const mfaMethod = z.enum(['totp', 'recovery-code', 'webauthn']);
const factorName = z.enum(['otp', 'recovery-code', 'webauthn-roaming', 'webauthn-platform']);
const webauthnFactor = z.enum(['webauthn-roaming', 'webauthn-platform']);
/** A WebAuthn options object, handed to the browser (`@simplewebauthn/browser`) as it is: its shape is the W3C's. */
const publicKeyOptions = (what: string) =>
  z.looseObject({ challenge: z.string() }).check(z.describe(`\`${what}\` (W3C WebAuthn Level 3, JSON form).`));

export const createdTicket = z.strictObject({
  ticket_id: z.string(),
  ticket_url: z.url().check(z.describe('The link to send the user: the hosted enrollment page with the ticket token. Secret: never log it.')),
  expires_at: timestamp,
});

const emailDelivery = z.strictObject({
  status: z.enum(['pending', 'sending', 'sent', 'failed']),
  requested_at: timestamp,
  attempts: count,
  sent_at: z.optional(timestamp),
  message_id: z.optional(z.string()),
  failed_at: z.optional(timestamp),
  error_code: z.optional(z.string()),
  error: z.optional(z.string()),
});

export const ticket = z
  .strictObject({
    ticket_id: z.string(),
    user_id: z.string(),
    factor: z.enum(FACTORS),
    status: z.enum(['pending', 'redeemed', 'revoked', 'expired', 'locked']),
    created_at: timestamp,
    expires_at: timestamp,
    redeemed_at: z.optional(timestamp),
    enrollment_id: z.optional(z.string()),
    revoked_at: z.optional(timestamp),
    locked_at: z.optional(timestamp),
    email: z.optional(z.string()),
    email_locale: z.optional(z.string()),
    send_mail: z.optional(z.boolean()),
    allow_multiple_enrollments: z.optional(z.boolean()),
    result_url: z.optional(z.string()),
    attempts_remaining: count,
    link_generation: count.check(z.describe('Which link is valid: sending to another address makes a new link and bumps this.')),
    recipients: z.array(z.strictObject({ email: z.string(), at: timestamp, generation: count })),
    email_delivery: z.optional(emailDelivery),
  })
  .check(z.describe('A ticket as the admin sees it: never its secret or its URL.'));

export const startedEnrollment = z.strictObject({
  factor: z.literal('otp'),
  transaction_token: z.string().check(z.describe('Confirms this start only; keep it in memory, send it with the code.')),
  transaction_expires_at: timestamp,
  txid: z.string(),
  secret: z.string().check(z.describe('Base32 TOTP secret, for typing into the app by hand.')),
  otpauth_uri: z.string(),
  qr_code: z.string().check(z.describe('The otpauth URI as an SVG `data:` URL.')),
  issuer: z.string(),
  account_name: z.string(),
  algorithm: z.literal('SHA1'),
  digits: z.int(),
  period: z.int(),
  attempts_remaining: count,
  expires_at: timestamp,
  enrollment_id: z.optional(z.string()),
  recovery_code: z.optional(z.string()),
});

export const startedWebauthnEnrollment = z.strictObject({
  factor: webauthnFactor,
  public_key: publicKeyOptions('PublicKeyCredentialCreationOptionsJSON'),
  attempts_remaining: count,
  expires_at: timestamp,
});

export const startedPageEnrollment = z.union([startedEnrollment, startedWebauthnEnrollment]);

export const webauthnLoginOptions = z.strictObject({ public_key: publicKeyOptions('PublicKeyCredentialRequestOptionsJSON') });

export const confirmedEnrollment = z.strictObject({
  enrollment_id: z.string(),
  recovery_code: z.optional(z.string().check(z.describe('Shown once: the user keeps it to sign in without the app.'))),
  redirect_url: z.optional(z.string().check(z.describe("The ticket's result_url, when it has one."))),
});

export const enrollment = z.strictObject({
  id: z.string(),
  status: z.enum(['confirmed']),
  type: z.enum(['authenticator', 'webauthn-roaming', 'webauthn-platform']),
  auth_method: z.enum(['authenticator', 'webauthn']),
  name: z.string(),
  created_at: timestamp,
  enrolled_at: timestamp,
});
export const enrollmentList = z.array(enrollment);

export const createdChallenge = z.strictObject({
  challenge_id: z.string(),
  request_token: z.string().check(z.describe('Lets the holder attempt this challenge (device API, /mfa/verify): secret.')),
  challenge_url: z.url().check(z.describe('The hosted login page for this challenge; send the user there.')),
  expires_at: timestamp,
  factors: z.array(factorName),
});

export const challenge = z.strictObject({
  challenge_id: z.string(),
  user_id: z.string(),
  status: z.enum(['pending', 'accepted', 'expired', 'locked']),
  factors: z.array(factorName),
  result_url: z.string(),
  created_at: timestamp,
  expires_at: timestamp,
  accepted_at: z.optional(timestamp),
  locked_at: z.optional(timestamp),
  mfa_method: z.optional(mfaMethod),
  enrollment_id: z.optional(z.string()),
  attempts_remaining: count,
});

export const loginSuccess = z.strictObject({
  signature: z.string().check(z.describe('The ES256 result token: verify it with /.well-known/jwks.json or POST /api/v2/mfa/results/verify.')),
  state: z.optional(z.string()),
  post_action_url: z.string(),
  mfa_method: mfaMethod,
  enrollment_id: z.string(),
  recovery_code: z.optional(z.string().check(z.describe('After a recovery code was used: the next one, shown once.'))),
});

export const factorVerified = z.strictObject({
  verified: z.literal(true),
  mfa_method: mfaMethod,
  enrollment_id: z.string(),
  recovery_code: z.optional(z.string().check(z.describe('After a recovery code was used: the next one, shown once.'))),
});

export const recoveryCode = z.strictObject({ recovery_code: z.string() });

export const resultClaims = z
  .strictObject({
    iss: z.string(),
    sub: z.string(),
    aud: z.union([z.string(), z.array(z.string())]),
    iat: z.int(),
    exp: z.int(),
    jti: z.string(),
    txid: z.string(),
    auth_time: z.int(),
    nonce: z.optional(z.string()),
    state: z.optional(z.string()),
    amr: z.array(z.string()),
    acr: z.string(),
    mfa_method: mfaMethod,
    enrollment_id: z.string(),
  })
  .check(z.describe("The result's claims, answered once per result."));

export const jwks = z.strictObject({
  keys: z.array(
    z.strictObject({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      alg: z.literal('ES256'),
      use: z.literal('sig'),
    }),
  ),
});

/** Device protocol (auth0-guardian-js): field names are the vendor's. */
export const deviceStartFlow = z.union([
  z.strictObject({
    transaction_token: z.string(),
    available_enrollment_methods: z.array(z.string()),
    available_authentication_methods: z.array(z.string()),
    enrollment_tx_id: z.string(),
    device_account: z.strictObject({ id: z.string(), otp_secret: z.string(), recovery_code: z.string() }),
  }),
  z.strictObject({
    transaction_token: z.string(),
    available_enrollment_methods: z.array(z.string()),
    available_authentication_methods: z.array(z.string()),
    device_account: z.strictObject({
      name: z.string(),
      methods: z.array(z.string()),
      available_methods: z.array(z.string()),
      available_authenticator_types: z.array(z.string()),
    }),
  }),
]);

export const deviceEmpty = z.strictObject({});

export const deviceRecoverAccount = z.strictObject({ recovery_code: z.optional(z.string()) });

export const deviceTransactionState = z.union([
  z.strictObject({ id: z.string(), state: z.enum(['pending', 'rejected']) }),
  z.strictObject({
    id: z.string(),
    state: z.literal('accepted'),
    token: z.string().check(z.describe('The ES256 result token.')),
    enrollment: z.optional(
      z.strictObject({
        id: z.string(),
        status: z.string(),
        name: z.string(),
        methods: z.array(z.string()),
        available_methods: z.array(z.string()),
        available_authenticator_types: z.array(z.string()),
      }),
    ),
  }),
]);

/** Our error shape (lib/http.ts `errorResult`): `error` is one of the route's documented stable codes. */
export const errorBody = (codes: readonly [string, ...string[]]) =>
  z.strictObject({
    error: z.enum(codes),
    message: z.string().check(z.describe('For humans; names the field at fault. Switch on `error`, not on this.')),
    attempts_remaining: z.optional(count),
    retry_after_sec: z.optional(count),
  });

/** The device protocol's error shape (lib/guardian/http.ts `deviceError`), as the vendor's client reads it. */
export const deviceErrorBody = (codes: readonly [string, ...string[]]) =>
  z.strictObject({
    error_code: z.enum(codes),
    message: z.string(),
    attempts_remaining: z.optional(count),
    retry_after_sec: z.optional(count),
  });

/** Compile-time: what the code returns (T) is what the schema (S) documents (readonly or not: JSON has no such thing). */
type Writable<T> = T extends readonly unknown[] ? { -readonly [K in keyof T]: Writable<T[K]> } : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type Documents<S extends z.ZodMiniType, T extends z.output<S>> = [S, T];
type Returned<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;
export type ContractChecks = [
  Documents<typeof createdTicket, CreatedTicket>,
  Documents<typeof ticket, TicketView>,
  Documents<typeof startedPageEnrollment, Returned<typeof startPageEnrollment>>,
  Documents<typeof webauthnLoginOptions, Returned<typeof webauthnLoginOptionsOf>>,
  Documents<typeof confirmedEnrollment, Returned<typeof confirmEnrollment>>,
  Documents<typeof enrollment, ReturnType<typeof enrollmentView>>,
  Documents<typeof createdChallenge, CreatedChallenge>,
  Documents<typeof challenge, ReturnType<typeof challengeView>>,
  Documents<typeof loginSuccess, LoginSuccess>,
  Documents<typeof factorVerified, { verified: true } & FactorVerified>,
  Documents<typeof deviceStartFlow, Returned<typeof enrollmentStartFlow>>,
  Documents<typeof deviceStartFlow, Returned<typeof loginStartFlow>>,
  Documents<typeof deviceRecoverAccount, Returned<typeof loginRecoverAccount>>,
  Documents<typeof deviceTransactionState, Writable<Returned<typeof enrollmentTransactionStateView>>>,
  Documents<typeof deviceTransactionState, Returned<typeof loginTransactionStateView>>,
  Documents<typeof resultClaims, Required<Pick<ResultPayload, 'iss' | 'iat' | 'aud'>> & ResultPayload>,
];
