// Configuration: every environment variable declared once (ENVIRONMENT: its type, default, serverless.yml
// param and meaning), read and validated once at cold start, so that a bad deployment fails at init with
// a message naming the variable instead of failing every request. The README's table and serverless.yml
// are checked against this list by tests/unit/config.test.ts.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const PUBLIC_KEY_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export type JwtAlgorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof PUBLIC_KEY_ALGORITHMS)[number];

/** Where verification keys come from. */
export type JwtKeySource =
  | { kind: 'secret'; secret: Uint8Array }
  | { kind: 'public-key'; pem: string }
  | { kind: 'jwks-file'; jwks: JSONWebKeySet }
  | { kind: 'jwks-url'; url: URL; timeoutMs: number; cooldownMs: number; maxAgeMs: number }
  /** JWT_CLAIMS_FROM_API_GATEWAY: API Gateway's JWT authorizer verified the token already. */
  | { kind: 'api-gateway' };

export interface JwtConfig {
  algorithms: JwtAlgorithm[];
  keySource: JwtKeySource;
  userIdClaim: string;
  /** Claims read together for scopes: each a claim's exact name, or else a dotted path into nested objects. */
  scopesClaims: string[];
  leewaySeconds: number;
  issuer: string | undefined;
  audience: string[] | undefined;
}

export interface AuthorizationConfig {
  adminScope: string;
  /** Scope a non-admin caller needs; undefined when the check is disabled. */
  requiredScope: string | undefined;
}

export interface DynamoDbConfig {
  region: string;
  endpoint: string | undefined;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  /**
   * Whether a failed condition returns the old item (DynamoDB proper does; dynalite does not), so that
   * a refusal needs no read to classify.
   */
  oldItemOnConditionFailure: boolean;
}

/**
 * Which requests get a log line: every one (an audit line per write), only refusals and failures (4xx and
 * 5xx; the others write their metrics alone), or none (no metrics either).
 */
export type RequestLogging = 'all' | 'errors' | 'none';

