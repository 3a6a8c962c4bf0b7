// Tokens are real signed JWTs verified by jose. Every refusal is a 401 with WWW-Authenticate: Bearer,
// a short stable detail, no database call, and the record unchanged.
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestSpec } from '../../dev/events.ts';
import { signToken } from '../../dev/tokens.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';

let harness: Harness;
let record: Record<string, unknown>;
let id: string;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(async () => {
  record = learning({ user_id: 'alice' });
  id = String(record.learning_id);
  await harness.put(record);
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function expectUnauthenticated(spec: Partial<RequestSpec>, detail = 'Invalid token', target: Harness = harness) {
  const answer = await target.invoke({ learningId: id, body: { content: { hacked: true } }, ...spec });
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ detail, error_code: 'UNAUTHENTICATED' });
  expect(answer.headers['WWW-Authenticate']).toBe('Bearer');
  expect(target.dynamoDbCalls()).toEqual([]);
  expect(await target.get(id)).toEqual(record);
}

describe('the Authorization header', () => {
  it('missing: 401 Authorization header missing', async () => {
    await expectUnauthenticated({ token: null }, 'Authorization header missing');
  });
  it('another scheme: 401', async () => {
    const token = await signToken({ sub: 'alice' });
    await expectUnauthenticated(
      { token: null, headers: { authorization: `Basic ${token}` } },
      'Authorization header must use the Bearer scheme',
    );
  });
  it('the scheme is case-insensitive, and extra spaces after it are accepted', async () => {
    const token = await signToken({ sub: 'alice' });
    for (const authorization of [`bearer ${token}`, `BEARER ${token}`, `Bearer   ${token}`]) {
      const answer = await harness.invoke({
        learningId: id,
        token: null,
        headers: { authorization },
        body: { content: {} },
      });
      expect(answer.status).toBe(200);
    }
  });
  it('blank: 401 Authorization header missing; spaces around a good one are ignored', async () => {
    await expectUnauthenticated({ token: null, headers: { authorization: ' \t ' } }, 'Authorization header missing');
    const token = await signToken({ sub: 'alice' });
    const answer = await harness.invoke({
      learningId: id,
      token: null,
      headers: { authorization: `  Bearer ${token}  ` },
      body: { content: {} },
    });
    expect(answer.status).toBe(200);
    record = (await harness.get(id)) ?? {};
  });
  it('a scheme that only ends in Bearer: 401 naming the scheme', async () => {
    const token = await signToken({ sub: 'alice' });
    await expectUnauthenticated(
      { token: null, headers: { authorization: `xBearer ${token}` } },
      'Authorization header must use the Bearer scheme',
    );
  });
  it('Bearer with no token, or a token with spaces inside: 401', async () => {
    await expectUnauthenticated({ token: null, headers: { authorization: 'Bearer' } });
    await expectUnauthenticated({ token: null, headers: { authorization: 'Bearer a b' } });
    const token = await signToken({ sub: 'alice' });
    await expectUnauthenticated({ token: null, headers: { authorization: `Bearer ${token} extra` } });
    // A good token is read only right after the scheme, never after something else.
    await expectUnauthenticated({ token: null, headers: { authorization: `Bearer x Bearer ${token}` } });
  });
  it('a token in the query string or a cookie instead of the header: 401', async () => {
    const token = await signToken({ sub: 'alice' });
    await expectUnauthenticated({ token: null, query: { access_token: token } }, 'Authorization header missing');
    await expectUnauthenticated({ token: null, headers: { cookie: `token=${token}` } }, 'Authorization header missing');
  });
  it('a token of 8,192 characters is verified; one of 8,193 is refused unread', async () => {
    // Grows a claim until the signed token is exactly `length` characters (base64url adds 1 or 2 per byte).
    const tokenOfLength = async (length: number) => {
      for (let padding = Math.floor((length * 3) / 4) - 200; ; padding++) {
        const token = await signToken({ sub: 'alice', extraClaims: { padding: 'p'.repeat(padding) } });
        if (token.length === length) return token;
        if (token.length > length + 2) throw new Error(`no token of ${length} characters`);
      }
    };
    const longest = await tokenOfLength(8192);
    expect((await harness.invoke({ learningId: id, token: longest, body: { content: {} } })).status).toBe(200);
    record = (await harness.get(id)) ?? {};
    await expectUnauthenticated({ token: await tokenOfLength(8193) });
  });
  it('a 16 KB token: 401 without parsing it', async () => {
    const token = await signToken({ sub: 'alice', extraClaims: { padding: 'p'.repeat(16 * 1024) } });
    await expectUnauthenticated({ token });
  });
});

