// Keys from an identity provider's JWKS: served on loopback by the test, with RS256 and ES256 keys,
// rotation, an endpoint that goes down, and the refusals that must hold whatever the key source.
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeJwt, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpEvent, lambdaContext } from '../../dev/events.ts';
import { flattenLikeApiGateway } from '../support/api-gateway-claims.ts';
import { type Harness, learning, startHarness, TEST_ENV } from '../support/harness.ts';
import {
  AUDIENCE,
  type IdentityProvider,
  ISSUER,
  signingKey,
  startIdentityProvider,
  TLS_CERTIFICATE,
} from '../support/identity-provider.ts';

const rsa = signingKey('rsa-1', 'RS256');
const ec = signingKey('ec-1', 'ES256');
let harness: Harness;
let provider: IdentityProvider;
let id: string;

const jwksEnv = (overrides: Record<string, string> = {}) => ({
  JWT_VERIFICATION_KEY: '',
  JWT_ALGORITHMS: 'RS256,ES256',
  JWT_JWKS_URL: provider.jwksUrl,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  ...overrides,
});

beforeAll(async () => {
  harness = await startHarness();
  provider = await startIdentityProvider([rsa, ec]);
});
afterAll(async () => {
  await provider.close();
  await harness.close();
});
beforeEach(async () => {
  provider.published = [rsa, ec];
  provider.answer = 'keys';
  provider.status = 200;
  provider.redirect = false;
  provider.fetches = 0;
  const record = learning({ user_id: 'alice' });
  id = String(record.learning_id);
  await harness.put(record);
});

const update = (target: Harness, token: string) =>
  target.invoke({ learningId: id, token, body: { content: { via: 'jwks' } } });