export interface Config {
  defaultTable: string;
  /** db_id → allowed table names; the first is that database's default. */
  databases: ReadonlyMap<string, readonly string[]>;
  jwt: JwtConfig;
  authorization: AuthorizationConfig;
  dynamoDb: DynamoDbConfig;
  logRequests: RequestLogging;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

// The value types: each parses the variable's text (trimmed; unset or blank means the default), or refuses
// it with a message that completes "<VARIABLE> …". Plain functions rather than Zod schemas: they run once,
// at init, where building and first running Zod schemas for each variable cost the cold start more than
// the rest of the configuration together (bench/README.md).
class Refusal extends Error {}
type Parse<T> = (raw: string) => T;
const refuse = (message: string): never => {
  throw new Refusal(message);
};
const text: Parse<string> = (raw) => raw;
const integer =
  (min: number, max: number): Parse<number> =>
  (raw) => {
    const value = Number(raw);
    return Number.isInteger(value) && value >= min && value <= max
      ? value
      : refuse(`must be an integer from ${min} to ${max}, got '${raw}'`);
  };
// The same words for every boolean, in any case: TRUE and true mean the same.
const boolean: Parse<boolean> = (raw) => {
  const value = raw.toLowerCase();
  return value === 'true' || value === 'false' ? value === 'true' : refuse(`must be true or false, got '${raw}'`);
};
const list: Parse<string[]> = (raw) =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
// A dotted path must not reach into what every object inherits.
const claimNames: Parse<string[]> = (raw) => {
  const names = list(raw);
  for (const name of names) {
    if (name.split('.').some((part) => ['__proto__', 'constructor', 'prototype'].includes(part))) {
      refuse(`must not name __proto__, constructor or prototype, got '${name}'`);
    }
  }
  return names.length > 0 ? names : refuse('must name at least one claim');
};
const url: Parse<string> = (raw) => (URL.canParse(raw) ? raw : refuse(`must be a URL, got '${raw}'`));
// DynamoDB's own rule for table names. Also given the names a JSON value lists (LEARNINGS_DATABASES), which
// need not be text: 12345 would pass the pattern.
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const tableName = (raw: unknown): string =>
  typeof raw === 'string' && TABLE_NAME.test(raw)
    ? raw
    : refuse(`has an invalid DynamoDB table name: ${JSON.stringify(raw)}`);
const requestLogging: Parse<RequestLogging> = (raw) => {
  const value = raw.toLowerCase();
  if (value === 'all' || value === 'true') return 'all';
  if (value === 'none' || value === 'false') return 'none';
  if (value === 'errors') return 'errors';
  return refuse(`must be all, errors or none, got '${raw}'`);
};

interface Variable<T> {
  parse: Parse<T>;
  /** Used when the variable is unset or blank; undefined: no default (the setting is off, or required). */
  default: string | undefined;
  /** The serverless.yml param that sets it when deployed; undefined for AWS_REGION, which Lambda sets. */
  param: string | undefined;
  meaning: string;
  /** A blank value is the value '' (a setting turned off) rather than the default. */
  blankTurnsOff?: boolean;
}

const variable = <T>(parse: Parse<T>, declaration: Omit<Variable<T>, 'parse'>): Variable<T> => ({
  parse,
  ...declaration,
});

/** Every environment variable the function reads. */
export const ENVIRONMENT = {
  LEARNINGS_TABLE: variable(tableName, {
    default: 'agno_learnings',
    param: 'learningsTable',
    meaning: 'the table used when a request names no `db_id`',
  }),
  LEARNINGS_DATABASES: variable(text, {
    default: undefined,
    param: 'learningsDatabases',
    meaning: 'JSON: `db_id` → its table names, the first its default, e.g. `{"analytics":["analytics_learnings"]}`',
  }),
  AWS_REGION: variable(text, { default: 'us-east-1', param: undefined, meaning: 'set by Lambda' }),
  DYNAMODB_ENDPOINT: variable(url, {
    default: undefined,
    param: 'dynamodbEndpoint',
    meaning: 'a DynamoDB-compatible endpoint (local development)',
  }),
  DYNAMODB_CONNECT_TIMEOUT_MS: variable(integer(1, 60_000), {
    default: '1000',
    param: 'dynamodbConnectTimeoutMs',
    meaning: "the DynamoDB client's connection deadline",
  }),
  DYNAMODB_REQUEST_TIMEOUT_MS: variable(integer(1, 60_000), {
    default: '2000',
    param: 'dynamodbRequestTimeoutMs',
    meaning: "the DynamoDB client's deadline for an answer, per attempt",
  }),
  DYNAMODB_MAX_ATTEMPTS: variable(integer(1, 10), {
    default: '3',
    param: 'dynamodbMaxAttempts',
    meaning: 'attempts per DynamoDB call, with the SDK backoff between them',
  }),
  DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: variable(boolean, {
    default: undefined,
    param: 'dynamodbOldItemOnConditionFailure',
    meaning:
      'whether a failed condition returns the old item (DynamoDB, moto: yes; dynalite: no); default: true without `DYNAMODB_ENDPOINT`',
  }),
  JWT_ALGORITHMS: variable(list, {
    default: 'RS256',
    param: 'jwtAlgorithms',
    meaning: 'comma list: HS256/384/512, RS*, PS*, ES*, EdDSA; never `none`, never HMAC mixed with public-key',
  }),
  JWT_VERIFICATION_KEY: variable(text, {
    default: undefined,
    param: 'jwtVerificationKey',
    meaning: "a PEM public key, or for HS* the secret (at least the hash's length)",
  }),
  JWT_JWKS_URL: variable(text, {
    default: undefined,
    param: 'jwtJwksUrl',
    meaning: "the identity provider's JWKS URL (https), fetched at init, cached",
  }),
  JWT_JWKS_FILE: variable(text, {
    default: undefined,
    param: 'jwtJwksFile',
    meaning: 'a JWKS file packaged with the function (public keys only)',
  }),
  JWT_JWKS_TIMEOUT_MS: variable(integer(1, 30_000), {
    default: '2000',
    param: 'jwtJwksTimeoutMs',
    meaning: 'deadline of a JWKS fetch (also the longest the init waits for the key set)',
  }),
  JWT_JWKS_COOLDOWN_SECONDS: variable(integer(0, 3600), {
    default: '30',
    param: 'jwtJwksCooldownSeconds',
    meaning: 'least time between two fetches for an unknown `kid`',
  }),
  JWT_JWKS_CACHE_SECONDS: variable(integer(0, 86_400), {
    default: '600',
    param: 'jwtJwksCacheSeconds',
    meaning: 'how long fetched keys are used before a refresh (kept if it fails)',
  }),
  JWT_CLAIMS_FROM_API_GATEWAY: variable(boolean, {
    default: 'false',
    param: 'claimsFromApiGateway',
    meaning: "true: trust API Gateway's JWT authorizer's claims instead of verifying again",
  }),
  JWT_ISSUER: variable(text, { default: undefined, param: 'jwtIssuer', meaning: 'when set, `iss` must equal it' }),
  JWT_AUDIENCE: variable(list, {
    default: undefined,
    param: 'jwtAudience',
    meaning: 'when set (comma list), `aud` must hold one of them; a token without `aud`: `client_id` must be one',
  }),
  JWT_USER_ID_CLAIM: variable(text, {
    default: 'sub',
    param: 'jwtUserIdClaim',
    meaning: "the claim holding the caller's user id (a non-empty string)",
  }),
  JWT_SCOPES_CLAIM: variable(claimNames, {
    default: 'scopes',
    param: 'jwtScopesClaim',
    meaning:
      'comma list of claims read together for scopes and admin roles, each a space-separated string or an array; a name no claim has is a dotted path (`realm_access.roles`)',
  }),
  JWT_LEEWAY_SECONDS: variable(integer(0, 300), {
    default: '10',
    param: 'jwtLeewaySeconds',
    meaning: 'clock tolerance for `exp`, `nbf`, `iat`',
  }),
  ADMIN_SCOPE: variable(text, {
    default: 'agent_os:admin',
    param: 'adminScope',
    meaning: 'callers with it may change any record',
  }),
  REQUIRED_SCOPE: variable(text, {
    default: 'learnings:write',
    param: 'requiredScope',
    meaning: 'the scope non-admins need; set but blank: no scope check',
    blankTurnsOff: true,
  }),
  LOG_REQUESTS: variable(requestLogging, {
    default: 'all',
    param: 'logRequests',
    meaning: 'JSON log lines: `all` (every request), `errors` (4xx, 5xx; the rest metrics only), `none`',
  }),
} as const;

type Settings = { [Name in keyof typeof ENVIRONMENT]: ReturnType<(typeof ENVIRONMENT)[Name]['parse']> | undefined };

/** `parse(raw)`, its refusal reported as a configuration error of `variable`. */
function parseAs<Raw, Value>(variable: string, parse: (raw: Raw) => Value, raw: Raw): Value {
  try {
    return parse(raw);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: equivalent, the parsers throw nothing else
    if (error instanceof Refusal) throw new ConfigError(variable, error.message);
    throw error;
  }
}

/** Every variable's value: the environment's, else its default, parsed; undefined when unset without default. */
function readEnvironment(env: Env): Settings {
  const settings: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(ENVIRONMENT) as [string, Variable<unknown>][]) {
    const given = env[name]?.trim();
    const raw =
      given === undefined || (given === '' && declaration.blankTurnsOff !== true) ? declaration.default : given;
    if (raw === undefined) continue;
    settings[name] = parseAs(name, declaration.parse, raw);
  }
  return settings as Settings;
}

// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
const MIN_SECRET_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
// The key type each public-key algorithm family requires.
const KEY_TYPE_BY_PREFIX: Record<string, string> = { RS: 'rsa', PS: 'rsa', ES: 'ec', Ed: 'ed25519' };

export function loadConfig(env: Env): Config {
  const settings = readEnvironment(env);
  const endpoint = settings.DYNAMODB_ENDPOINT;
  return {
    defaultTable: settings.LEARNINGS_TABLE as string,
    databases: parseDatabases(settings.LEARNINGS_DATABASES),
    jwt: loadJwtConfig(settings),
    authorization: {
      adminScope: settings.ADMIN_SCOPE as string,
      requiredScope: settings.REQUIRED_SCOPE === '' ? undefined : settings.REQUIRED_SCOPE,
    },
    dynamoDb: {
      region: settings.AWS_REGION as string,
      endpoint,
      connectTimeoutMs: settings.DYNAMODB_CONNECT_TIMEOUT_MS as number,
      requestTimeoutMs: settings.DYNAMODB_REQUEST_TIMEOUT_MS as number,
      maxAttempts: settings.DYNAMODB_MAX_ATTEMPTS as number,
      oldItemOnConditionFailure: settings.DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE ?? endpoint === undefined,
    },
    logRequests: settings.LOG_REQUESTS as RequestLogging,
  };
}

