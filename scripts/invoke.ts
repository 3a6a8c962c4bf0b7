// `npm run invoke -- events/owner-update.json`: runs one sample event through the bundled handler with
// `sls invoke local`, against the DynamoDB `npm start` runs (or DYNAMODB_ENDPOINT).
import { spawnSync } from 'node:child_process';
import { DEV_JWT_SECRET } from '../dev/tokens.ts';

const eventPath = process.argv[2];
if (eventPath === undefined) {
  console.error('usage: npm run invoke -- events/<name>.json   (with `npm start` running)');
  process.exit(2);
}
const result = spawnSync(
  'node_modules/.bin/sls',
  ['invoke', 'local', '--stage', 'local', '--function', 'updateLearning', '--path', eventPath],
  {
    stdio: 'inherit',
    env: {
      JWT_ALGORITHMS: 'HS256',
      JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${process.env.DYNALITE_PORT ?? 8000}`,
      ...process.env,
      // A build folder of its own: a .js bundle left in the packaging folder would end up in the artifact.
      ESBUILD_WORK_FOLDER: '.esbuild-invoke',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
  },
);
process.exit(result.status ?? 1);
