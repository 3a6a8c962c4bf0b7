// The tests Stryker runs against each mutant of handlers/ and lib/ (npm run mutation): unit, integration
// (on dynalite), property and contract. Left out, adding no killing power: e2e and the soak (they run the
// esbuild bundle through serverless-offline, not the mutated sources), deploy (the packaged template),
// the soak checker (dev/ only), and the integration suite's moto run (the same tests again).
import { defineConfig } from 'vitest/config';
import { DEV_JWT_SECRET } from './dev/tokens.ts';

export default defineConfig({
  test: {
    include: ['tests/{unit,integration,property,contract}/**/*.test.ts'],
    env: {
      JWT_ALGORITHMS: 'HS256',
      JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
      LOG_REQUESTS: 'false',
      AWS_REGION: 'us-east-1',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