function loadJwtConfig(settings: Settings): JwtConfig {
  const algorithms = parseAlgorithms(settings.JWT_ALGORITHMS as string[]);
  const audience = settings.JWT_AUDIENCE ?? [];
  return {
    algorithms,
    keySource: parseKeySource(settings, algorithms),
    userIdClaim: settings.JWT_USER_ID_CLAIM as string,
    scopesClaims: settings.JWT_SCOPES_CLAIM as string[],
    leewaySeconds: settings.JWT_LEEWAY_SECONDS as number,
    issuer: settings.JWT_ISSUER,
    audience: audience.length === 0 ? undefined : audience,
  };
}

function parseAlgorithms(names: readonly string[]): JwtAlgorithm[] {
  if (names.length === 0) throw new ConfigError('JWT_ALGORITHMS', 'must name at least one algorithm');
  const supported: readonly string[] = [...HMAC_ALGORITHMS, ...PUBLIC_KEY_ALGORITHMS];
  for (const name of names) {
    if (!supported.includes(name)) {
      throw new ConfigError(
        'JWT_ALGORITHMS',
        `has unsupported algorithm '${name}' (supported: ${supported.join(', ')})`,
      );
    }
  }
  const hmac = names.filter(isHmacAlgorithm);
  // One key cannot safely serve both families: that mix is what HS/RS key-confusion attacks exploit.
  if (hmac.length > 0 && hmac.length < names.length) {
    throw new ConfigError('JWT_ALGORITHMS', 'must not mix HMAC (HS*) and public-key algorithms');
  }
  return names as JwtAlgorithm[];
}

export function isHmacAlgorithm(algorithm: string): boolean {
  return algorithm.startsWith('HS');
}

const KEY_VARIABLES = ['JWT_VERIFICATION_KEY', 'JWT_JWKS_URL', 'JWT_JWKS_FILE'] as const;

/** Whether the environment names where verification keys come from (or hands that to API Gateway). */
export function namesKeySource(env: Env): boolean {
  const settings = readEnvironment(env);
  return settings.JWT_CLAIMS_FROM_API_GATEWAY === true || KEY_VARIABLES.some((name) => settings[name] !== undefined);
}

function parseKeySource(settings: Settings, algorithms: readonly JwtAlgorithm[]): JwtKeySource {
  if (settings.JWT_CLAIMS_FROM_API_GATEWAY === true) return { kind: 'api-gateway' };
  const given = KEY_VARIABLES.filter((name) => settings[name] !== undefined);
  if (given.length !== 1) {
    throw new ConfigError(
      'JWT_VERIFICATION_KEY',
      given.length === 0
        ? 'is required (or JWT_JWKS_URL, or JWT_JWKS_FILE)'
        : `conflicts: set only one of ${given.join(', ')}`,
    );
  }
  if (given[0] === 'JWT_VERIFICATION_KEY')
    return parseVerificationKey(settings.JWT_VERIFICATION_KEY as string, algorithms);
  // A key set may hold symmetric ("oct") keys; HMAC with keys from a shared document is key confusion.
  // Stryker disable next-line MethodExpression: equivalent, a mix was refused above: some is every here
  if (algorithms.some(isHmacAlgorithm)) {
    throw new ConfigError('JWT_ALGORITHMS', `must be public-key algorithms with ${given[0]}`);
  }
  return given[0] === 'JWT_JWKS_URL' ? parseJwksUrl(settings) : parseJwksFile(settings.JWT_JWKS_FILE as string);
}

