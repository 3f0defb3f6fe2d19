import * as z from 'zod';

/** A named secret key; the first key of a list is the one used for new material, the others still verify. */
export interface Key {
  id: string;
  secret: Buffer;
}

export interface KeyRing {
  current: Key;
  byId: ReadonlyMap<string, Key>;
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
  adminKeyHashes: readonly Buffer[];
  /** HMAC keys that derive each ticket's secret from its id (rotatable, see README "Keys"). */
  signingKeys: KeyRing;
  /** AES-256-GCM keys that encrypt enrolled TOTP secrets at rest. */
  encryptionKeys: KeyRing;
  /** Local stack: relaxes `result_url` to allow http://localhost. Never true deployed. */
  localMode: boolean;
  /** Emulator endpoints for the local stack; unset deployed. */
  dynamodbEndpoint: string | undefined;
  sesEndpoint: string | undefined;
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

function keyRing(name: string) {
  return z.string({ error: `${name} is required` }).transform((raw, ctx): KeyRing => {
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
      ctx.addIssue({ code: 'custom', message: `${name} must be "id:base64key[,id:base64key...]" with keys of at least 32 bytes` });
      return z.NEVER;
    }
    return { current: keys[0]!, byId: new Map(keys.map((key) => [key.id, key])) };
  });
}

const envSchema = z.object({
  STAGE: z.string().min(1),
  TABLE_NAME: z.string().min(1),
  PUBLIC_BASE_URL: optionalString.pipe(z.url().optional()),
  RESULT_URL_ORIGINS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((o) => o.trim()).filter(Boolean)),
  ADMIN_API_KEY_HASHES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const hashes = (v ?? '').split(',').map((h) => h.trim()).filter(Boolean);
      if (hashes.some((h) => !/^[0-9a-f]{64}$/i.test(h))) {
        ctx.addIssue({ code: 'custom', message: 'ADMIN_API_KEY_HASHES must be comma-separated SHA-256 hex digests' });
        return z.NEVER;
      }
      return hashes.map((h) => Buffer.from(h, 'hex'));
    }),
  TICKET_SIGNING_KEYS: keyRing('TICKET_SIGNING_KEYS'),
  ENCRYPTION_KEYS: keyRing('ENCRYPTION_KEYS'),
  LOCAL_MODE: z.enum(['true', 'false']).optional(),
  DYNAMODB_ENDPOINT: optionalString,
  SES_ENDPOINT: optionalString,
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
    localMode: e.LOCAL_MODE === 'true',
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    sesEndpoint: e.SES_ENDPOINT,
  };
}

let cached: Config | undefined;

/** The process's configuration; the first call validates it and throws loudly if anything is missing. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}
