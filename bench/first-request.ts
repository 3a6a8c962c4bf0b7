// The first-request figure of `npm run bench`: what a new container's first caller waits for. The code each
// fresh process runs (a module given to `node -e`), and the record and environment they share.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { exportJWK, SignJWT } from 'jose';
import { lambdaContext } from '../dev/events.ts';
import { ensureLearningsTable, localClient } from '../dev/local-dynamodb.ts';
import { signToken } from '../dev/tokens.ts';
import { BENCH_ENV, ownerEvent, SECRET, TABLE, UPDATE } from './common.ts';

const LEARNING_ID = 'lrn_first_request';

/** Seeds the record both first calls update; the environment of every fresh process. */
export async function firstRequestSetup(endpoint: string): Promise<Record<string, string>> {
  const setup = localClient(endpoint);
  await ensureLearningsTable(setup, TABLE);
  await setup.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({ learning_id: LEARNING_ID, user_id: 'alice', ...UPDATE, created_at: 1, updated_at: 1 }),
    }),
  );
  const event = ownerEvent(await signToken({ sub: 'alice', secret: SECRET }), LEARNING_ID);
  const context = { ...lambdaContext(), getRemainingTimeInMillis: undefined };
  return {
    ...(process.env as Record<string, string>),
    ...BENCH_ENV,
    DYNAMODB_ENDPOINT: endpoint,
    // The SDK-only floor's client reads its endpoint from here.
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    FIRST_REQUEST_EVENT: JSON.stringify(event),
    FIRST_REQUEST_CONTEXT: JSON.stringify(context),
    FIRST_REQUEST_UPDATE: JSON.stringify({ learningId: LEARNING_ID, ...UPDATE }),
  };
}

/**
 * The first request with an identity provider's key set (RS256): served over HTTP by a local JWKS endpoint
 * that answers after `delayMs` (fetched from init on, as deployed), and the same keys from a JWKS file (at
 * hand from the start: what the best prefetch could give). Each returns the environment of a fresh process.
 */
export async function jwksFirstRequestSetup(
  env: Record<string, string>,
  jwksFile: string,
  delayMs: number,
): Promise<{ fromUrl: Record<string, string>; fromFile: Record<string, string>; close(): void }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }] });
  writeFileSync(jwksFile, jwks);
  const server = createServer((_request, response) => {
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(jwks), delayMs);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: 'alice', scopes: ['learnings:write'], iat: now, exp: now + 3600 })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .sign(privateKey);
  const { JWT_VERIFICATION_KEY: _secret, ...common } = env;
  const withToken = {
    ...common,
    JWT_ALGORITHMS: 'RS256',
    FIRST_REQUEST_EVENT: JSON.stringify(ownerEvent(token, LEARNING_ID)),
  };
  return {
    fromUrl: { ...withToken, JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` },
    fromFile: { ...withToken, JWT_JWKS_FILE: jwksFile },
    close: () => server.close(),
  };
}

// The clock starts before the import: a Lambda container's first caller waits for the init and the first
// invocation. The timing goes to stderr (stdout has the handler's log line).
export const FIRST_REQUEST_HANDLER = (bundle: string) => `
const t = performance.now();
const { handler } = await import(${JSON.stringify(bundle)});
const context = { ...JSON.parse(process.env.FIRST_REQUEST_CONTEXT), getRemainingTimeInMillis: () => 10000 };
const result = await handler(JSON.parse(process.env.FIRST_REQUEST_EVENT), context);
if (result.statusCode !== 200) throw new Error('first request answered ' + result.statusCode);
process.stderr.write('FIRST=' + (performance.now() - t));
// The log line is written after the answer, as in Lambda, off the first caller's clock: let it out.
setImmediate(() => process.exit(0));
`;

export const FIRST_REQUEST_FLOOR = (bundle: string) => `
const t = performance.now();
const { client, UpdateCommand } = await import(${JSON.stringify(bundle)});
const { learningId, content, metadata } = JSON.parse(process.env.FIRST_REQUEST_UPDATE);
await client.send(new UpdateCommand({
  TableName: 'agno_learnings',
  Key: { learning_id: learningId },
  UpdateExpression: 'SET #content = :content, #metadata = :metadata, #updated_at = :now',
  ConditionExpression: '#user_id = :caller',
  ExpressionAttributeNames: { '#content': 'content', '#metadata': 'metadata', '#updated_at': 'updated_at', '#user_id': 'user_id' },
  ExpressionAttributeValues: { ':content': content, ':metadata': metadata, ':now': 2, ':caller': 'alice' },
  ReturnValues: 'ALL_NEW',
}));
process.stderr.write('FIRST=' + (performance.now() - t));
process.exit(0);
`;
