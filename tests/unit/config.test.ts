// A bad configuration fails at init, naming the variable; a good one is read as documented.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parse } from 'yaml';
import { DOCUMENTATION } from '../../lib/config/documentation.ts';
import { readEnvironment } from '../../lib/config/environment.ts';
import { ConfigError, ENVIRONMENT, invocationTraceHeader, loadConfig, namesKeySource } from '../../lib/config.ts';

const SECRET = 'x'.repeat(32);
const base = { JWT_ALGORITHMS: 'HS256', JWT_VERIFICATION_KEY: SECRET };
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

/** What loading `env` fails with; undefined when the configuration is accepted. */
function refusalOf(env: Record<string, string>): Error | undefined {
  try {
    loadConfig(env);
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

describe('loadConfig', () => {
  it('fails with a ConfigError naming the variable, the algorithms it supports, and a private key for what it is', () => {
    const unsupported = refusalOf({ JWT_ALGORITHMS: 'HS256,XS1', JWT_VERIFICATION_KEY: SECRET });
    expect(unsupported).toBeInstanceOf(ConfigError);
    expect(unsupported?.name).toBe('ConfigError');
    expect(unsupported?.message).toBe(
      "Invalid configuration: JWT_ALGORITHMS has unsupported algorithm 'XS1' (supported: HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)",
    );
    const privatePem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(refusalOf({ JWT_ALGORITHMS: 'RS256', JWT_VERIFICATION_KEY: privatePem })?.message).toMatch(
      /JWT_VERIFICATION_KEY must be a PEM-encoded public key/,
    );
    expect(loadConfig({ ...base, LOG_REQUESTS: 'errors' }).logRequests).toBe('errors');
  });

  it('holds every rule at its edge', () => {
    expect(loadConfig({ ...base, JWT_LEEWAY_SECONDS: '300' }).jwt.leewaySeconds).toBe(300);
    expect(refusalOf({ ...base, JWT_LEEWAY_SECONDS: '301' })?.message).toMatch(
      /JWT_LEEWAY_SECONDS must be an integer from 0 to 300/,
    );
    expect(refusalOf({ ...base, LEARNINGS_TABLE: '!!abc' })?.message).toMatch(
      /LEARNINGS_TABLE has an invalid DynamoDB table name/,
    );
    // Key types: EC for ES*, Ed25519 for EdDSA; the wrong one is named.
    expect(loadConfig({ JWT_ALGORITHMS: 'ES256', JWT_VERIFICATION_KEY: ecPem }).jwt.keySource.kind).toBe('public-key');
    const edPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(loadConfig({ JWT_ALGORITHMS: 'EdDSA', JWT_VERIFICATION_KEY: edPem }).jwt.keySource.kind).toBe('public-key');
    expect(refusalOf({ JWT_ALGORITHMS: 'RS256', JWT_VERIFICATION_KEY: ecPem })?.message).toBe(
      'Invalid configuration: JWT_VERIFICATION_KEY is a ec key, which cannot verify RS256',
    );
    // A PEM whose newlines arrive escaped.
    expect(
      loadConfig({ JWT_ALGORITHMS: 'RS256', JWT_VERIFICATION_KEY: rsaPem.replaceAll('\n', '\\n') }).jwt.keySource,
    ).toEqual({ kind: 'public-key', pem: rsaPem });
    // The longest hash sets the secret's least length.
    expect(refusalOf({ JWT_ALGORITHMS: 'HS256,HS512', JWT_VERIFICATION_KEY: 'x'.repeat(48) })?.message).toBe(
      'Invalid configuration: JWT_VERIFICATION_KEY must be at least 64 bytes for HS256, HS512',
    );
    // JWKS URLs: https anywhere, plain http on loopback only.
    for (const url of ['https://idp.example/jwks.json', 'http://[::1]:9/jwks.json', 'http://127.0.0.1:9/jwks.json']) {
      expect(refusalOf({ JWT_ALGORITHMS: 'RS256', JWT_JWKS_URL: url }), url).toBeUndefined();
    }
    for (const url of ['ftp://localhost/jwks.json', 'http://idp.example/jwks.json']) {
      expect(refusalOf({ JWT_ALGORITHMS: 'RS256', JWT_JWKS_URL: url })?.message, url).toMatch(/must use https/);
    }
    for (const raw of ['"x"', 'null', '5', '[]']) {
      expect(refusalOf({ ...base, LEARNINGS_DATABASES: raw })?.message, raw).toBe(
        'Invalid configuration: LEARNINGS_DATABASES must be a JSON object of db_id to an array of table names',
      );
    }
  });

  it('a JWKS file must hold public keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const rsaJwk = { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'r' };
    const load = (path: string) => () => loadConfig({ JWT_ALGORITHMS: 'RS256', JWT_JWKS_FILE: path });
    expect(load(file('null.json', 'null'))).toThrow('JWT_JWKS_FILE must hold a JWKS: {"keys": [...]}');
    expect(load(file('empty.json', '{"keys":[]}'))).toThrow('JWT_JWKS_FILE must hold a JWKS');
    expect(load(file('oct.json', JSON.stringify({ keys: [rsaJwk, { kty: 'oct', k: 'c2VjcmV0' }] })))).toThrow(
      'Invalid configuration: JWT_JWKS_FILE must not hold symmetric (oct) keys',
    );
    expect(load(file('rsa.json', JSON.stringify({ keys: [rsaJwk] })))().jwt.keySource.kind).toBe('jwks-file');
  });

  it('namesKeySource tells whether the environment says where keys come from', () => {
    expect(namesKeySource({})).toBe(false);
    expect(namesKeySource({ JWT_VERIFICATION_KEY: ' ' })).toBe(false);
    for (const env of [
      { JWT_VERIFICATION_KEY: SECRET },
      { JWT_JWKS_URL: 'https://idp.example/jwks.json' },
      { JWT_JWKS_FILE: 'keys.json' },
      { JWT_CLAIMS_FROM_API_GATEWAY: 'true' },
    ]) {
      expect(namesKeySource(env), JSON.stringify(env)).toBe(true);
    }
    expect(namesKeySource({ JWT_CLAIMS_FROM_API_GATEWAY: 'false' })).toBe(false);
  });

  it('reads the DynamoDB and identity-provider settings', () => {
    const local = loadConfig({ ...base, DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' });
    expect(local.dynamoDb.oldItemOnConditionFailure).toBe(false);
    expect(
      loadConfig({ ...base, DYNAMODB_ENDPOINT: 'http://x:1', DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: 'true' }).dynamoDb
        .oldItemOnConditionFailure,
    ).toBe(true);
    const jwks = loadConfig({
      JWT_ALGORITHMS: 'RS256',
      JWT_JWKS_URL: 'http://localhost:9/jwks.json',
      JWT_JWKS_COOLDOWN_SECONDS: '0',
    });
    expect(jwks.jwt.keySource).toMatchObject({ kind: 'jwks-url', cooldownMs: 0, maxAgeMs: 600_000, timeoutMs: 2000 });
    expect(loadConfig({ JWT_CLAIMS_FROM_API_GATEWAY: 'true' }).jwt.keySource).toEqual({ kind: 'api-gateway' });
    expect(loadConfig({ ...base, LOG_REQUESTS: 'false' }).logRequests).toBe('none');
    expect(loadConfig({ ...base, LOG_REQUESTS: 'true' }).logRequests).toBe('all');
    expect(loadConfig({ ...base, LOG_REQUESTS: 'all' }).logRequests).toBe('all');
  });

  it("gives a local endpoint stand-in credentials unless AWS_ACCESS_KEY_ID is set, and passes Lambda's log level on", () => {
    const endpoint = 'http://127.0.0.1:8000';
    expect(loadConfig({ ...base, DYNAMODB_ENDPOINT: endpoint }).dynamoDb.localCredentials).toBe(true);
    expect(
      loadConfig({ ...base, DYNAMODB_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }).dynamoDb.localCredentials,
    ).toBe(false);
    expect(loadConfig(base).dynamoDb.localCredentials).toBe(false);
    expect(loadConfig({ ...base, AWS_LAMBDA_LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(loadConfig(base).logLevel).toBeUndefined();
  });

  it('reads the trace header at each call, not once', () => {
    const before = process.env._X_AMZN_TRACE_ID;
    try {
      process.env._X_AMZN_TRACE_ID = 'Root=1-a';
      expect(invocationTraceHeader()).toBe('Root=1-a');
      process.env._X_AMZN_TRACE_ID = 'Root=1-b';
      expect(invocationTraceHeader()).toBe('Root=1-b');
    } finally {
      if (before === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = before;
    }
  });

  it('gives every variable with a default a value, typed without undefined; the others may be undefined', () => {
    const settings = readEnvironment({});
    const defaulted = Object.entries(ENVIRONMENT).filter(([, declaration]) => declaration.default !== undefined);
    expect(Object.keys(settings)).toEqual(defaulted.map(([name]) => name));
    expectTypeOf(settings.LEARNINGS_TABLE).toEqualTypeOf<string>();
    expectTypeOf(settings.JWT_LEEWAY_SECONDS).toEqualTypeOf<number>();
    expectTypeOf(settings.JWT_SCOPES_CLAIM).toEqualTypeOf<string[]>();
    expectTypeOf(settings.LOG_REQUESTS).toEqualTypeOf<'all' | 'errors' | 'none'>();
    expectTypeOf(settings.JWT_ISSUER).toEqualTypeOf<string | undefined>();
    expectTypeOf(settings.DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE).toEqualTypeOf<boolean | undefined>();
  });

  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.defaultTable).toBe('agno_learnings');
    expect(config.databases.size).toBe(0);
    expect(config.jwt).toMatchObject({
      userIdClaim: 'sub',
      scopesClaims: ['scopes'],
      leewaySeconds: 10,
      issuer: undefined,
      audience: undefined,
    });
    expect(config.authorization).toEqual({ adminScope: 'agent_os:admin', requiredScope: 'learnings:write' });
    expect(config.dynamoDb).toMatchObject({ region: 'us-east-1', endpoint: undefined, maxAttempts: 3 });
    expect(config.logRequests).toBe('all');
    // The metrics' stage: serverless.yml sets it to the stage deployed.
    expect(config.stage).toBe('local');
    expect(loadConfig({ ...base, STAGE: 'prod' }).stage).toBe('prod');
  });

  it('reads every variable the same way: unset or blank is the default, booleans in any case', () => {
    const blank = loadConfig({ ...base, ADMIN_SCOPE: ' ', JWT_LEEWAY_SECONDS: '', LOG_REQUESTS: '\t' });
    expect(blank.authorization.adminScope).toBe('agent_os:admin');
    expect(blank.jwt.leewaySeconds).toBe(10);
    expect(blank.logRequests).toBe('all');
    expect(loadConfig({ JWT_CLAIMS_FROM_API_GATEWAY: 'TRUE' }).jwt.keySource).toEqual({ kind: 'api-gateway' });
    expect(loadConfig({ ...base, JWT_CLAIMS_FROM_API_GATEWAY: 'False' }).jwt.keySource.kind).toBe('secret');
    expect(
      loadConfig({ ...base, DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: 'FALSE' }).dynamoDb.oldItemOnConditionFailure,
    ).toBe(false);
    // The one exception, declared with the variable: a blank REQUIRED_SCOPE turns the scope check off.
    expect(loadConfig({ ...base, REQUIRED_SCOPE: ' ' }).authorization.requiredScope).toBeUndefined();
    expect(loadConfig(base).authorization.requiredScope).toBe('learnings:write');
  });

  it('RS256 is the default algorithm, so a deployment without a key fails at init', () => {
    expect(() => loadConfig({})).toThrow(/JWT_VERIFICATION_KEY is required/);
    expect(loadConfig({ JWT_VERIFICATION_KEY: rsaPem }).jwt.algorithms).toEqual(['RS256']);
  });

  it('reads databases, an empty REQUIRED_SCOPE as disabled, audiences as a list, and PEM keys with escaped newlines', () => {
    const config = loadConfig({
      JWT_VERIFICATION_KEY: rsaPem.replaceAll('\n', '\\n'),
      JWT_ALGORITHMS: 'RS256, PS256',
      LEARNINGS_DATABASES: '{"analytics":["analytics_learnings","archived_learnings"]}',
      REQUIRED_SCOPE: '',
      JWT_AUDIENCE: 'a, b',
      JWT_SCOPES_CLAIM: 'scp, realm_access.roles ,https://agno.example.com/roles',
    });
    expect(config.jwt.scopesClaims).toEqual(['scp', 'realm_access.roles', 'https://agno.example.com/roles']);
    expect(config.databases.get('analytics')).toEqual(['analytics_learnings', 'archived_learnings']);
    expect(config.authorization.requiredScope).toBeUndefined();
    expect(config.jwt.audience).toEqual(['a', 'b']);
    expect(config.jwt.keySource).toMatchObject({ kind: 'public-key' });
  });

  it.each([
    [{ JWT_ALGORITHMS: 'none' }, /JWT_ALGORITHMS has unsupported algorithm 'none'/],
    [{ JWT_SCOPES_CLAIM: ' , ' }, /JWT_SCOPES_CLAIM must name at least one claim/],
    [
      { JWT_SCOPES_CLAIM: 'scp,__proto__.roles' },
      /JWT_SCOPES_CLAIM must not name __proto__, constructor or prototype, got '__proto__.roles'/,
    ],
    [{ JWT_SCOPES_CLAIM: 'a.constructor' }, /JWT_SCOPES_CLAIM must not name __proto__/],
    [{ JWT_SCOPES_CLAIM: 'prototype' }, /JWT_SCOPES_CLAIM must not name __proto__/],
    [{ JWT_ALGORITHMS: 'HS256,RS256' }, /JWT_ALGORITHMS must not mix HMAC/],
    [{ JWT_ALGORITHMS: ' , ' }, /JWT_ALGORITHMS must name at least one algorithm/],
    [{ JWT_VERIFICATION_KEY: 'short' }, /JWT_VERIFICATION_KEY must be at least 32 bytes/],
    [{ JWT_ALGORITHMS: 'HS512' }, /JWT_VERIFICATION_KEY must be at least 64 bytes/],
    [{ JWT_ALGORITHMS: 'RS256' }, /JWT_VERIFICATION_KEY must be a PEM-encoded public key/],
    [
      { JWT_ALGORITHMS: 'ES256', JWT_VERIFICATION_KEY: rsaPem },
      /JWT_VERIFICATION_KEY is a rsa key, which cannot verify ES256/,
    ],
    [
      { JWT_ALGORITHMS: 'RS256', JWT_VERIFICATION_KEY: ecPem },
      /JWT_VERIFICATION_KEY is a ec key, which cannot verify RS256/,
    ],
    [{ LEARNINGS_TABLE: 'a' }, /LEARNINGS_TABLE has an invalid DynamoDB table name/],
    [{ LEARNINGS_DATABASES: 'not json' }, /LEARNINGS_DATABASES must be a JSON object/],
    [{ LEARNINGS_DATABASES: '["t1"]' }, /LEARNINGS_DATABASES must be a JSON object/],
    [{ LEARNINGS_DATABASES: '{"db":[]}' }, /LEARNINGS_DATABASES must map 'db' to a non-empty array/],
    [
      { LEARNINGS_DATABASES: '{"db":["bad name!"]}' },
      /LEARNINGS_DATABASES \('db'\) has an invalid DynamoDB table name/,
    ],
    // A number would read as a valid name once made text: a table name is a JSON string.
    [
      { LEARNINGS_DATABASES: '{"db":[12345]}' },
      /LEARNINGS_DATABASES \('db'\) has an invalid DynamoDB table name: 12345/,
    ],
    [{ JWT_LEEWAY_SECONDS: '-1' }, /JWT_LEEWAY_SECONDS must be an integer from 0 to 300/],
    [{ DYNAMODB_REQUEST_TIMEOUT_MS: 'soon' }, /DYNAMODB_REQUEST_TIMEOUT_MS must be an integer/],
    [{ DYNAMODB_ENDPOINT: 'not a url' }, /DYNAMODB_ENDPOINT must be a URL/],
    [{ LOG_REQUESTS: 'some' }, /LOG_REQUESTS must be all, errors or none/],
    [{ DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: 'yes' }, /DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE must be true or false/],
    [{ JWT_CLAIMS_FROM_API_GATEWAY: '1' }, /JWT_CLAIMS_FROM_API_GATEWAY must be true or false, got '1'/],
    [
      { JWT_JWKS_URL: 'https://idp.example/jwks.json' },
      /conflicts: set only one of JWT_VERIFICATION_KEY, JWT_JWKS_URL/,
    ],
    [
      { JWT_VERIFICATION_KEY: '', JWT_ALGORITHMS: 'RS256', JWT_JWKS_URL: 'http://idp.example/jwks.json' },
      /JWT_JWKS_URL must use https/,
    ],
    [{ JWT_VERIFICATION_KEY: '', JWT_ALGORITHMS: 'RS256', JWT_JWKS_URL: 'not a url' }, /JWT_JWKS_URL must be a URL/],
    [
      { JWT_VERIFICATION_KEY: '', JWT_JWKS_URL: 'https://idp.example/jwks.json' },
      /JWT_ALGORITHMS must be public-key algorithms with JWT_JWKS_URL/,
    ],
    [
      { JWT_VERIFICATION_KEY: '', JWT_ALGORITHMS: 'RS256', JWT_JWKS_FILE: '/nonexistent/jwks.json' },
      /JWT_JWKS_FILE must name a readable JSON file/,
    ],
    [
      { JWT_VERIFICATION_KEY: '', JWT_ALGORITHMS: 'RS256', JWT_JWKS_FILE: 'package.json' },
      /JWT_JWKS_FILE must hold a JWKS/,
    ],
    [{ LEARNINGS_DATABASES: '{"":["tableone"]}' }, /LEARNINGS_DATABASES has an empty db_id/],
    [
      { JWT_VERIFICATION_KEY: '', JWT_ALGORITHMS: 'RS256', JWT_JWKS_FILE: 'tests/unit/oct-jwks.json' },
      /must not hold symmetric \(oct\) keys/,
    ],
  ])('%j fails at init', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});

describe('the declared variables', () => {
  const readme = readFileSync('README.md', 'utf8');
  const serverless = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'silent' }) as {
    params: { default: Record<string, unknown> };
    provider: { environment: Record<string, string> };
  };

  it.each(Object.entries(ENVIRONMENT))(
    '%s is in the README, with its default, param and meaning',
    (name, declaration) => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      expect(row, `no row for ${name} in the README's configuration table`).toBeDefined();
      if (declaration.default !== undefined) expect(row).toContain(`\`${declaration.default}\``);
      const { param, meaning } = DOCUMENTATION[name as keyof typeof DOCUMENTATION];
      // | variable | default | param | meaning |: each cell as the documentation says it.
      const cells = String(row)
        .split(' | ')
        .map((cell) => cell.replace(/^\| |\s*\|$/g, '').trim());
      expect(cells[2]).toBe(param === undefined ? '—' : `\`${param}\``);
      expect(cells[3]).toBe(meaning);
    },
  );

  it.each(Object.entries(DOCUMENTATION))('%s is set from its param in serverless.yml', (name, { param }) => {
    if (param === undefined) {
      expect(serverless.provider.environment[name]).toBeUndefined();
      return;
    }
    expect(serverless.provider.environment[name]).toBe(`\${param:${param}}`);
    expect(Object.keys(serverless.params.default)).toContain(param);
  });

  it('serverless.yml sets no variable the function does not declare', () => {
    for (const name of Object.keys(serverless.provider.environment)) expect(Object.keys(ENVIRONMENT)).toContain(name);
  });
});
