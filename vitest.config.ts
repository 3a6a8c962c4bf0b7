import { defineConfig } from 'vitest/config';
import { DEV_JWT_SECRET } from './scripts/tokens.ts';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    reporters: ['default', './tests/support/summary-reporter.ts'],
    // The handler module builds its configuration at import, as it does at a Lambda cold start.
    env: {
      JWT_ALGORITHMS: 'HS256',
      JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
      LOG_REQUESTS: 'false',
      AWS_REGION: 'us-east-1',
    },
    coverage: {
      provider: 'v8',
      include: ['handlers/**/*.ts', 'lib/**/*.ts'],
      // json-summary only, so that the run still ends with the 'N passed, N failed' line CI reads;
      // npm run coverage adds the text table.
      reporter: ['json-summary'],
      reportsDirectory: 'coverage',
      thresholds: { lines: 95, branches: 95 },
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
