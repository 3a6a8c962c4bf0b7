// Each recipe of docs/identity-providers.md, end to end: serverless-offline configured as the recipe says,
// keys from a JWKS on loopback, and tokens in the shape that provider documents — owner, stranger, admin,
// a caller without the write scope, a token for another audience, and the provider's own special cases.
import { readFileSync } from 'node:fs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../../dev/local-dynamodb.ts';
import { type RunningOffline, startOffline } from '../../dev/offline.ts';
import { DOCUMENTATION } from '../../lib/config/documentation.ts';
import { loadConfig } from '../../lib/config.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { learning } from '../support/harness.ts';
import { type IdentityProvider, signingKey, startIdentityProvider } from '../support/identity-provider.ts';
import { PROVIDERS, type ProviderRecipe } from '../support/providers.ts';

const key = signingKey('provider-key-1', 'RS256');
let dynamoDb: LocalDynamoDb;
let jwks: IdentityProvider;

beforeAll(async () => {
  dynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  jwks = await startIdentityProvider([key]);
}, 60_000);
afterAll(async () => {
  await jwks?.close();
  await dynamoDb?.close();
});

/**
 * serverless-offline run as `recipe` says (with `env()`, read once the JWKS runs, on top), over a record the recipe's owner owns; the
 * returned patch sends a token with those claims to it.
 */
function serveRecipe(recipe: ProviderRecipe, env: () => Record<string, string>) {
  let offline: RunningOffline;
  const record = learning({ user_id: recipe.owner.userId });
  beforeAll(async () => {
    const documents = createDocumentClient(
      loadConfig({
        JWT_ALGORITHMS: 'HS256',
        JWT_VERIFICATION_KEY: 'x'.repeat(32),
        DYNAMODB_ENDPOINT: dynamoDb.endpoint,
      }).dynamoDb,
    );
    await documents.send(new PutCommand({ TableName: 'agno_learnings', Item: record }));
    offline = await startOffline({
      DYNAMODB_ENDPOINT: dynamoDb.endpoint,
      JWT_VERIFICATION_KEY: '',
      LOG_REQUESTS: 'false',
      ...recipe.env,
      ...env(),
    });
  }, 90_000);
  afterAll(() => offline?.stop());
  return async (claims: Record<string, unknown>) => {
    const response = await fetch(`${offline.baseUrl}/learnings/${record.learning_id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await jwks.sign(key, claims)}` },
      body: JSON.stringify({ content: { by: claims.sub ?? null } }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

describe.each(PROVIDERS)('$name', (recipe) => {
  const patch = serveRecipe(recipe, () => ({ JWT_ALGORITHMS: 'RS256', JWT_JWKS_URL: jwks.jwksUrl }));

  it('owner 200, stranger 404, admin 200 on the owner’s record; no write scope 403; another audience 401', async () => {
    const owner = await patch(recipe.owner.claims);
    expect(owner.status).toBe(200);
    expect(owner.body.user_id).toBe(recipe.owner.userId);
    expect((await patch(recipe.stranger.claims)).status).toBe(404);
    expect((await patch(recipe.admin.claims)).status).toBe(200);
    expect(await patch(recipe.noScope.claims)).toMatchObject({ status: 403, body: { error_code: 'FORBIDDEN' } });
    expect(await patch(recipe.wrongAudience)).toMatchObject({
      status: 401,
      body: { detail: 'Invalid token', error_code: 'UNAUTHENTICATED' },
    });
  });

  it.runIf(recipe.more.length > 0).each(recipe.more)('$name: $status', async ({ claims, status }) => {
    expect((await patch(claims)).status).toBe(status);
  });

  // The issuer and the audience are the stage's SSM parameters, given there with placeholders.
  it('docs/identity-providers.md gives exactly these claim and scope settings as serverless.yml params', () => {
    const docs = readFileSync('docs/identity-providers.md', 'utf8');
    const section = docs.split('\n## ').find((part) => part.startsWith(recipe.name));
    expect(section, `no "## ${recipe.name}" section`).toBeDefined();
    for (const [variable, value] of Object.entries(recipe.env)) {
      if (variable === 'JWT_ISSUER' || variable === 'JWT_AUDIENCE') continue;
      const { param } = DOCUMENTATION[variable as keyof typeof DOCUMENTATION];
      expect(section).toContain(`--param="${param}=${value}"`);
    }
  });
});

// The same recipes with API Gateway's JWT authorizer in front (claimsFromApiGateway=true), through
// serverless-offline's emulation of it. The emulation checks issuer, audience (or client_id) and expiry
// but not the signature, and hands the function the decoded claims unflattened; how API Gateway itself
// flattens them is what tests/integration/jwks.test.ts sends.
describe.each(PROVIDERS.filter(({ name }) => name === 'Cognito' || name === 'Keycloak'))(
  "$name behind API Gateway's JWT authorizer (serverless-offline's emulation)",
  (recipe) => {
    // RS256, the provider key's algorithm: the authorizer verifies RSA signatures only, and packaging refuses
    // another algorithm in this mode (the suite's own environment sets HS256).
    const send = serveRecipe(recipe, () => ({ JWT_CLAIMS_FROM_API_GATEWAY: 'true', JWT_ALGORITHMS: 'RS256' }));
    const patch = async (claims: Record<string, unknown>) => (await send(claims)).status;

    it('owner 200, stranger 404, admin 200, no write scope 403; the authorizer refuses another audience', async () => {
      expect(await patch(recipe.owner.claims)).toBe(200);
      expect(await patch(recipe.stranger.claims)).toBe(404);
      expect(await patch(recipe.admin.claims)).toBe(200);
      expect(await patch(recipe.noScope.claims)).toBe(403);
      expect(await patch(recipe.wrongAudience)).toBe(401);
      for (const { claims, status } of recipe.more) expect(await patch(claims)).toBe(status);
    });
  },
);
