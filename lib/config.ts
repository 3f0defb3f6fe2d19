import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as v from 'valibot';
import { DEFAULT_TTL_SEC, FACTORS, MAX_TTL_SEC, MIN_TTL_SEC, REDEEMABLE_FACTORS, type Factor } from './tickets/ticket';
import { SECURITY_NOTIFICATION_KINDS, type SecurityNotificationKind } from './notify/kinds';
import { email, plainMessage } from './validation';

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

/** A P-256 public key that verifies MFA results (ES256); `id` is the JWS `kid`. */
export interface PublicKey {
  id: string;
  publicKey: KeyObject;
}

/** The keys that verify results: what the JWKS publishes and the verify API checks against. */
export interface PublicKeyRing {
  all: readonly PublicKey[];
}

/** A P-256 key pair that signs MFA results (ES256). */
export interface SigningKeyPair extends PublicKey {
  privateKey: KeyObject;
}

/** The first key signs; the others are kept so that a rotation can move a key first without a gap. */
export interface SigningKeyRing extends PublicKeyRing {
  current: SigningKeyPair;
  all: readonly SigningKeyPair[];
}

/**
 * The key material, each ring given only to the functions that use it (serverless.yml, docs/SECURITY.md). A function
 * names the rings it needs (`getConfig('signingKeys')`): those must be present, the others it never sees.
 */
export interface Secrets {
  /** SHA-256 digests of the admin API keys; the keys themselves are never configured. Admin routes only. */
  adminKeyHashes: readonly AdminKey[];
  /** HMAC keys that derive each ticket's secret from its id (rotatable, see README "Keys"). Functions that build or check ticket URLs. */
  signingKeys: KeyRing;
  /** AES-256-GCM keys that encrypt enrolled TOTP secrets at rest. The enrollment start and confirm functions only. */
  encryptionKeys: KeyRing;
}
export type SecretName = keyof Secrets;
export const SECRET_NAMES: readonly SecretName[] = ['adminKeyHashes', 'signingKeys', 'encryptionKeys'];
const SECRET_ENV: Record<SecretName, string> = {
  adminKeyHashes: 'ADMIN_API_KEY_HASHES',
  signingKeys: 'TICKET_SIGNING_KEYS',
  encryptionKeys: 'ENCRYPTION_KEYS',
};

/** Everything a function reads from its environment, validated once at cold start: the settings and all key rings. */
export type Config = Settings & Secrets;
/** What a function that asked for the rings `K` holds: those rings for sure, any other only if it was configured. */
export type ConfigWith<K extends SecretName> = Settings & Partial<Secrets> & Pick<Secrets, K>;

/** The non-secret settings every function may read. */
export interface Settings {
  /** Deployment stage, e.g. `prod`; `local` for the laptop stack. */
  stage: string;
  /** The tickets table (one table holds tickets, enrollments and their indexes). */
  tableName: string;
  /** Origin that ticket URLs point at; when empty, API calls use the request's own host. */
  publicBaseUrl: string | undefined;
  /** Origins a ticket's `result_url` may redirect to (no open redirects). */
  resultUrlOrigins: readonly string[];
  /**
   * RESULT_SIGNING_KEYS: ES256 keys that sign the MFA result (`signature`), `kid:<base64 PKCS#8 DER>[,...]`; only the
   * functions that sign results get them (`resultSigningConfig`).
   */
  resultSigningKeys: SigningKeyRing | undefined;
  /**
   * RESULT_PUBLIC_KEYS: the public halves, `kid:<base64 SPKI DER>[,...]`, for the functions that publish or check
   * results without signing any (`resultPublicConfig`): they never hold a private key.
   */
  resultPublicKeys: PublicKeyRing | undefined;
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
  /** Lifecycle events published to EventBridge from the table's stream (lib/events, docs/EVENTS.md). */
  events: EventsConfig;
  /** MFA_HISTORY_DAYS: how long each user's MFA history keeps an event (default 90, 1 to 3650; docs/HISTORY.md). */
  historyDays: number;
  /** Security keys and passkeys (lib/factors/webauthn/webauthn.ts); undefined without PUBLIC_BASE_URL (no origin to bind to). */
  webauthn: WebauthnConfig | undefined;
  /**
   * "Remember this browser" (lib/mfa/remembered-browser.ts): REMEMBER_BROWSER_DAYS (default 30, 1 to 365) from the
   * proof, REMEMBER_BROWSER_IDLE_DAYS (default 7, 1 to 365) without use.
   */
  rememberBrowser: { days: number; idleDays: number };
  /** Emails telling users about changes to their MFA (lib/notify, docs/EMAIL.md "Security notifications"). */
  securityNotifications: SecurityNotificationsConfig;
}