function parseJwksUrl(settings: Settings): JwtKeySource {
  const raw = settings.JWT_JWKS_URL as string;
  if (!URL.canParse(raw)) throw new ConfigError('JWT_JWKS_URL', `must be a URL, got '${raw}'`);
  const url = new URL(raw);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('JWT_JWKS_URL', 'must use https (plain http only on a loopback address)');
  }
  return {
    kind: 'jwks-url',
    url,
    timeoutMs: settings.JWT_JWKS_TIMEOUT_MS as number,
    cooldownMs: 1000 * (settings.JWT_JWKS_COOLDOWN_SECONDS as number),
    maxAgeMs: 1000 * (settings.JWT_JWKS_CACHE_SECONDS as number),
  };
}

function parseJwksFile(path: string): JwtKeySource {
  let jwks: unknown;
  try {
    // Stryker disable next-line StringLiteral: equivalent, JSON.parse reads a Buffer as UTF-8 text too
    jwks = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError('JWT_JWKS_FILE', `must name a readable JSON file, got '${path}'`);
  }
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ConfigError('JWT_JWKS_FILE', 'must hold a JWKS: {"keys": [...]}');
  // Stryker disable next-line OptionalChaining: equivalent, a null key fails the configuration either way
  if (keys.some((key) => key?.kty === 'oct'))
    throw new ConfigError('JWT_JWKS_FILE', 'must not hold symmetric (oct) keys');
  return { kind: 'jwks-file', jwks: jwks as JSONWebKeySet };
}

function parseVerificationKey(raw: string, algorithms: readonly JwtAlgorithm[]): JwtKeySource {
  const variable = 'JWT_VERIFICATION_KEY';
  // Stryker disable next-line MethodExpression: equivalent, a mix was refused before: every is some here
  if (algorithms.every(isHmacAlgorithm)) {
    const secret = new TextEncoder().encode(raw);
    const needed = Math.max(...algorithms.map((algorithm) => MIN_SECRET_BYTES[algorithm] ?? 32));
    if (secret.byteLength < needed) {
      throw new ConfigError(variable, `must be at least ${needed} bytes for ${algorithms.join(', ')}`);
    }
    return { kind: 'secret', secret };
  }
  // PEM keys often arrive through environments with their newlines escaped.
  // Stryker disable next-line StringLiteral: speed only, replacing no escaped newline leaves the text as it is
  const pem = raw.includes('\\n') ? raw.replaceAll('\\n', '\n') : raw;
  let keyType: string | undefined;
  try {
    keyType = createPublicKey({ key: pem, format: 'pem' }).asymmetricKeyType;
  } catch {
    // keyType stays undefined: refused below.
  }
  // createPublicKey derives the public half of a private key: a private key has no place here either.
  if (keyType === undefined || pem.includes('PRIVATE KEY-----')) {
    throw new ConfigError(
      variable,
      'must be a PEM-encoded public key (-----BEGIN PUBLIC KEY-----) for public-key algorithms',
    );
  }
  for (const algorithm of algorithms) {
    const expected = KEY_TYPE_BY_PREFIX[algorithm.slice(0, 2)];
    if (expected !== keyType) {
      throw new ConfigError(variable, `is a ${keyType} key, which cannot verify ${algorithm}`);
    }
  }
  return { kind: 'public-key', pem };
}

function parseDatabases(raw: string | undefined): Map<string, readonly string[]> {
  const name = 'LEARNINGS_DATABASES';
  const databases = new Map<string, readonly string[]>();
  if (raw === undefined) return databases;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // parsed stays undefined: refused below, in the same words as any other text that is no object.
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(name, 'must be a JSON object of db_id to an array of table names');
  }
  for (const [dbId, tables] of Object.entries(parsed)) {
    if (dbId === '') throw new ConfigError(name, 'has an empty db_id');
    if (!Array.isArray(tables) || tables.length === 0) {
      throw new ConfigError(name, `must map '${dbId}' to a non-empty array of table names`);
    }
    databases.set(
      dbId,
      tables.map((table: unknown) => parseAs(`${name} ('${dbId}')`, tableName, table)),
    );
  }
  return databases;
}
