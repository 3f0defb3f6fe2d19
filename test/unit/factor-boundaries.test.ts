import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of docs/FACTORS.md, checked on the source: a factor folder depends on no flow, and the flows call factors
 * only through lib/factors/factor.ts and the registry, never by name.
 */
const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports (static, dynamic, re-export), as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specifiers.map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)));
}

/** The code without its comments (a comment may name a factor; code may not). */
const code = (file: string) =>
  readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"])\/\/.*$/gm, '$1');

/** How a flow would name a factor: its names as literals, or a factor module's exports. */
const FACTOR_NAMES = /'(?:otp|totp|recovery-code|webauthn-roaming|webauthn-platform|webauthn|email|phone|sms|voice)'|\b(?:totpFactor|recoveryCodeFactor|webauthnLoginFactor|emailLoginFactor|emailLoginSender|totpDescriptor|recoveryCodeDescriptor|webauthnDescriptor|emailDescriptor)\b|factors\/(?:totp|recovery-code|webauthn|email|phone)\/|\bpending_(?:totp|webauthn)\b/;

const FLOWS = ['lib/enrollment', 'lib/mfa', 'lib/guardian'];

/**
 * Flow modules that still name factors (by name, by module, or by the per-kind pending state `pending_totp` /
 * `pending_webauthn`): the ticket enrollment (its TOTP and WebAuthn starts and confirms and that state), the request
 * schemas of the factor-specific routes, the recovery code regeneration, and the device protocol, whose wire format is the authenticator app's. The list only shrinks:
 * a listed module that no longer names a factor fails the test too.
 */
const NOT_YET_THROUGH_THE_INTERFACE = [
  'lib/enrollment/attempts.ts',
  // The vendor's request vocabulary: `preferred_authentication_method` is `sms` | `voice` on the wire.
  'lib/enrollment/authentication-methods.ts',
  'lib/enrollment/confirm.ts',
  'lib/enrollment/enrollment-store.ts',
  'lib/enrollment/page.ts',
  'lib/enrollment/schemas.ts',
  'lib/enrollment/start.ts',
  // Reads the TOTP start's own pending state (`pending_totp`) beside the generic one.
  'lib/enrollment/transaction-state.ts',
  'lib/enrollment/webauthn-confirm.ts',
  'lib/enrollment/webauthn-start.ts',
  'lib/guardian/enrollment-start.ts',
  'lib/guardian/enrollment.ts',
  'lib/guardian/login.ts',
  'lib/mfa/schemas.ts',
  'lib/mfa/user-mfa.ts',
];

describe('factor folders and the flows', () => {
  it('lib/factors imports nothing from the flows (lib/enrollment, lib/mfa, lib/guardian)', () => {
    const files = sources('lib/factors');
    expect(files.length).toBeGreaterThan(10);
    const offending = files.flatMap((file) => importsOf(file).filter((target) => FLOWS.some((flow) => target.startsWith(`${flow}/`) || target === flow)).map((target) => `${file} → ${target}`));
    expect(offending).toEqual([]);
  });

  it('the flows never name a factor: they get factors from the registry or from their handler', () => {
    const naming = FLOWS.flatMap(sources).filter((file) => FACTOR_NAMES.test(code(file)));
    expect(naming.filter((file) => !NOT_YET_THROUGH_THE_INTERFACE.includes(file))).toEqual([]);
    expect(NOT_YET_THROUGH_THE_INTERFACE.filter((file) => !naming.includes(file))).toEqual([]);
  });

  it('the checks catch what they look for', () => {
    expect(FACTOR_NAMES.test(`if (ticket.factor === 'otp') return`)).toBe(true);
    expect(FACTOR_NAMES.test(`import { x } from '../factors/totp/login'`)).toBe(true);
    expect(FACTOR_NAMES.test(`import { availableFactors } from '../factors/registry'`)).toBe(false);
    expect(importsOf('lib/factors/totp/login.ts')).toContain('lib/store/records');
  });
});