export interface SecurityNotificationsConfig {
  /** SECURITY_NOTIFICATIONS: the kinds sent, comma-separated (default all; `none` sends none). */
  kinds: ReadonlySet<SecurityNotificationKind>;
  /** SECURITY_CONTACT_URL: where the user gets help (an https: or mailto: URL); without it the mails omit that line. */
  contactUrl: string | undefined;
}

export interface WebauthnConfig {
  /**
   * WEBAUTHN_RP_ID: the relying party id credentials are scoped to (default PUBLIC_BASE_URL's host name); must be that
   * host or a registrable parent of it. Changing it later orphans every credential (README).
   */
  rpId: string;
  /** The one origin a ceremony may come from: PUBLIC_BASE_URL's origin, never the request's. */
  origin: string;
  /** The name authenticators show for us: TOTP_ISSUER's value. */
  rpName: string;
  /** WEBAUTHN_USER_VERIFICATION: what security keys are asked for (default `preferred`); passkeys always `required`. */
  userVerification: 'required' | 'preferred' | 'discouraged';
}

export interface EventsConfig {
  /** EVENT_BUS: the bus the events go to, a name or an ARN (default `default`, the account's default bus). */
  bus: string;
  /** EVENT_SOURCE: the events' `source` (default `mfa-tickets`); `aws.` prefixes are reserved by AWS. */
  source: string;
  /** EVENTBRIDGE_ENDPOINT: the local stack's EventBridge stand-in (infra/local/event-sink.ts); unset deployed. */
  endpoint: string | undefined;
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
  /**
   * SIGNUP_TRUST_EVENT_EMAIL: mail the address an EventBridge event carries (default false: the address is looked up
   * in the user pool, COGNITO_USER_POOL_ID, or no ticket is issued; docs/SIGNUP-AND-SWEEP.md "Whose word is trusted").
   */
  trustEventEmail: boolean;
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

/**
 * An unset or empty variable is absent. The '' default makes valibot run the entry (and its own default) for a
 * variable that is not in the environment at all, which an optional entry without a default would skip.
 */
const optionalString = v.pipe(
  v.optional(v.string(), ''),
  v.transform((value: string): string | undefined => (value ? value : undefined)),
);

/** An optional whole number from the environment, with its default and bounds. */
const envInt = (fallback: number, min: number, max: number) =>
  v.pipe(
    optionalString,
    v.optional(
      v.pipe(
        v.string(),
        v.toNumber('must be a number'),
        v.safeInteger('must be a whole number'),
        v.minValue(min, `must be at least ${min}`),
        v.maxValue(max, `must be at most ${max}`),
      ),
      String(fallback),
    ),
  );

const oneOf = <const T extends readonly string[]>(options: T) => v.picklist(options, `must be one of ${options.join(', ')}`);

const envBool = (fallback: boolean) =>
  v.pipe(
    optionalString,
    v.optional(oneOf(['true', 'false'])),
    v.transform((value: 'true' | 'false' | undefined) => (value === undefined ? fallback : value === 'true')),
  );

/** An optional variable that, when set, must match `pattern`. */
const envMatching = (pattern: RegExp, message: string) => v.pipe(optionalString, v.optional(v.pipe(v.string(), v.regex(pattern, message))));

/** Exactly 32 bytes, written as base64 that decodes without loss: a typo must fail, not shorten or pad the key. */
const KEY_BYTES = 32;
function decodeKey(encoded: string): Buffer | undefined {
  const secret = Buffer.from(encoded, 'base64');
  const canonical = (b64: string) => b64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return secret.length === KEY_BYTES && canonical(secret.toString('base64')) === canonical(encoded) ? secret : undefined;
}

/**
 * A key ring, absent when its variable is unset or empty (required or not is decided per function, `withSecrets`).
 * Its messages never quote the value: it is secret.
 */
function keyRing(name: string) {
  return v.pipe(
    optionalString,
    v.rawTransform(({ dataset, addIssue, NEVER }): KeyRing | undefined => {
      const raw = dataset.value;
      if (raw === undefined) return undefined;
      const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
      const keys = entries.map((entry) => {
        const [id = '', encoded = '', ...rest] = entry.split(':');
        return { id, secret: rest.length === 0 ? decodeKey(encoded) : undefined };
      });
      const bad = keys.find((key) => !/^[A-Za-z0-9_-]{1,32}$/.test(key.id) || !key.secret);
      if (keys.length === 0 || bad) {
        addIssue({ message: `${name} must be "id:base64key[,id:base64key...]" with keys of exactly ${KEY_BYTES} bytes` });
        return NEVER;
      }
      const ring = keys as Key[];
      if (new Set(ring.map((key) => key.id)).size !== ring.length) {
        addIssue({ message: `${name} names a key id twice` });
        return NEVER;
      }
      return { current: ring[0]!, byId: new Map(ring.map((key) => [key.id, key])) };
    }),
  );
}

/** `kid:<base64 PKCS#8 DER of a P-256 private key>[,...]` (README "MFA at login" shows how to make one). */
const signingKeyRing = v.pipe(
  optionalString,
  v.rawTransform(({ dataset, addIssue, NEVER }): SigningKeyRing | undefined => {
    const raw = dataset.value;
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
        addIssue({ message: 'RESULT_SIGNING_KEYS must be "kid:base64-PKCS#8-DER[,kid:...]" with P-256 (ES256) private keys' });
        return NEVER;
      }
      pairs.push({ id, privateKey, publicKey: createPublicKey(privateKey) });
    }
    if (pairs.length === 0 || new Set(pairs.map((p) => p.id)).size !== pairs.length) {
      addIssue({ message: 'RESULT_SIGNING_KEYS must list at least one key, each kid once' });
      return NEVER;
    }
    return { current: pairs[0]!, all: pairs };
  }),
);

