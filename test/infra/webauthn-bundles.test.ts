import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { functionBundleOptions } from '../support/bundle';

/**
 * The WebAuthn library stays in the functions that verify ceremonies (docs/WEBAUTHN.md): every function is bundled as
 * serverless.yml bundles it, and only these two may contain the ceremony module or the library.
 */
const ROOT = join(__dirname, '..', '..');
const VERIFIERS = ['enroll-webauthn.ts', 'mfa-webauthn.ts'];
const WEBAUTHN_CODE = /node_modules\/@passwordless-id\/webauthn\/|node_modules\/@simplewebauthn\/server\/|lib\/factors\/webauthn-ceremony\.ts$/;

describe('WebAuthn code in bundles', () => {
  it('is in the ceremony-verifying functions only', async () => {
    const files = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    const result = await build({ ...functionBundleOptions(files), outdir: 'bundles', write: false, metafile: true });
    const carriers = Object.values(result.metafile.outputs)
      .filter((output) => output.entryPoint && Object.keys(output.inputs).some((input) => WEBAUTHN_CODE.test(input)))
      .map((output) => output.entryPoint!.replace(/^functions\//, ''));
    expect(files.length).toBeGreaterThan(20);
    expect(carriers.sort()).toEqual(VERIFIERS);
  }, 120_000);
});
