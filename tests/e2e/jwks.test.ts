// A production-like identity setup over HTTP: serverless-offline with JWT_JWKS_URL pointed at a JWKS
// served on loopback by the test, RS256 and ES256 tokens, and the refusals that must hold.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../../dev/local-dynamodb.ts';
import { type RunningOffline, startOffline } from '../../dev/offline.ts';
import { loadConfig } from '../../lib/config.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { learning } from '../support/harness.ts';
import {
  AUDIENCE,
  type IdentityProvider,
  ISSUER,
  signingKey,
  startIdentityProvider,
} from '../support/identity-provider.ts';

const rsa = signingKey('rsa-1', 'RS256');
const ec = signingKey('ec-1', 'ES256');
let dynamoDb: LocalDynamoDb;
let provider: IdentityProvider;
let offline: RunningOffline;
const record = learning({ user_id: 'alice' });

beforeAll(async () => {
  dynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  const documents = createDocumentClient(
    loadConfig({ JWT_ALGORITHMS: 'HS256', JWT_VERIFICATION_KEY: 'x'.repeat(32), DYNAMODB_ENDPOINT: dynamoDb.endpoint })
      .dynamoDb,
  );
  await documents.send(new PutCommand({ TableName: 'agno_learnings', Item: record }));
  provider = await startIdentityProvider([rsa, ec]);
  offline = await startOffline({
    DYNAMODB_ENDPOINT: dynamoDb.endpoint,
    JWT_ALGORITHMS: 'RS256,ES256',
    JWT_VERIFICATION_KEY: '',
    JWT_JWKS_URL: provider.jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    LOG_REQUESTS: 'false',
  });
}, 90_000);
afterAll(async () => {
  await offline?.stop();
  await provider?.close();
  await dynamoDb?.close();
});

async function patch(token: string) {
  const response = await fetch(`${offline.baseUrl}/learnings/${record.learning_id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ content: { signedWith: 'jwks' } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('JWKS over HTTP', () => {
  it('accepts RS256 and ES256 tokens from the identity provider', async () => {
    expect((await patch(await provider.sign(rsa))).status).toBe(200);
    expect((await patch(await provider.sign(ec))).status).toBe(200);
  });

  it('refuses key confusion, a wrong issuer, a wrong audience and a key the provider never published', async () => {
    const forged = await new SignJWT({
      sub: 'alice',
      scopes: ['learnings:write'],
      iss: ISSUER,
      aud: AUDIENCE,
      exp: Math.floor(Date.now() / 1000) + 60,
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()));
    const refusals = [
      forged,
      await provider.sign(rsa, { iss: 'https://evil.test' }),
      await provider.sign(ec, { aud: 'someone-else' }),
      await provider.sign(signingKey('rsa-1', 'RS256')),
    ];
    for (const token of refusals) {
      const answer = await patch(token);
      expect(answer.status).toBe(401);
      expect(answer.body.error_code).toBe('UNAUTHENTICATED');
    }
  });
});