/**
 * `kid:<base64 SPKI DER of a P-256 public key>[,...]`, derived from RESULT_SIGNING_KEYS (README
 * "Keys" shows the openssl line). A private key is refused: this variable goes to functions that must not hold one.
 */
const publicKeyRing = v.pipe(
  optionalString,
  v.rawTransform(({ dataset, addIssue, NEVER }): PublicKeyRing | undefined => {
    const raw = dataset.value;
    if (raw === undefined) return undefined;
    const keys: PublicKey[] = [];
    for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
      const [id = '', encoded = '', extra] = entry.split(':');
      let publicKey: KeyObject | undefined;
      try {
        publicKey = createPublicKey({ key: Buffer.from(encoded, 'base64'), format: 'der', type: 'spki' });
      } catch {
        publicKey = undefined;
      }
      const curve = publicKey?.asymmetricKeyDetails?.namedCurve;
      if (extra !== undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || !publicKey || publicKey.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
        addIssue({ message: 'RESULT_PUBLIC_KEYS must be "kid:base64-SPKI-DER[,kid:...]" with P-256 (ES256) public keys' });
        return NEVER;
      }
      keys.push({ id, publicKey });
    }
    if (keys.length === 0 || new Set(keys.map((k) => k.id)).size !== keys.length) {
      addIssue({ message: 'RESULT_PUBLIC_KEYS must list at least one key, each kid once' });
      return NEVER;
    }
    return { all: keys };
  }),
);

