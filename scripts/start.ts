// `npm start`: the API on localhost over an embedded DynamoDB, ready to curl.
// Starts dynalite (unless DYNAMODB_ENDPOINT is set), creates the tables, seeds demo learnings, runs
// serverless-offline with the real serverless.yml, and prints curl commands with demo tokens.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { seedDemoLearnings } from '../dev/demo-data.ts';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../dev/local-dynamodb.ts';
import { ADMIN_SCOPE, DEV_JWT_SECRET, signToken, WRITE_SCOPE } from '../dev/tokens.ts';
import { loadConfig, namesKeySource } from '../lib/config.ts';

const env: Record<string, string | undefined> = {
  ...process.env,
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  PORT: process.env.PORT ?? '3000',
};
// Local mode signs and verifies with a development HS256 secret unless a key source is configured.
if (!namesKeySource(env)) {
  env.JWT_ALGORITHMS = 'HS256';
  env.JWT_VERIFICATION_KEY = DEV_JWT_SECRET;
}

let dynamoDb: LocalDynamoDb | undefined;
if (env.DYNAMODB_ENDPOINT === undefined) {
  mkdirSync('.local-data', { recursive: true });
  // A fixed port, so that `npm run invoke` and other tools find it.
  dynamoDb = await startDynalite({ path: '.local-data/dynamodb', port: Number(process.env.DYNALITE_PORT ?? 8000) });
  env.DYNAMODB_ENDPOINT = dynamoDb.endpoint;
}
const config = loadConfig(env);
const client = localClient(env.DYNAMODB_ENDPOINT);
for (const table of new Set([config.defaultTable, ...[...config.databases.values()].flat()])) {
  await ensureLearningsTable(client, table);
}
await seedDemoLearnings(client, config.defaultTable);

const offline = spawn('sls', ['offline', 'start', '--stage', 'local'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
offline.stdout.pipe(process.stdout);
offline.stderr.pipe(process.stderr);
let ready = false;
const onOutput = (chunk: Buffer) => {
  if (ready || !chunk.toString().includes('Server ready')) return;
  ready = true;
  void printWelcome(`http://localhost:${env.PORT}`);
};
offline.stdout.on('data', onOutput);
offline.stderr.on('data', onOutput);

async function printWelcome(baseUrl: string): Promise<void> {
  const { keySource } = config.jwt;
  if (keySource.kind !== 'secret') {
    // Tokens come from the configured identity provider: nothing to sign here.
    console.log(`\nUpdate Learning is running on ${baseUrl} (DynamoDB: ${env.DYNAMODB_ENDPOINT}), verifying tokens as configured.
  curl -i -X PATCH ${baseUrl}/learnings/lrn_alice_profile -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"metadata":null}'
Ctrl-C stops everything.`);
    return;
  }
  const secret = new TextDecoder().decode(keySource.secret);
  const devSecret = secret === DEV_JWT_SECRET;
  const header = { alg: config.jwt.algorithms[0] };
  const alice = await signToken({ sub: 'alice', scopes: [WRITE_SCOPE], secret, header });
  const bob = await signToken({ sub: 'bob', scopes: [WRITE_SCOPE], secret, header });
  const admin = await signToken({ sub: 'admin', scopes: [WRITE_SCOPE, ADMIN_SCOPE], secret, header });
  const curl = (token: string, id: string, body: string) =>
    `curl -i -X PATCH ${baseUrl}/learnings/${id} -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '${body}'`;
  console.log(`
Update Learning is running on ${baseUrl} (DynamoDB: ${env.DYNAMODB_ENDPOINT}).
${devSecret ? `Tokens are HS256, signed with the development secret: ${DEV_JWT_SECRET}\n` : ''}Demo tokens (1 hour; more with: npm run token -- --sub alice [--admin]):
  ALICE=${alice}
  BOB=${bob}
  ADMIN=${admin}

Alice updates her own profile (200):
  ${curl(alice, 'lrn_alice_profile', '{"content":{"name":"Alice","preferences":{"language":"fr"}}}')}
Bob tries Alice's record (404: existence is not revealed):
  ${curl(bob, 'lrn_alice_profile', '{"metadata":null}')}
Alice tries the shared record (403: no owner, admins only):
  ${curl(alice, 'lrn_shared_entity', '{"content":{"facts":[]}}')}
The admin updates it (200):
  ${curl(admin, 'lrn_shared_entity', '{"metadata":{"reviewed":true}}')}

Ctrl-C stops everything.`);
}

const stop = async () => {
  offline.kill('SIGINT');
  await dynamoDb?.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
offline.on('exit', async (code) => {
  await dynamoDb?.close();
  process.exit(code ?? 0);
});
