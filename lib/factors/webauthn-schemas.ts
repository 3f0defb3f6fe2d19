import * as z from '../zod-mini';

/**
 * What the browser sends back from a ceremony (`RegistrationResponseJSON` / `AuthenticationResponseJSON`, as
 * @simplewebauthn/browser and `PublicKeyCredential.toJSON()` produce them), bounded and base64url-checked here so the
 * ceremony code only ever sees well-formed strings of sane size.
 */
const b64url = (max: number) =>
  z.string().check(z.minLength(1, 'is required'), z.maxLength(max, `must be at most ${max} characters`), z.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));

const TRANSPORTS = ['usb', 'nfc', 'ble', 'internal', 'hybrid', 'smart-card', 'cable'] as const;

/** What both ceremonies' answers carry besides `response`. */
const credentialFields = {
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  authenticatorAttachment: z.optional(z.enum(['platform', 'cross-platform'])),
  clientExtensionResults: z.optional(z.record(z.string(), z.unknown())),
};

export const registrationJsonSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(16_384),
    authenticatorData: b64url(16_384),
    publicKey: b64url(4096),
    publicKeyAlgorithm: z.number().check(z.int()),
    transports: z.optional(z.array(z.enum(TRANSPORTS)).check(z.maxLength(8))),
  }),
});
export type RegistrationJson = z.infer<typeof registrationJsonSchema>;

export const assertionJsonSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    signature: b64url(2048),
    userHandle: z.optional(z.string().check(z.maxLength(512))),
  }),
});
export type AssertionJson = z.infer<typeof assertionJsonSchema>;
