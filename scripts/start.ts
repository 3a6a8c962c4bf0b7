// `npm start`: the API on localhost over an embedded DynamoDB, ready to curl, and its API page to try it
// from a browser (dev/local-stack.ts). Prints curl commands with demo tokens. Ctrl-C stops everything.
import { startLocalStack } from '../dev/local-stack.ts';
import { DEV_JWT_SECRET } from '../dev/tokens.ts';

const stack = await startLocalStack({
  port: Number(process.env.PORT ?? 3000),
  docsPort: Number(process.env.DOCS_PORT ?? 3001),
  // A fixed port, so that `npm run invoke` and other tools find it.
  dynalite: { path: '.local-data/dynamodb', port: Number(process.env.DYNALITE_PORT ?? 8000) },
  env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  output: (chunk) => process.stdout.write(chunk),
}).catch((error: Error) => {
  // What failed (a taken port, a bad setting) in one line; the failed start has stopped what it started.
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});

const { apiUrl, docsUrl, tokens } = stack;
const curl = (token: string, id: string, body: string) =>
  `curl -i -X PATCH ${apiUrl}/learnings/${id} -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '${body}'`;
console.log(`
Update Learning is running on ${apiUrl} (DynamoDB: ${stack.dynamoDbEndpoint}).
API page, to try it from a browser: ${docsUrl}`);
if (tokens === undefined) {
  // Tokens come from the configured identity provider: nothing to sign here.
  console.log(`Tokens are verified as configured.\n  ${curl('$TOKEN', 'lrn_alice_profile', '{"metadata":null}')}`);
} else {
  console.log(`${stack.devSecret ? `Tokens are HS256, signed with the development secret: ${DEV_JWT_SECRET}\n` : ''}Demo tokens (1 hour; more with: npm run token -- --sub alice [--admin]):
  ALICE=${tokens.alice}
  BOB=${tokens.bob}
  ADMIN=${tokens.admin}

Alice updates her own profile (200):
  ${curl(tokens.alice ?? '', 'lrn_alice_profile', '{"content":{"name":"Alice","preferences":{"language":"fr"}}}')}
Bob tries Alice's record (404: existence is not revealed):
  ${curl(tokens.bob ?? '', 'lrn_alice_profile', '{"metadata":null}')}
Alice tries the shared record (403: no owner, admins only):
  ${curl(tokens.alice ?? '', 'lrn_shared_entity', '{"content":{"facts":[]}}')}
The admin updates it (200):
  ${curl(tokens.admin ?? '', 'lrn_shared_entity', '{"metadata":{"reviewed":true}}')}`);
}
console.log('\nCtrl-C stops everything.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
