// `npm run package`: the production artifact and CloudFormation template, with no AWS credentials,
// then the size of the single bundled file that Lambda runs.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { zipEntries } from '../dev/zip.ts';

const stage = process.argv[2] ?? 'prod';
// serverless-esbuild zips whatever its build folder holds: start from an empty one.
rmSync('.esbuild', { recursive: true, force: true });
execFileSync('node_modules/.bin/sls', ['package', '--stage', stage], {
  stdio: 'inherit',
  env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
});
for (const entry of zipEntries(readFileSync('.serverless/updateLearning.zip'))) {
  console.log(
    `artifact: .serverless/updateLearning.zip → ${entry.name}: ${entry.size} bytes (${(entry.size / 1024).toFixed(1)} KiB), zipped ${entry.compressedSize} bytes`,
  );
}