describe('a remote JWKS', () => {
  it('is fetched when the handler is built (at init), so the first token waits for no fetch', async () => {
    const service = harness.withEnv(jwksEnv());
    await expect.poll(() => provider.fetches).toBe(1);
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
    expect(provider.fetches).toBe(1);
  });

  it('a fetch at init that fails leaves the first token to fetch the keys, as it would without one', async () => {
    provider.answer = 'down';
    const service = harness.withEnv(jwksEnv());
    await expect.poll(() => provider.fetches).toBe(1);
    provider.answer = 'keys';
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
    expect(provider.fetches).toBe(2);
  });

  it('takes a key set only from a 200 answer: another status is the provider out of reach (503)', async () => {
    provider.status = 203;
    const service = harness.withEnv(jwksEnv());
    const answer = await update(service, await provider.sign(rsa));
    expect(answer.status).toBe(503);
    expect(answer.body.error_code).toBe('SERVICE_UNAVAILABLE');
  });

  it('never follows a redirect: keys come from the configured URL only (503 otherwise)', async () => {
    provider.redirect = true;
    const service = harness.withEnv(jwksEnv());
    expect((await update(service, await provider.sign(rsa))).status).toBe(503);
    expect(provider.fetches).toBeGreaterThan(0);
  });

  it('gives up on an endpoint that stops answering at its deadline: 503, not a hung request, and its connection closed', async () => {
    provider.answer = 'hang';
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_TIMEOUT_MS: '300' }));
    const started = performance.now();
    const answer = await update(service, await provider.sign(rsa));
    expect(answer.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2000);
    await expect.poll(() => provider.hanging).toBe(0);
  });

  it.each([
    ['closes the connection halfway through the key set', 'cut'],
    ['answers 200 with something that is not JSON', 'not-json'],
  ] as const)('an endpoint that %s: 503 at once, well before the deadline', async (_name, mode) => {
    provider.answer = mode;
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_TIMEOUT_MS: '10000' }));
    const started = performance.now();
    expect((await update(service, await provider.sign(rsa))).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('an endpoint nobody listens on: 503', async () => {
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json' }));
    expect((await update(service, await provider.sign(rsa))).status).toBe(503);
  });

  it('an https URL is fetched over TLS, the certificate checked: a trusted endpoint serves the keys, an untrusted one is refused', async () => {
    const secure = await startIdentityProvider([rsa, ec], { tls: true });
    const env = jwksEnv({ JWT_JWKS_URL: secure.jwksUrl });
    try {
      // Its certificate is self-signed: until trusted, the fetch fails its check.
      expect((await update(harness.withEnv(env), await secure.sign(rsa))).status).toBe(503);
      https.globalAgent.options.ca = TLS_CERTIFICATE;
      expect((await update(harness.withEnv(env), await secure.sign(rsa))).status).toBe(200);
      // The same endpoint behind an http URL is not spoken to in plain text either.
      const plain = jwksEnv({ JWT_JWKS_URL: secure.jwksUrl.replace('https:', 'http:') });
      expect((await update(harness.withEnv(plain), await secure.sign(rsa))).status).toBe(503);
    } finally {
      delete https.globalAgent.options.ca;
      await secure.close();
    }
  });

  it('refuses a key set over a mebibyte: 503, nothing of it kept', async () => {
    provider.answer = 'oversize';
    const service = harness.withEnv(jwksEnv());
    expect((await update(service, await provider.sign(rsa))).status).toBe(503);
    provider.answer = 'keys';
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
  });

  it("the deployable module finishes loading only once the key set is in: Lambda's init waits for it, no request does", async () => {
    provider.held = true;
    const environment = { ...process.env };
    Object.assign(process.env, TEST_ENV, jwksEnv(), {
      DYNAMODB_ENDPOINT: String(harness.config.dynamoDb.endpoint),
      JWT_VERIFICATION_KEY: '',
      LOG_REQUESTS: 'none',
    });
    vi.resetModules();
    try {
      const loading = import('../../handlers/update-learning.ts');
      await expect.poll(() => provider.fetches).toBe(1);
      const waiting = new Promise((resolve) => setTimeout(() => resolve('still loading'), 200));
      expect(await Promise.race([loading.then(() => 'loaded'), waiting])).toBe('still loading');
      provider.release();
      const { handler } = await loading;
      const answer = (await handler(
        httpEvent({ learningId: id, token: await provider.sign(rsa), body: { content: { via: 'init' } } }),
        lambdaContext(),
      )) as APIGatewayProxyStructuredResultV2;
      expect(answer.statusCode).toBe(200);
      expect(provider.fetches).toBe(1);
    } finally {
      process.env = environment;
      provider.held = false;
      provider.release();
    }
  });

  it('refreshes stale keys in the background at most once per cool-down, and keeps them while the provider is down', async () => {
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_CACHE_SECONDS: '0', JWT_JWKS_COOLDOWN_SECONDS: '30' }));
    await expect.poll(() => provider.fetches).toBe(1);
    provider.answer = 'down';
    for (let request = 0; request < 4; request++) {
      expect((await update(service, await provider.sign(rsa))).status).toBe(200);
    }
    expect(provider.fetches).toBe(1);
  });

  it('verifies RS256 and ES256 tokens, fetching the key set once', async () => {
    const service = harness.withEnv(jwksEnv());
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
    expect((await update(service, await provider.sign(ec))).status).toBe(200);
    expect(provider.fetches).toBe(1);
  });

  it('follows a key rotation: an unknown kid refetches the set', async () => {
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_COOLDOWN_SECONDS: '0' }));
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
    const rotated = signingKey('rsa-2', 'RS256');
    provider.published = [rotated];
    expect((await update(service, await provider.sign(rotated))).status).toBe(200);
    expect(provider.fetches).toBe(2);
  });

  it('refetches on unknown kids at most once per cool-down: a flood of forged kids cannot hammer the provider', async () => {
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_COOLDOWN_SECONDS: '60' }));
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
    const stranger = signingKey('unknown', 'RS256');
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await update(service, await provider.sign(stranger));
      expect(answer.status).toBe(401);
      expect(answer.body.detail).toBe('Invalid token');
    }
    expect(provider.fetches).toBe(1);
  });

  it('keeps verifying with cached keys when the endpoint goes down, even past the cache age', async () => {
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_CACHE_SECONDS: '0', JWT_JWKS_COOLDOWN_SECONDS: '0' }));
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
    provider.answer = 'down';
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await update(service, await provider.sign(rsa))).status).toBe(200);
      expect((await update(service, await provider.sign(ec))).status).toBe(200);
    }
    expect(provider.fetches).toBeGreaterThan(1);
  });

  it('answers 503 while the key set has never been fetched, and recovers when the endpoint does', async () => {
    const service = harness.withEnv(jwksEnv());
    provider.answer = 'down';
    const answer = await update(service, await provider.sign(rsa));
    expect(answer.status).toBe(503);
    expect(answer.body.error_code).toBe('SERVICE_UNAVAILABLE');
    expect(answer.headers['Retry-After']).toBe('1');
    provider.answer = 'keys';
    expect((await update(service, await provider.sign(rsa))).status).toBe(200);
  });

  it('answers 503 when the endpoint serves something that is not a key set', async () => {
    const service = harness.withEnv(jwksEnv());
    provider.answer = 'garbage';
    try {
      expect((await update(service, await provider.sign(rsa))).status).toBe(503);
    } finally {
      provider.answer = 'keys';
    }
  });

  it('refuses an HS256 token signed with the RSA public key as its secret (key confusion)', async () => {
    const service = harness.withEnv(jwksEnv());
    const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const jwk = JSON.stringify(await exportJWK(rsa.publicKey));
    for (const secret of [publicPem, jwk]) {
      const forged = await new SignJWT({
        sub: 'alice',
        scopes: ['learnings:write'],
        iss: ISSUER,
        aud: AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 60,
      })
        .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
        .sign(new TextEncoder().encode(secret));
      const answer = await update(service, forged);
      expect(answer.status).toBe(401);
    }
  });

  it('refuses a wrong issuer or audience, and a token without them', async () => {
    const service = harness.withEnv(jwksEnv());
    for (const claims of [{ iss: 'https://evil.test' }, { aud: 'other-api' }, { iss: undefined }, { aud: undefined }]) {
      expect((await update(service, await provider.sign(rsa, claims))).status).toBe(401);
    }
  });
});

