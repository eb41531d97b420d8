import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The closing "N passed, N failed" line lets CI tell a run that tested something from one that did not.
    reporters: ['default', './test/support/summary-reporter.ts'],
    // POWERTOOLS_LOG_LEVEL: the handlers' JSON logs (a refused webhook is an INFO line) only from errors up in tests.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/infra/**'] },
      },
      {
        extends: true,
        // The infra tests share one module graph per worker: aws-cdk-lib loads once, and the synthesized cs-pulse
        // app of test/infra/support/cdk-app.ts is built once and read by every file that needs the default stack.
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          isolate: false,
          setupFiles: ['./test/infra/support/cleanup.ts'],
        },
      },
    ],
  },
});
