import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as z from './zod-mini';
import { DEFAULT_TTL_SEC, FACTORS, MAX_TTL_SEC, MIN_TTL_SEC, REDEEMABLE_FACTORS, type Factor } from './tickets/ticket';

/** A named secret key; the first key of a list is the one used for new material, the others still verify. */
export interface Key {
  id: string;
  secret: Buffer;
}

/** An admin API key as configured: its SHA-256 digest and, for a key being rotated out, when it stops working. */
export interface AdminKey {
  digest: Buffer;
  /** Epoch ms; absent = no expiry. */
  expiresAt: number | undefined;
}

export interface KeyRing {
  current: Key;
  byId: ReadonlyMap<string, Key>;
}

/** A P-256 key pair that signs MFA results (ES256); `id` is the JWS `kid`. */
export interface SigningKeyPair {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** The first key signs; every key is published in the JWKS, so a rotated-in key's results verify everywhere. */
export interface SigningKeyRing {
  current: SigningKeyPair;
  all: readonly SigningKeyPair[];
}

/** Everything a function reads from its environment, validated once at cold start. */
export interface Config {
  /** Deployment stage, e.g. `prod`; `local` for the laptop stack. */
  stage: string;
  /** The tickets table (one table holds tickets, enrollments and their indexes). */
  tableName: string;
  /** Origin that ticket URLs point at; when empty, API calls use the request's own host. */
  publicBaseUrl: string | undefined;
  /** Origins a ticket's `result_url` may redirect to (no open redirects). */
  resultUrlOrigins: readonly string[];
  /** SHA-256 digests of the admin API keys; the keys themselves are never configured. */
  adminKeyHashes: readonly AdminKey[];
  /** HMAC keys that derive each ticket's secret from its id (rotatable, see README "Keys"). */
  signingKeys: KeyRing;
  /** AES-256-GCM keys that encrypt enrolled TOTP secrets at rest. */
  encryptionKeys: KeyRing;
  /**
   * RESULT_SIGNING_KEYS: ES256 keys that sign the MFA result (`signature`), `kid:<base64 PKCS#8 DER>[,...]`; only the
   * functions that sign or publish results get them (`resultSigningConfig`).
   */
  resultSigningKeys: SigningKeyRing | undefined;
  /** Local stack: relaxes `result_url` to allow http://localhost. Never true deployed. */
  localMode: boolean;
  /** Emulator endpoints for the local stack; unset deployed. */
  dynamodbEndpoint: string | undefined;
  sesEndpoint: string | undefined;
  /** EMAIL_FROM: the address ticket emails come from (an SES-verified identity); only the mailer needs it (`mailerConfig`). */
  emailFrom: string | undefined;
  /** SES_CONFIGURATION_SET: SES configuration set for event publishing (bounces, deliveries); optional. */
  sesConfigurationSet: string | undefined;
  /** Cognito user pool id (e.g. `eu-west-1_AbC123`) where the admin API looks up a missing email; unset = no lookup. */
  cognitoUserPoolId: string | undefined;
  /** Tickets issued on sign-up (Cognito PostConfirmation trigger or the EventBridge "User Signed Up" event). */
  signup: SignupConfig;
  /** The scheduled sweep of expired pending tickets. */
  sweep: SweepConfig;
  /** The enrollment page and its authenticator entries (lib/enrollment). */
  enrollment: EnrollmentConfig;
}

export interface SignupConfig {
  /** SIGNUP_SEND_MAIL: email the ticket to the new user (default true). */
  sendMail: boolean;
  /** SIGNUP_TTL_SEC: ticket lifetime (default the vendor's 5 days). */
  ttlSec: number;
  /** SIGNUP_FACTOR: the factor to enroll (default otp; must be one users can complete today). */
  factor: Factor;
  /** SIGNUP_LOCALE: email locale when the user has none of their own (default: the mailer's default). */
  locale: string | undefined;
  /** SIGNUP_EVENT_SOURCE: the EventBridge `source` of "User Signed Up" events (default `custom.identity`). */
  eventSource: string;
}

export interface EnrollmentConfig {
  /** TOTP_ISSUER: the issuer authenticator apps show next to the code, and the page's `userData.tenant` (default: PUBLIC_BASE_URL's host). */
  totpIssuer: string;
  /** TOTP_LABEL: the account name in authenticator apps, `email` (falling back to the user id) or `user_id` (default `email`). */
  totpLabel: 'email' | 'user_id';
}

export interface SweepConfig {
  /** SWEEP_MODE: `expire` marks tickets expired (readable until DynamoDB TTL removes them), `delete` removes them. */
  mode: 'expire' | 'delete';
  /** SWEEP_BATCH_SIZE: keys read per index page (default 100). */
  batchSize: number;
  /** SWEEP_SAFETY_MARGIN_MS: stop starting work when the invocation has less than this left (default 10 000). */
  safetyMarginMs: number;
}

const optionalString = z.pipe(
  z.optional(z.string()),
  z.transform((v: string | undefined) => (v ? v : undefined)),
);

/** An optional whole number from the environment, with its default and bounds. */
const envInt = (fallback: number, min: number, max: number) =>
  z.pipe(optionalString, z._default(z.coerce.number<string | undefined>().check(z.int(), z.gte(min), z.lte(max)), fallback));

const envBool = (fallback: boolean) =>
  z.pipe(
    z.pipe(optionalString, z.optional(z.enum(['true', 'false']))),
    z.transform((v: 'true' | 'false' | undefined) => (v === undefined ? fallback : v === 'true')),
  );

/** A configuration error raised inside a transform (zod/mini transforms get the raw parse payload, not `addIssue`). */
function configIssue(ctx: z.core.ParsePayload, message: string): never {
  ctx.issues.push({ code: 'custom', message, input: ctx.value });
  return z.NEVER;
}

function keyRing(name: string) {
  return z.pipe(
    z.string({ error: `${name} is required` }),
    z.transform((raw: string, ctx): KeyRing => {
      const keys = raw
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => {
          const [id, encoded] = entry.split(':');
          return { id: id ?? '', secret: Buffer.from(encoded ?? '', 'base64') };
        });
      const bad = keys.find((key) => !/^[A-Za-z0-9_-]{1,32}$/.test(key.id) || key.secret.length < 32);
      if (keys.length === 0 || bad) {
        return configIssue(ctx, `${name} must be "id:base64key[,id:base64key...]" with keys of at least 32 bytes`);
      }
      return { current: keys[0]!, byId: new Map(keys.map((key) => [key.id, key])) };
    }),
  );
}