const envSchema = v.object({
  STAGE: v.pipe(v.string('is required'), v.minLength(1, 'must not be empty')),
  TABLE_NAME: v.pipe(v.string('is required'), v.minLength(1, 'must not be empty')),
  PUBLIC_BASE_URL: v.pipe(optionalString, v.optional(v.pipe(v.string(), v.url('must be an absolute URL such as https://mfa.example.com')))),
  RESULT_URL_ORIGINS: v.pipe(
    v.optional(v.string(), ''),
    v.transform((value: string) => value.split(',').map((o) => o.trim()).filter(Boolean)),
  ),
  ADMIN_API_KEY_HASHES: v.pipe(
    optionalString,
    v.rawTransform(({ dataset, addIssue, NEVER }): AdminKey[] | undefined => {
      const value = dataset.value;
      if (value === undefined) return undefined;
      const entries = value.split(',').map((h) => h.trim()).filter(Boolean);
      if (entries.length === 0) return undefined;
      const keys = entries.map((entry) => {
        const [digest = '', until] = entry.split('@');
        return { digest, expiresAt: until === undefined ? undefined : Date.parse(until) };
      });
      if (keys.some((k) => !/^[0-9a-f]{64}$/i.test(k.digest) || Number.isNaN(k.expiresAt))) {
        addIssue({ message: 'ADMIN_API_KEY_HASHES must be comma-separated SHA-256 hex digests, each optionally "@<ISO-8601 expiry>"' });
        return NEVER;
      }
      return keys.map((k) => ({ digest: Buffer.from(k.digest, 'hex'), expiresAt: k.expiresAt }));
    }),
  ),
  TICKET_SIGNING_KEYS: keyRing('TICKET_SIGNING_KEYS'),
  ENCRYPTION_KEYS: keyRing('ENCRYPTION_KEYS'),
  RESULT_SIGNING_KEYS: signingKeyRing,
  RESULT_PUBLIC_KEYS: publicKeyRing,
  LOCAL_MODE: v.optional(oneOf(['true', 'false'])),
  DYNAMODB_ENDPOINT: optionalString,
  SES_ENDPOINT: optionalString,
  EMAIL_FROM: v.pipe(optionalString, v.optional(email('must be a plain address such as tickets@example.com'))),
  SES_CONFIGURATION_SET: optionalString,
  COGNITO_USER_POOL_ID: envMatching(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a user pool id such as eu-west-1_AbC123'),
  SIGNUP_SEND_MAIL: envBool(true),
  SIGNUP_TTL_SEC: envInt(DEFAULT_TTL_SEC, MIN_TTL_SEC, MAX_TTL_SEC),
  SIGNUP_FACTOR: v.pipe(
    optionalString,
    v.optional(
      v.pipe(
        oneOf(FACTORS),
        v.check((f: Factor) => REDEEMABLE_FACTORS.includes(f), `must be one of ${REDEEMABLE_FACTORS.join(', ')}`),
      ),
      'otp',
    ),
  ),
  SIGNUP_LOCALE: envMatching(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language tag such as "en" or "pt-BR"'),
  SIGNUP_EVENT_SOURCE: v.pipe(optionalString, v.optional(v.pipe(v.string(), v.maxLength(256, 'must be at most 256 characters')), 'custom.identity')),
  SIGNUP_TRUST_EVENT_EMAIL: envBool(false),
  SWEEP_MODE: v.pipe(optionalString, v.optional(oneOf(['expire', 'delete']), 'expire')),
  SWEEP_BATCH_SIZE: envInt(100, 1, 1000),
  SWEEP_SAFETY_MARGIN_MS: envInt(10_000, 0, 900_000),
  MFA_HISTORY_DAYS: envInt(90, 1, 3650),
  REMEMBER_BROWSER_DAYS: envInt(30, 1, 365),
  REMEMBER_BROWSER_IDLE_DAYS: envInt(7, 1, 365),
  TOTP_ISSUER: v.pipe(optionalString, v.optional(v.pipe(v.string(), v.maxLength(64, 'must be at most 64 characters')))),
  TOTP_LABEL: v.pipe(optionalString, v.optional(oneOf(['email', 'user_id']), 'email')),
  EVENT_BUS: v.pipe(
    optionalString,
    v.optional(
      v.pipe(v.string(), v.regex(/^(arn:[\w-]+:events:[\w-]+:\d{12}:event-bus\/)?[\w.\-/]{1,256}$/, 'must be an event bus name or ARN')),
      'default',
    ),
  ),
  EVENT_SOURCE: v.pipe(
    optionalString,
    v.optional(
      v.pipe(
        v.string(),
        v.regex(/^[\w.\-/]{1,256}$/, 'must be 1 to 256 letters, digits or . - _ /'),
        v.check((value: string) => !value.startsWith('aws.'), 'must not start with "aws." (reserved by AWS)'),
      ),
      'mfa-tickets',
    ),
  ),
  EVENTBRIDGE_ENDPOINT: optionalString,
  WEBAUTHN_RP_ID: envMatching(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
    'must be a lower-case host name such as example.com',
  ),
  WEBAUTHN_USER_VERIFICATION: v.pipe(optionalString, v.optional(oneOf(['required', 'preferred', 'discouraged']), 'preferred')),
  SECURITY_NOTIFICATIONS: v.pipe(
    optionalString,
    v.rawTransform(({ dataset, addIssue, NEVER }): ReadonlySet<SecurityNotificationKind> => {
      const raw = dataset.value;
      if (raw === undefined) return new Set(SECURITY_NOTIFICATION_KINDS);
      const names = raw.split(',').map((n) => n.trim()).filter(Boolean);
      if (names.length === 1 && names[0] === 'none') return new Set();
      const unknown = names.filter((n) => !(SECURITY_NOTIFICATION_KINDS as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) {
        addIssue({ message: `must be "none" or a comma-separated list of ${SECURITY_NOTIFICATION_KINDS.join(', ')}` });
        return NEVER;
      }
      return new Set(names as SecurityNotificationKind[]);
    }),
  ),
  SECURITY_CONTACT_URL: v.pipe(
    optionalString,
    v.optional(
      v.pipe(
        v.string(),
        v.maxLength(500, 'must be at most 500 characters'),
        v.check((value: string) => {
          try {
            const url = new URL(value);
            return (url.protocol === 'https:' || url.protocol === 'mailto:') && !/[\s\p{Cc}]/u.test(value);
          } catch {
            return false;
          }
        }, 'must be an https: or mailto: URL such as https://help.example.com/security'),
      ),
    ),
  ),
});

/**
 * The relying party from configuration only. The rp id must be the page's host or a parent of it that is itself
 * registrable: not an IP address, not a bare top-level label (`com`), and not a shared hosting suffix the browser
 * refuses (execute-api, cloudfront.net). Browsers check the full public suffix list; refusing these at load catches
 * the mistakes that would make every ceremony fail.
 */
function webauthnSettings(e: { PUBLIC_BASE_URL?: string; WEBAUTHN_RP_ID?: string; WEBAUTHN_USER_VERIFICATION: WebauthnConfig['userVerification'] }, rpName: string): WebauthnConfig | undefined {
  if (!e.PUBLIC_BASE_URL) {
    if (e.WEBAUTHN_RP_ID) throw new Error('Invalid configuration: WEBAUTHN_RP_ID: needs PUBLIC_BASE_URL (the origin ceremonies must come from)');
    return undefined;
  }
  const url = new URL(e.PUBLIC_BASE_URL);
  const host = url.hostname.toLowerCase();
  const rpId = e.WEBAUTHN_RP_ID ?? host;
  const problem =
    host !== rpId && !host.endsWith(`.${rpId}`)
      ? `must be PUBLIC_BASE_URL's host (${host}) or a parent domain of it`
      : /^[\d.]+$/.test(rpId) || rpId.includes(':')
        ? 'must be a domain name, not an IP address (browsers refuse WebAuthn on IP addresses; use localhost locally)'
        : rpId !== 'localhost' && !rpId.includes('.')
          ? 'must be a registrable domain, not a top-level label'
          : /(^|\.)(amazonaws\.com|cloudfront\.net|on\.aws)$/.test(rpId)
            ? 'must be your own domain: shared AWS host names are public suffixes that browsers refuse'
            : undefined;
  // Set by the operator: a wrong value fails every function at load. Derived from an IP-address PUBLIC_BASE_URL:
  // WebAuthn is unavailable and only its functions refuse to start (`webauthnConfig`).
  if (problem && e.WEBAUTHN_RP_ID) throw new Error(`Invalid configuration: WEBAUTHN_RP_ID: ${problem}`);
  if (problem) return undefined;
  return { rpId, origin: url.origin, rpName, userVerification: e.WEBAUTHN_USER_VERIFICATION };
}

/**
 * Validates the environment: every variable that is set must be well formed (a malformed ring fails even in a function
 * that does not use it), and the rings named in `needs` must be present. Without `needs`, all three are required
 * (tests, local tools); handlers name theirs through `getConfig`.
 */
export function loadConfig<K extends SecretName = SecretName>(
  env: NodeJS.ProcessEnv,
  needs: readonly K[] = SECRET_NAMES as readonly K[],
): ConfigWith<K> {
  const parsed = v.safeParse(envSchema, env, { abortPipeEarly: true, message: plainMessage });
  if (!parsed.success) {
    const problems = parsed.issues.map((i) => `${v.getDotPath(i) ?? 'env'}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.output;
  const config: Settings & Partial<Secrets> = {
    stage: e.STAGE,
    tableName: e.TABLE_NAME,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    resultUrlOrigins: e.RESULT_URL_ORIGINS,
    adminKeyHashes: e.ADMIN_API_KEY_HASHES,
    signingKeys: e.TICKET_SIGNING_KEYS,
    encryptionKeys: e.ENCRYPTION_KEYS,
    resultSigningKeys: e.RESULT_SIGNING_KEYS,
    resultPublicKeys: e.RESULT_PUBLIC_KEYS,
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
      trustEventEmail: e.SIGNUP_TRUST_EVENT_EMAIL,
    },
    sweep: { mode: e.SWEEP_MODE, batchSize: e.SWEEP_BATCH_SIZE, safetyMarginMs: e.SWEEP_SAFETY_MARGIN_MS },
    enrollment: {
      totpIssuer: e.TOTP_ISSUER ?? (e.PUBLIC_BASE_URL ? new URL(e.PUBLIC_BASE_URL).host : 'MFA'),
      totpLabel: e.TOTP_LABEL,
    },
    events: { bus: e.EVENT_BUS, source: e.EVENT_SOURCE, endpoint: e.EVENTBRIDGE_ENDPOINT },
    historyDays: e.MFA_HISTORY_DAYS,
    webauthn: undefined,
    rememberBrowser: { days: e.REMEMBER_BROWSER_DAYS, idleDays: e.REMEMBER_BROWSER_IDLE_DAYS },
    securityNotifications: { kinds: e.SECURITY_NOTIFICATIONS, contactUrl: e.SECURITY_CONTACT_URL },
  };
  config.webauthn = webauthnSettings(e, config.enrollment.totpIssuer);
  return withSecrets(config, needs);
}

/** Fails loudly (at the cold start of the function that asks) when a ring it needs is not configured. */
export function withSecrets<K extends SecretName>(config: Settings & Partial<Secrets>, needs: readonly K[]): ConfigWith<K> {
  const missing = needs.filter((name) => config[name] === undefined);
  if (missing.length > 0) {
    throw new Error(`Invalid configuration: ${missing.map((name) => `${SECRET_ENV[name]}: is required by this function`).join('; ')}`);
  }
  return config as ConfigWith<K>;
}

/** What the mailer needs on top of the common configuration; functions that send no mail never ask for it. */
export type MailerConfig = ConfigWith<'signingKeys'> & { emailFrom: string; publicBaseUrl: string };

/** Fails loudly at the mailer's cold start when it could build neither a ticket URL nor a From address. */
export function mailerConfig(config: ConfigWith<'signingKeys'>): MailerConfig {
  const missing = [
    config.emailFrom ? undefined : 'EMAIL_FROM: is required by the mailer',
    config.publicBaseUrl ? undefined : 'PUBLIC_BASE_URL: is required by the mailer (the ticket URLs it sends point at it)',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`Invalid configuration: ${missing.join('; ')}`);
  return config as MailerConfig;
}

/** What the security notifier needs: a From address (it builds no URL and holds no key). */
export type NotifierConfig = Settings & { emailFrom: string };

/** Fails loudly at the notifier's cold start without EMAIL_FROM. */
export function notifierConfig<C extends Settings>(config: C): C & NotifierConfig {
  if (!config.emailFrom) throw new Error('Invalid configuration: EMAIL_FROM: is required by the security notifier');
  return config as C & NotifierConfig;
}

/** What the functions that sign MFA results need on top of their configuration. */
export type ResultSigningConfig<C extends Settings = Settings> = C & { resultSigningKeys: SigningKeyRing; publicBaseUrl: string };

/** Fails loudly at cold start when a function that signs results has no keys or issuer. */
export function resultSigningConfig<C extends Settings>(config: C): ResultSigningConfig<C> {
  const missing = [
    config.resultSigningKeys ? undefined : 'RESULT_SIGNING_KEYS: is required by the MFA functions that sign results',
    config.publicBaseUrl ? undefined : 'PUBLIC_BASE_URL: is required by the MFA functions (it is the `iss` of their tokens)',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`Invalid configuration: ${missing.join('; ')}`);
  return config as ResultSigningConfig<C>;
}

/** What the functions that publish or check results (and sign none) need: public keys only. */
export type ResultPublicConfig<C extends Settings = Settings> = C & { resultPublicKeys: PublicKeyRing; publicBaseUrl: string };

/** Fails loudly at cold start when a function that publishes or checks results has no public keys or issuer. */
export function resultPublicConfig<C extends Settings>(config: C): ResultPublicConfig<C> {
  const missing = [
    config.resultPublicKeys ? undefined : 'RESULT_PUBLIC_KEYS: is required by this function (it publishes or checks MFA results)',
    config.publicBaseUrl ? undefined : 'PUBLIC_BASE_URL: is required by the MFA functions (it is the `iss` of their tokens)',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`Invalid configuration: ${missing.join('; ')}`);
  return config as ResultPublicConfig<C>;
}

/** Fails loudly at the cold start of a function that runs WebAuthn ceremonies when there is no relying party. */
export function webauthnConfig(config: Pick<Settings, 'webauthn'>): WebauthnConfig {
  if (!config.webauthn) {
    throw new Error('Invalid configuration: WebAuthn needs PUBLIC_BASE_URL on a domain name (WEBAUTHN_RP_ID: the host or a parent of it)');
  }
  return config.webauthn;
}

let cached: (Settings & Partial<Secrets>) | undefined;

/**
 * The process's configuration with the key rings this function uses (`getConfig('signingKeys')`); the first call
 * validates the environment, and any call throws loudly if a ring it names is missing. Call it at module scope.
 */
export function getConfig<K extends SecretName = never>(...needs: K[]): ConfigWith<NoInfer<K>> {
  cached ??= loadConfig(process.env, []);
  return withSecrets(cached, needs);
}

/** ENCRYPTION_KEYS alone, checked exactly as the functions check it: for `npm run reencrypt`, which needs nothing else. */
export function encryptionKeysFromEnv(env: NodeJS.ProcessEnv): KeyRing {
  const parsed = v.safeParse(envSchema.entries.ENCRYPTION_KEYS, env.ENCRYPTION_KEYS, { message: plainMessage });
  if (!parsed.success) throw new Error(`Invalid configuration: ENCRYPTION_KEYS: ${parsed.issues.map((i) => i.message).join('; ')}`);
  if (!parsed.output) throw new Error('Invalid configuration: ENCRYPTION_KEYS: is required');
  return parsed.output;
}
