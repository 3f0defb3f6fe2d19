import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionBundleOptions } from '../support/bundle';

/**
 * Heavy code stays in the functions that use it (docs/WEBAUTHN.md, docs/COLD-START.md levers 3 and 6): every function
 * is bundled as serverless.yml bundles it, and each library below may only be in the functions named.
 */
const ROOT = join(__dirname, '..', '..');
const files = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
let outputs: Metafile['outputs'];

/** The functions whose bundle contains an input matching `code`. */
const carriersOf = (code: RegExp) =>
  Object.values(outputs)
    .filter((output) => output.entryPoint && Object.keys(output.inputs).some((input) => code.test(input)))
    .map((output) => output.entryPoint!.replace(/^functions\//, ''))
    .sort();

describe('what each function bundles', () => {
  beforeAll(async () => {
    const result = await build({ ...functionBundleOptions(files), outdir: 'bundles', write: false, metafile: true });
    outputs = result.metafile.outputs;
    expect(files.length).toBeGreaterThan(20);
  }, 120_000);

  it('WebAuthn verification: only the ceremony-verifying functions', () => {
    expect(carriersOf(/node_modules\/@passwordless-id\/webauthn\/|node_modules\/@levischuck\/tiny-cbor\/|node_modules\/@simplewebauthn\/server\/|lib\/factors\/webauthn\/ceremony\.ts$/)).toEqual(['enroll-webauthn.ts', 'mfa-webauthn.ts']);
  });

  it('the QR encoder: only the hosted page\'s start, which answers with a QR code', () => {
    expect(carriersOf(/node_modules\/qrcode\//)).toEqual(['enroll-start.ts']);
  });

  it('TOTP code checks (otpauth): not in the challenge function, which only lists the factors a user can use', () => {
    const carriers = carriersOf(/node_modules\/otpauth\//);
    expect(carriers).toContain('mfa-verify.ts');
    expect(carriers).not.toContain('create-mfa-challenge.ts');
    expect(carriers.filter((f) => /webauthn/.test(f))).toEqual([]);
  });

  it('factor imports: only the authentication-methods function', () => {
    expect(carriersOf(/lib\/factors\/(totp|webauthn|email|phone)\/import\.ts$/)).toEqual(['authentication-methods.ts']);
  });

  it('each function carries only the factors its handler picks: the registry brings no factor\'s checks', () => {
    const loginChecks = (factor: string) => carriersOf(new RegExp(`lib\\/factors\\/${factor}\\/login\\.ts$`));
    expect(loginChecks('totp')).toEqual(['guardian-verify-otp.ts', 'mfa-verify.ts', 'verify-user-mfa.ts']);
    expect(loginChecks('recovery-code')).toEqual(['guardian-recover-account.ts', 'mfa-verify.ts', 'verify-user-mfa.ts']);
    expect(loginChecks('webauthn')).toEqual(['mfa-webauthn.ts']);
    expect(loginChecks('email')).toEqual(['mfa-verify.ts']);
    // Sending a login code (the sealed address opened, SES): only the page's send route.
    expect(carriersOf(/lib\/factors\/email\/sender\.ts$/)).toEqual(['mfa-email-send.ts']);
    expect(loginChecks('phone')).toEqual(['guardian-verify-otp.ts', 'mfa-verify.ts']);
    // Texting or calling a login code (the sealed number opened, End User Messaging): only the phone send routes (the
    // page's, the device protocol's send-sms).
    expect(carriersOf(/lib\/factors\/phone\/sender\.ts$/)).toEqual(['guardian-send-sms.ts', 'mfa-phone-send.ts']);
    // End User Messaging: the routes that text or call a code, signing in and enrolling (the page's and the device's).
    expect(carriersOf(/node_modules\/@aws-sdk\/client-pinpoint-sms-voice-v2\//)).toEqual(['enroll-phone-send.ts', 'guardian-send-sms.ts', 'guardian-sms-enroll.ts', 'mfa-phone-send.ts']);
    // Their texts are plain strings and their metrics EMF lines: no template engine (it would cross 400 KB).
    expect(carriersOf(/node_modules\/liquidjs\//)).not.toContain('mfa-phone-send.ts');
    expect(carriersOf(/node_modules\/liquidjs\//)).not.toContain('enroll-phone-send.ts');
    // The registry (light descriptors) is everywhere a flow lists or names factors; no check comes with it.
    expect(carriersOf(/lib\/factors\/registry\.ts$/)).toContain('create-mfa-challenge.ts');
    expect(carriersOf(/lib\/factors\/webauthn\/ceremony\.ts$/)).not.toContain('enroll-confirm.ts');
  });

  it('email enrolling: its begin and finish only where an email ticket starts or confirms, its sending only in the send route', () => {
    expect(carriersOf(/lib\/factors\/email\/enroll\.ts$/)).toEqual(['enroll-email-confirm.ts', 'enroll-start.ts']);
    expect(carriersOf(/lib\/factors\/email\/deliver\.ts$/)).toEqual(['enroll-email-send.ts']);
    // The SES client and the code templates: the mailers and the send route, never the page's start or confirm.
    const ses = carriersOf(/node_modules\/@aws-sdk\/client-ses\//);
    expect(ses).toContain('enroll-email-send.ts');
    expect(ses.filter((f) => f.startsWith('enroll-') && f !== 'enroll-email-send.ts')).toEqual([]);
    // The code email pre-rendered (lib/factors/email/prerendered.ts): no template engine in the send route.
    expect(carriersOf(/lib\/factors\/email\/code-emails\.generated\.ts$/)).toEqual(['enroll-email-send.ts', 'mfa-email-send.ts']);
    expect(carriersOf(/node_modules\/liquidjs\//)).not.toContain('enroll-email-send.ts');
    expect(carriersOf(/node_modules\/liquidjs\//)).not.toContain('mfa-email-send.ts');
  });

  it('phone enrolling: its begin where a phone ticket starts, its finish where it confirms, its sending and the number parser only where a number is typed', () => {
    expect(carriersOf(/lib\/factors\/phone\/enroll\.ts$/)).toEqual(['enroll-phone-confirm.ts', 'guardian-verify-otp.ts']);
    expect(carriersOf(/lib\/factors\/phone\/begin\.ts$/)).toEqual(['enroll-phone-confirm.ts', 'enroll-start.ts', 'guardian-start-flow.ts', 'guardian-verify-otp.ts']);
    expect(carriersOf(/lib\/factors\/phone\/deliver\.ts$/)).toEqual(['enroll-phone-send.ts', 'guardian-sms-enroll.ts']);
    expect(carriersOf(/lib\/enrollment\/send-code\.ts$/)).toEqual(['enroll-email-send.ts', 'enroll-phone-send.ts', 'guardian-sms-enroll.ts']);
    // The send's one write and the ticket's read (lib/enrollment/sent-code-store.ts), not the stores: it keeps the phone
    // sends, which carry the number's 88 KB parser, under 400 KB.
    const stores = carriersOf(/lib\/enrollment\/enrollment-store\.ts$|lib\/tickets\/ticket-store\.ts$/);
    expect(stores).not.toContain('enroll-phone-send.ts');
    expect(stores).not.toContain('guardian-sms-enroll.ts');
    // The number's parser (with the whole metadata): only where a new number is typed or imported; masking a stored
    // number takes only the metadata's calling codes (lib/factors/phone/mask.ts).
    expect(carriersOf(/node_modules\/libphonenumber-js\//)).toEqual(['authentication-methods.ts', 'enroll-phone-send.ts', 'guardian-sms-enroll.ts']);
  });

  it('the functions of the phone factor stay under 400 KB, minified as deployed', async () => {
    const names = ['authentication-methods.ts', 'enroll-phone-confirm.ts', 'enroll-phone-send.ts', 'enroll-start.ts', 'guardian-send-sms.ts', 'guardian-sms-enroll.ts', 'guardian-start-flow.ts', 'guardian-verify-otp.ts', 'mfa-phone-send.ts'];
    // serverless.yml `custom.esbuild.exclude`: provided by the runtime, never bundled.
    const external = ['@aws-sdk/client-cognito-identity-provider', '@aws-sdk/credential-provider-sso', '@aws-sdk/credential-provider-ini', '@aws-sdk/credential-provider-process', '@aws-sdk/credential-provider-web-identity', '@aws-sdk/credential-provider-http', '@smithy/credential-provider-imds'];
    const result = await build({ ...functionBundleOptions(names), outdir: 'bundles', write: false, metafile: true, minify: true, external });
    for (const name of names) {
      const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint === `functions/${name}`)!;
      expect(output.bytes, name).toBeLessThan(400 * 1024);
    }
  }, 120_000);
});
