import * as v from 'valibot';

/**
 * What the browser sends back from a ceremony (`RegistrationResponseJSON` / `AuthenticationResponseJSON`, as
 * @simplewebauthn/browser and `PublicKeyCredential.toJSON()` produce them), bounded and base64url-checked here so the
 * ceremony code only ever sees well-formed strings of sane size.
 */
const b64url = (max: number) =>
  v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(max, `must be at most ${max} characters`), v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));

const TRANSPORTS = ['usb', 'nfc', 'ble', 'internal', 'hybrid', 'smart-card', 'cable'] as const;

/** What both ceremonies' answers carry besides `response`. */
const credentialFields = {
  id: b64url(1400),
  rawId: b64url(1400),
  type: v.literal('public-key'),
  authenticatorAttachment: v.optional(v.picklist(['platform', 'cross-platform'])),
  clientExtensionResults: v.optional(v.record(v.string(), v.unknown())),
};

export const registrationJsonSchema = v.object({
  ...credentialFields,
  response: v.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(16_384),
    authenticatorData: b64url(16_384),
    publicKey: b64url(4096),
    publicKeyAlgorithm: v.pipe(v.number(), v.safeInteger()),
    transports: v.optional(v.pipe(v.array(v.picklist(TRANSPORTS)), v.maxLength(8))),
  }),
});
export type RegistrationJson = v.InferOutput<typeof registrationJsonSchema>;

export const assertionJsonSchema = v.object({
  ...credentialFields,
  response: v.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    signature: b64url(2048),
    userHandle: v.optional(v.pipe(v.string(), v.maxLength(512))),
  }),
});
export type AssertionJson = v.InferOutput<typeof assertionJsonSchema>;