/** `kid:<base64 PKCS#8 DER of a P-256 private key>[,...]` (README "MFA at login" shows how to make one). */
const signingKeyRing = z.pipe(
  optionalString,
  z.transform((raw: string | undefined, ctx): SigningKeyRing | undefined => {
    if (raw === undefined) return undefined;
    const pairs: SigningKeyPair[] = [];
    for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
      const [id = '', encoded = '', extra] = entry.split(':');
      let privateKey: KeyObject | undefined;
      try {
        privateKey = createPrivateKey({ key: Buffer.from(encoded, 'base64'), format: 'der', type: 'pkcs8' });
      } catch {
        privateKey = undefined;
      }
      const curve = privateKey?.asymmetricKeyDetails?.namedCurve;
      if (extra !== undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || !privateKey || privateKey.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
        return configIssue(ctx, 'RESULT_SIGNING_KEYS must be "kid:base64-PKCS#8-DER[,kid:...]" with P-256 (ES256) private keys');
      }
      pairs.push({ id, privateKey, publicKey: createPublicKey(privateKey) });
    }
    if (pairs.length === 0 || new Set(pairs.map((p) => p.id)).size !== pairs.length) {
      return configIssue(ctx, 'RESULT_SIGNING_KEYS must list at least one key, each kid once');
    }
    return { current: pairs[0]!, all: pairs };
  }),
);

