import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { DEV_JWT_SECRET } from './dev/tokens.ts';

// The suites `npm run mutation` runs against each mutant of handlers/ and lib/. Left out, for having no
// killing power over those files: e2e and soak (they run the esbuild bundle under serverless-offline, which
// Stryker's mutant switch never reaches), deploy (serverless.yml, the workflows and the packaged template)
// and browser (the API page). The integration suite runs on dynalite only: the moto run repeats the same
// tests against a second DynamoDB, which checks the emulators, not the code. Property tests run a tenth
// of their cases (PROPERTY_RUNS_SCALE), enough to reach every branch they reach in full.
// Cheapest suites first: Stryker stops a run at the first failing test, and a mutant of code that runs at
// import (the configuration's declarations, the schemas) runs the whole suite until one fails.
const SUITE_ORDER = ['tests/unit/', 'tests/contract/', 'tests/integration/', 'tests/property/'];
class CheapestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => SUITE_ORDER.findIndex((suite) => file.moduleId.includes(suite));
    return [...files].sort((a, b) => rank(a) - rank(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  test: {
    include: [
      'tests/unit/**/*.test.ts',
      'tests/integration/**/*.test.ts',
      'tests/property/**/*.test.ts',
      'tests/contract/**/*.test.ts',
    ],
    env: {
      JWT_ALGORITHMS: 'HS256',
      JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
      LOG_REQUESTS: 'false',
      AWS_REGION: 'us-east-1',
      PROPERTY_RUNS_SCALE: '0.1',
    },
    sequence: { sequencer: CheapestFirst },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
