// npm run test:browser: the browser test (tests/browser/), which needs Chromium (/usr/bin/chromium, or
// CHROMIUM_PATH): `apt-get install chromium` on Debian.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    reporters: ['default', './tests/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
