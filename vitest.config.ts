import { defineConfig } from 'vitest/config';
import { MOTO_INSTALL_HINT, motoAvailable } from './dev/local-dynamodb.ts';
import { DEV_JWT_SECRET } from './dev/tokens.ts';

// The integration suite runs twice: on dynalite, and on moto's server, which returns the old item on a
// failed condition as DynamoDB does. Where moto is missing that second run is left out, and said so; CI
// (REQUIRE_MOTO=1) fails instead. The *concurrency.test.ts files run on dynalite
// only: moto applies concurrent UpdateItems to one item without isolation (racing increments are lost, two
// merges answered the same version), so it cannot judge atomicity.
const withMoto = motoAvailable();
if (!withMoto) {
  if (process.env.REQUIRE_MOTO === '1')
    throw new Error(`REQUIRE_MOTO=1 but moto_server is missing: ${MOTO_INSTALL_HINT}`);
  console.warn(
    `Note: the integration suite runs on dynalite only. To run it on moto too, install ${MOTO_INSTALL_HINT}.`,
  );
}

export default defineConfig({
  test: {
    reporters: ['default', './tests/support/summary-reporter.ts'],
    // The handler module builds its configuration at import, as it does at a Lambda cold start.
    env: {
      JWT_ALGORITHMS: 'HS256',
      JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
      LOG_REQUESTS: 'false',
      AWS_REGION: 'us-east-1',
    },
    projects: [
      {
        extends: true,
        test: { name: 'dynalite', include: ['tests/**/*.test.ts'], exclude: ['tests/browser/**'] },
      },
      ...(withMoto
        ? [
            {
              extends: true as const,
              test: {
                name: 'moto',
                include: ['tests/integration/**/*.test.ts'],
                exclude: ['tests/integration/*concurrency.test.ts'],
                env: { DYNAMODB_BACKEND: 'moto' },
              },
            },
          ]
        : []),
    ],
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