const envSchema = z.object({
  STAGE: z.string().check(z.minLength(1)),
  TABLE_NAME: z.string().check(z.minLength(1)),
  PUBLIC_BASE_URL: z.pipe(optionalString, z.optional(z.url())),
  RESULT_URL_ORIGINS: z.pipe(
    z.optional(z.string()),
    z.transform((v: string | undefined) => (v ?? '').split(',').map((o) => o.trim()).filter(Boolean)),
  ),
  ADMIN_API_KEY_HASHES: z.pipe(
    z.optional(z.string()),
    z.transform((v: string | undefined, ctx): AdminKey[] => {
      const entries = (v ?? '').split(',').map((h) => h.trim()).filter(Boolean);
      const keys = entries.map((entry) => {
        const [digest = '', until] = entry.split('@');
        return { digest, expiresAt: until === undefined ? undefined : Date.parse(until) };
      });
      if (keys.some((k) => !/^[0-9a-f]{64}$/i.test(k.digest) || Number.isNaN(k.expiresAt))) {
        return configIssue(ctx, 'ADMIN_API_KEY_HASHES must be comma-separated SHA-256 hex digests, each optionally "@<ISO-8601 expiry>"');
      }
      return keys.map((k) => ({ digest: Buffer.from(k.digest, 'hex'), expiresAt: k.expiresAt }));
    }),
  ),
  TICKET_SIGNING_KEYS: keyRing('TICKET_SIGNING_KEYS'),
  ENCRYPTION_KEYS: keyRing('ENCRYPTION_KEYS'),
  RESULT_SIGNING_KEYS: signingKeyRing,
  LOCAL_MODE: z.optional(z.enum(['true', 'false'])),
  DYNAMODB_ENDPOINT: optionalString,
  SES_ENDPOINT: optionalString,
  EMAIL_FROM: z.pipe(optionalString, z.optional(z.email('must be a plain address such as tickets@example.com'))),
  SES_CONFIGURATION_SET: optionalString,
  COGNITO_USER_POOL_ID: z.pipe(
    optionalString,
    z.optional(z.string().check(z.regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a user pool id such as eu-west-1_AbC123'))),
  ),
  SIGNUP_SEND_MAIL: envBool(true),
  SIGNUP_TTL_SEC: envInt(DEFAULT_TTL_SEC, MIN_TTL_SEC, MAX_TTL_SEC),
  SIGNUP_FACTOR: z.pipe(
    optionalString,
    z._default(
      z.enum(FACTORS).check(z.refine((f) => REDEEMABLE_FACTORS.includes(f), `must be one of ${REDEEMABLE_FACTORS.join(', ')}`)),
      'otp',
    ),
  ),
  SIGNUP_LOCALE: z.pipe(
    optionalString,
    z.optional(z.string().check(z.regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language tag such as "en" or "pt-BR"'))),
  ),
  SIGNUP_EVENT_SOURCE: z.pipe(optionalString, z._default(z.string().check(z.maxLength(256)), 'custom.identity')),
  SWEEP_MODE: z.pipe(optionalString, z._default(z.enum(['expire', 'delete']), 'expire')),
  SWEEP_BATCH_SIZE: envInt(100, 1, 1000),
  SWEEP_SAFETY_MARGIN_MS: envInt(10_000, 0, 900_000),
  TOTP_ISSUER: z.pipe(optionalString, z.optional(z.string().check(z.maxLength(64, 'must be at most 64 characters')))),
  TOTP_LABEL: z.pipe(optionalString, z._default(z.enum(['email', 'user_id']), 'email')),
});

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    stage: e.STAGE,
    tableName: e.TABLE_NAME,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    resultUrlOrigins: e.RESULT_URL_ORIGINS,
    adminKeyHashes: e.ADMIN_API_KEY_HASHES,
    signingKeys: e.TICKET_SIGNING_KEYS,
    encryptionKeys: e.ENCRYPTION_KEYS,
    resultSigningKeys: e.RESULT_SIGNING_KEYS,
    localMode: e.LOCAL_MODE === 'true',
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    sesEndpoint: e.SES_ENDPOINT,
    emailFrom: e.EMAIL_FROM,
    sesConfigurationSet: e.SES_CONFIGURATION_SET,
    cognitoUserPoolId: e.COGNITO_USER_POOL_ID,
    signup: {
      sendMail: e.SIGNUP_SEND_MAIL,
      ttlSec: e.SIGNUP_TTL_SEC,
      factor: e.SIGNUP_FACTOR,
      locale: e.SIGNUP_LOCALE,
      eventSource: e.SIGNUP_EVENT_SOURCE,
    },
    sweep: { mode: e.SWEEP_MODE, batchSize: e.SWEEP_BATCH_SIZE, safetyMarginMs: e.SWEEP_SAFETY_MARGIN_MS },
    enrollment: {
      totpIssuer: e.TOTP_ISSUER ?? (e.PUBLIC_BASE_URL ? new URL(e.PUBLIC_BASE_URL).host : 'MFA'),
      totpLabel: e.TOTP_LABEL,
    },
  };
}

/** What the mailer needs on top of the common configuration; functions that send no mail never ask for it. */
export type MailerConfig = Config & { emailFrom: string; publicBaseUrl: string };

/** Fails loudly at the mailer's cold start when it could build neither a ticket URL nor a From address. */
export function mailerConfig(config: Config): MailerConfig {
  const missing = [
    config.emailFrom ? undefined : 'EMAIL_FROM: is required by the mailer',
    config.publicBaseUrl ? undefined : 'PUBLIC_BASE_URL: is required by the mailer (the ticket URLs it sends point at it)',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`Invalid configuration: ${missing.join('; ')}`);
  return config as MailerConfig;
}

/** What the functions that sign or publish MFA results need on top of the common configuration. */
export type ResultSigningConfig = Config & { resultSigningKeys: SigningKeyRing; publicBaseUrl: string };

/** Fails loudly at cold start when a function that signs results (or publishes their keys) has no keys or issuer. */
export function resultSigningConfig(config: Config): ResultSigningConfig {
  const missing = [
    config.resultSigningKeys ? undefined : 'RESULT_SIGNING_KEYS: is required by the MFA functions (they sign or publish results)',
    config.publicBaseUrl ? undefined : 'PUBLIC_BASE_URL: is required by the MFA functions (it is the `iss` of their tokens)',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`Invalid configuration: ${missing.join('; ')}`);
  return config as ResultSigningConfig;
}

let cached: Config | undefined;

/** The process's configuration; the first call validates it and throws loudly if anything is missing. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}