describe('a local JWKS file', () => {
  it('verifies tokens signed with its keys and refuses others', async () => {
    const file = join(tmpdir(), `jwks-${process.pid}.json`);
    await writeFile(
      file,
      JSON.stringify({ keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' }] }),
    );
    const service = harness.withEnv(jwksEnv({ JWT_JWKS_URL: '', JWT_JWKS_FILE: file, JWT_ALGORITHMS: 'ES256' }));
    expect((await update(service, await provider.sign(ec))).status).toBe(200);
    expect((await update(service, await provider.sign(rsa))).status).toBe(401);
    expect(provider.fetches).toBe(0);
  });
});

describe("API Gateway's JWT authorizer in front (JWT_CLAIMS_FROM_API_GATEWAY=true)", () => {
  const trusting = (env: Record<string, string> = {}) =>
    harness.withEnv({ JWT_VERIFICATION_KEY: '', JWT_CLAIMS_FROM_API_GATEWAY: 'true', ...env });
  // What a request through the authorizer carries: the token it verified, and its claims as it flattens them.
  const through = async (service: Harness, claims: Record<string, unknown>, learningId = id) => {
    const token = await provider.sign(rsa, claims);
    return service.invoke({
      learningId,
      token,
      authorizerClaims: flattenLikeApiGateway(decodeJwt(token)),
      body: { content: { via: 'authorizer' } },
    });
  };

  it('takes the caller from the verified token: owner 200, stranger 404, admin 200, no scope 403', async () => {
    const service = trusting();
    expect((await through(service, { sub: 'alice' })).status).toBe(200);
    expect((await through(service, { sub: 'bob' })).status).toBe(404);
    expect((await through(service, { sub: 'root', scopes: ['openid', 'agent_os:admin'] })).status).toBe(200);
    expect((await through(service, { sub: 'alice', scopes: ['openid'] })).status).toBe(403);
  });

  it('reads the lists and nested claims the authorizer flattens: arrays, dotted paths, values with spaces', async () => {
    const service = trusting({ JWT_SCOPES_CLAIM: 'scope,realm_access.roles,cognito:groups' });
    const bobs = learning({ user_id: 'bob' });
    await harness.put(bobs);
    const nested = { sub: 'root', scopes: undefined, realm_access: { roles: ['offline_access', 'agent_os:admin'] } };
    expect(flattenLikeApiGateway(nested).realm_access).toBe('map[roles:[offline_access agent_os:admin]]');
    expect((await through(service, nested, String(bobs.learning_id))).status).toBe(200);
    const spaced = trusting({ JWT_SCOPES_CLAIM: 'cognito:groups', ADMIN_SCOPE: 'Learning Admins' });
    const groups = { sub: 'root', scopes: undefined, 'cognito:groups': ['Learning Admins'] };
    expect(flattenLikeApiGateway(groups)['cognito:groups']).toBe('[Learning Admins]');
    expect((await through(spaced, groups, String(bobs.learning_id))).status).toBe(200);
    const notAdmins = { sub: 'root', scopes: undefined, 'cognito:groups': ['Learning', 'Admins'] };
    expect((await through(spaced, notAdmins, String(bobs.learning_id))).status).toBe(403);
  });

  it.each([
    ['sub', { sub: 'mallory' }],
    ['iss', { iss: 'https://elsewhere.test' }],
    ['exp', { exp: 1 }],
  ])('is 401 when the header token and the authorizer disagree on %s', async (_claim, authorizerOverride) => {
    const token = await provider.sign(rsa);
    const answer = await trusting().invoke({
      learningId: id,
      token,
      authorizerClaims: { ...flattenLikeApiGateway(decodeJwt(token)), ...flattenLikeApiGateway(authorizerOverride) },
      body: { content: {} },
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ detail: 'Invalid token', error_code: 'UNAUTHENTICATED' });
  });

  it('is 401 when the header holds no JWT, or no bearer token at all', async () => {
    const claims = flattenLikeApiGateway({ sub: 'alice', iss: ISSUER, exp: 9_999_999_999 });
    const garbled = await trusting().invoke({ learningId: id, token: 'not.a.jwt', authorizerClaims: claims, body: {} });
    expect(garbled.body).toEqual({ detail: 'Invalid token', error_code: 'UNAUTHENTICATED' });
    const headerless = await trusting().invoke({ learningId: id, authorizerClaims: claims, body: {} });
    expect(headerless.body).toEqual({ detail: 'Authorization header missing', error_code: 'UNAUTHENTICATED' });
  });

  it('refuses an ID token the authorizer let through (its audience is the app client)', async () => {
    const answer = await through(trusting(), { sub: 'alice', token_use: 'id' });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ detail: 'Token is not an access token', error_code: 'UNAUTHENTICATED' });
  });

  it.each([
    ['a Lambda authorizer', { lambda: { sub: 'alice' } }],
    ['IAM', { iam: { userId: 'alice' } }],
  ])(
    "is 401 when the authorizer in front is not a JWT authorizer (%s): its context holds no 'jwt'",
    async (_name, authorizer) => {
      const event = httpEvent({ learningId: id, body: { content: {} } });
      (event.requestContext as unknown as { authorizer: unknown }).authorizer = authorizer;
      const answer = await trusting().invokeEvent(event);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ detail: 'Authorization header missing', error_code: 'UNAUTHENTICATED' });
    },
  );

  it('is 401 without authorizer claims or without a user id; a bearer header alone is not trusted', async () => {
    const service = trusting();
    const token = await provider.sign(rsa);
    expect((await service.invoke({ learningId: id, token, body: { content: {} } })).status).toBe(401);
    expect((await through(service, { sub: undefined })).body).toEqual({
      detail: 'Token has no user id',
      error_code: 'UNAUTHENTICATED',
    });
  });

  it('is never the default: without the setting, authorizer claims are ignored and the token is verified', async () => {
    const answer = await harness.invoke({
      learningId: id,
      authorizerClaims: { sub: 'alice', scopes: '[learnings:write]' },
      body: { content: {} },
    });
    expect(answer.status).toBe(401);
  });
});
