import { defineConfig, type Plugin } from 'vitest/config';

/** `*.liquid` imports are the file's text, as esbuild's `text` loader bundles them for Lambda (serverless.yml). */
const liquidAsText: Plugin = {
  name: 'liquid-as-text',
  enforce: 'pre',
  transform(source, id) {
    return id.endsWith('.liquid') ? { code: `export default ${JSON.stringify(source)};`, map: null } : undefined;
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [liquidAsText],
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          setupFiles: ['test/unit/setup-env.ts'],
        },
      },
      {
        // Integration and browser tests share one local stack (real DynamoDB Local, SES emulator, serverless-offline)
        // that the global setup starts on free ports and stops afterwards.
        plugins: [liquidAsText],
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/reliability/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // Every answer from the local API is checked against docs/openapi.json.
          setupFiles: ['test/support/contract-setup.ts'],
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