describe('JWT attacks', () => {
  it('alg none: 401', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'alice', scopes: ['learnings:write'], exp: now() + 60 })}.`;
    await expectUnauthenticated({ token });
  });

  it('HS/RS key confusion: an HS256 token signed with the RSA public key is refused by an RS256 deployment', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rsa = harness.withEnv({ JWT_ALGORITHMS: 'RS256', JWT_VERIFICATION_KEY: pem });
    const claims = { sub: 'alice', scopes: ['learnings:write'], exp: now() + 60 };
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(pem));
    await expectUnauthenticated({ token: forged }, 'Invalid token', rsa);
    // The same deployment accepts a genuine RS256 token: the refusal above is about the algorithm.
    const genuine = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect((await rsa.invoke({ learningId: id, token: genuine, body: { content: {} } })).status).toBe(200);
  });

  it('a token re-signed with a guessed weak secret: 401', async () => {
    for (const secret of ['secret', 'password', 'a', 'local-development-secret']) {
      const token = await new SignJWT({ sub: 'alice', scopes: ['learnings:write'], exp: now() + 60 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(secret));
      await expectUnauthenticated({ token });
    }
  });

  it('a tampered payload with the original signature: 401', async () => {
    const [header, , signature] = (await signToken({ sub: 'bob' })).split('.');
    const token = `${header}.${base64url({ sub: 'alice', scopes: ['agent_os:admin'], exp: now() + 60 })}.${signature}`;
    await expectUnauthenticated({ token });
  });

  it('an algorithm outside the allow-list (HS512 where HS256 is configured): 401', async () => {
    const token = await new SignJWT({ sub: 'alice', scopes: ['learnings:write'], exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS512' })
      .sign(new TextEncoder().encode('local-development-secret-change-me-0123456789'.repeat(2)));
    await expectUnauthenticated({ token });
  });

  it.each(['HS384', 'HS512'])('%s deployments verify tokens signed so, and only those', async (alg) => {
    const secret = 's'.repeat(64);
    const service = harness.withEnv({ JWT_ALGORITHMS: alg, JWT_VERIFICATION_KEY: secret });
    const token = await signToken({ sub: 'alice', secret, header: { alg } });
    expect((await service.invoke({ learningId: id, token, body: { content: { alg } } })).status).toBe(200);
    record = (await harness.get(id)) ?? {};
    await expectUnauthenticated({ token: await signToken({ sub: 'alice', secret }) }, 'Invalid token', service);
  });

  it('expired (beyond the 10 s leeway): 401 Token has expired; within the leeway: accepted', async () => {
    await expectUnauthenticated({ token: await signToken({ sub: 'alice', expiresIn: -30 }) }, 'Token has expired');
    const answer = await harness.invoke({
      learningId: id,
      token: await signToken({ sub: 'alice', expiresIn: -5 }),
      body: { content: {} },
    });
    expect(answer.status).toBe(200);
  });

  it('no exp claim: 401', async () => {
    const token = await new SignJWT({ sub: 'alice', scopes: ['learnings:write'] })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('local-development-secret-change-me-0123456789'));
    await expectUnauthenticated({ token });
  });

  it('nbf in the future: 401 Token is not yet valid', async () => {
    await expectUnauthenticated(
      { token: await signToken({ sub: 'alice', extraClaims: { nbf: now() + 120 } }) },
      'Token is not yet valid',
    );
  });

  it('iat far in the future: 401', async () => {
    await expectUnauthenticated({ token: await signToken({ sub: 'alice', extraClaims: { iat: now() + 3600 } }) });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['a number', 42],
    ['an object', { id: 'alice' }],
    ['null', null],
  ])('user id %s: 401 Token has no user id', async (_name, sub) => {
    await expectUnauthenticated({ token: await signToken({ sub }) }, 'Token has no user id');
  });

  it.each([
    ['a number', 7],
    ['an object', { admin: true }],
    ['an array with a non-string', ['learnings:write', 1]],
  ])('scopes of the wrong type (%s): 401', async (_name, scopes) => {
    await expectUnauthenticated({ token: await signToken({ sub: 'alice', scopes }) }, 'Invalid token scopes');
  });

  it.each(['../../etc/passwd', "' OR 1=1 --", 'kid\u0000null'])(
    'a kid of %j changes nothing: the token is judged on its signature',
    async (kid) => {
      const forged = await new SignJWT({ sub: 'alice', scopes: ['learnings:write'], exp: now() + 60 })
        .setProtectedHeader({ alg: 'HS256', kid })
        .sign(new TextEncoder().encode('not-the-secret-but-long-enough-0123456789'));
      await expectUnauthenticated({ token: forged });
      const genuine = await signToken({ sub: 'alice', header: { kid } });
      expect((await harness.invoke({ learningId: id, token: genuine, body: { content: {} } })).status).toBe(200);
    },
  );

  it('issuer and audience are checked when configured', async () => {
    const strict = harness.withEnv({ JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'agno-api,other-api' });
    const good = await signToken({ sub: 'alice', extraClaims: { iss: 'https://issuer.example', aud: 'other-api' } });
    expect((await strict.invoke({ learningId: id, token: good, body: { content: {} } })).status).toBe(200);
    record = (await harness.get(id)) ?? {};
    await expectUnauthenticated(
      { token: await signToken({ sub: 'alice', extraClaims: { iss: 'https://evil.example', aud: 'agno-api' } }) },
      'Invalid token',
      strict,
    );
    await expectUnauthenticated(
      { token: await signToken({ sub: 'alice', extraClaims: { iss: 'https://issuer.example', aud: 'elsewhere' } }) },
      'Invalid token',
      strict,
    );
    await expectUnauthenticated({ token: await signToken({ sub: 'alice' }) }, 'Invalid token', strict);
  });
});

describe('claim names are configurable', () => {
  it('JWT_USER_ID_CLAIM and JWT_SCOPES_CLAIM select other claims; a space-separated string works as scopes', async () => {
    const custom = harness.withEnv({ JWT_USER_ID_CLAIM: 'uid', JWT_SCOPES_CLAIM: 'scope' });
    const token = await signToken({
      sub: 'someone-else',
      scopes: undefined,
      extraClaims: { uid: 'alice', scope: 'openid learnings:write' },
    });
    expect((await custom.invoke({ learningId: id, token, body: { content: {} } })).status).toBe(200);
  });
});

describe('audiences as API Gateway checks them', () => {
  const strict = () => harness.withEnv({ JWT_AUDIENCE: 'app-client-1,agno-api' });
  const withClaims = (extraClaims: Record<string, unknown>) => signToken({ sub: 'alice', extraClaims });

  it('takes a token whose aud (a string or an array) holds a configured audience', async () => {
    for (const aud of ['agno-api', ['https://other.example', 'app-client-1']]) {
      const answer = await strict().invoke({ learningId: id, token: await withClaims({ aud }), body: { content: {} } });
      expect(answer.status, JSON.stringify(aud)).toBe(200);
    }
  });

  it('takes a token with no aud whose client_id is a configured audience (a Cognito access token)', async () => {
    const token = await withClaims({ client_id: 'app-client-1', token_use: 'access' });
    expect((await strict().invoke({ learningId: id, token, body: { content: {} } })).status).toBe(200);
  });

  it.each([
    ['aud names another audience, whatever client_id says', { aud: 'elsewhere', client_id: 'app-client-1' }],
    ['aud is an array of others', { aud: ['elsewhere', 'nowhere'] }],
    ['no aud, client_id of another app', { client_id: 'app-client-2' }],
    ['no aud, client_id not a string', { client_id: ['app-client-1'] }],
    ['neither aud nor client_id', {}],
  ])('refuses a token when %s', async (_case, claims) => {
    await expectUnauthenticated({ token: await withClaims(claims) }, 'Invalid token', strict());
  });
});

describe('only access tokens grant access', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a Cognito ID token', { token_use: 'id' }],
    ['a Cognito token of another use', { token_use: 'refresh' }],
    ...['ID', 'Refresh', 'Offline', 'Logout'].map((typ): [string, Record<string, unknown>] => [
      `a Keycloak ${typ} token`,
      { typ },
    ]),
  ])('refuses %s', async (_case, extraClaims) => {
    await expectUnauthenticated(
      { token: await signToken({ sub: 'alice', extraClaims }) },
      'Token is not an access token',
    );
  });

  it('takes Cognito access tokens and Keycloak Bearer tokens', async () => {
    for (const extraClaims of [{ token_use: 'access' }, { typ: 'Bearer' }]) {
      const token = await signToken({ sub: 'alice', extraClaims });
      expect((await harness.invoke({ learningId: id, token, body: { content: {} } })).status).toBe(200);
    }
  });
});

describe('scopes from several claims (JWT_SCOPES_CLAIM is a list)', () => {
  let bobs: string;
  beforeEach(async () => {
    const other = learning({ user_id: 'bob' });
    bobs = String(other.learning_id);
    await harness.put(other);
  });
  const service = (JWT_SCOPES_CLAIM: string) => harness.withEnv({ JWT_SCOPES_CLAIM });
  const asRoot = (extraClaims: Record<string, unknown>) => signToken({ sub: 'root', scopes: undefined, extraClaims });
  const statusOf = async (target: Harness, token: string, learningId = bobs) =>
    (await target.invoke({ learningId, token, body: { content: {} } })).status;

  it('finds the admin scope in any listed claim, and the write scope in another', async () => {
    const both = service('scp,roles');
    expect(await statusOf(both, await asRoot({ roles: ['agent_os:admin'] }))).toBe(200);
    expect(await statusOf(both, await asRoot({ scp: 'openid agent_os:admin' }))).toBe(200);
    const writer = await signToken({
      sub: 'alice',
      scopes: undefined,
      extraClaims: { scp: 'openid', roles: ['learnings:write'] },
    });
    expect(await statusOf(both, writer, id)).toBe(200);
    expect(await statusOf(both, await asRoot({ other: ['agent_os:admin'] }))).toBe(403);
  });

  it('reads a name with dots and slashes as the claim of that exact name first (Auth0 namespaced claims)', async () => {
    const auth0 = service('https://agno.example.com/roles');
    expect(await statusOf(auth0, await asRoot({ 'https://agno.example.com/roles': ['agent_os:admin'] }))).toBe(200);
    const exactFirst = service('realm_access.roles');
    const token = await asRoot({ 'realm_access.roles': ['agent_os:admin'], realm_access: { roles: ['openid'] } });
    expect(await statusOf(exactFirst, token)).toBe(200);
  });

  it('reads a dotted path into nested objects (Keycloak realm roles, client roles)', async () => {
    const keycloak = service('realm_access.roles,resource_access.agno-api.roles');
    expect(await statusOf(keycloak, await asRoot({ realm_access: { roles: ['agent_os:admin'] } }))).toBe(200);
    const clientRole = await asRoot({ resource_access: { 'agno-api': { roles: ['agent_os:admin'] } } });
    expect(await statusOf(keycloak, clientRole)).toBe(200);
  });

  it.each([
    ['a missing branch', { resource: {} }],
    ['a branch that is a string', { resource: 'agent_os:admin' }],
    ['a branch that is an array', { resource: [{ roles: ['agent_os:admin'] }] }],
    ['a branch that is null', { resource: null }],
  ])('finds nothing through %s: 403, not an error', async (_case, claims) => {
    expect(await statusOf(service('resource.roles'), await asRoot(claims))).toBe(403);
  });

  it('finds nothing through what only objects inherit, or through a string’s own index and length', async () => {
    expect(await statusOf(service('resource.toString'), await asRoot({ resource: {} }))).toBe(403);
    expect(await statusOf(service('resource.length'), await asRoot({ resource: 'agent_os:admin' }))).toBe(403);
    expect(await statusOf(service('resource.0'), await asRoot({ resource: ['agent_os:admin'] }))).toBe(403);
  });

  it('is 401 when a listed claim holds something other than a string or strings', async () => {
    const token = await asRoot({ scp: 'openid', roles: [{ name: 'agent_os:admin' }] });
    await expectUnauthenticated({ token, learningId: bobs }, 'Invalid token scopes', service('scp,roles'));
  });
});
