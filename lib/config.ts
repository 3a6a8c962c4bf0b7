// Configuration: read from the environment once, at cold start, and validated there, so that a bad
// deployment fails at init with a message naming the variable instead of failing every request.
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
  scopesClaim: string;
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
   * a refusal needs no read to classify. Default: true without DYNAMODB_ENDPOINT, false with one.
   */
  oldItemOnConditionFailure: boolean;
}

export interface Config {
  defaultTable: string;
  /** db_id → allowed table names; the first is that database's default. */
  databases: ReadonlyMap<string, readonly string[]>;
  jwt: JwtConfig;
  authorization: AuthorizationConfig;
  dynamoDb: DynamoDbConfig;
  logRequests: RequestLogging;
}

/**
 * Which requests get a log line: every one (an audit line per write), only refusals and failures (4xx and
 * 5xx: what needs someone's attention), or none.
 */
export type RequestLogging = 'all' | 'errors' | 'none';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

// DynamoDB's own rule for table names.
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
const MIN_SECRET_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
// The key type each public-key algorithm family requires.
const KEY_TYPE_BY_PREFIX: Record<string, string> = { RS: 'rsa', PS: 'rsa', ES: 'ec', Ed: 'ed25519' };

export function loadConfig(env: Env): Config {
  const defaultTable = tableName('LEARNINGS_TABLE', env.LEARNINGS_TABLE ?? 'agno_learnings');
  return {
    defaultTable,
    databases: parseDatabases(env.LEARNINGS_DATABASES),
    jwt: loadJwtConfig(env),
    authorization: {
      adminScope: nonEmpty('ADMIN_SCOPE', env.ADMIN_SCOPE ?? 'agent_os:admin'),
      requiredScope: optionalValue(env.REQUIRED_SCOPE ?? 'learnings:write'),
    },
    dynamoDb: {
      region: nonEmpty('AWS_REGION', env.AWS_REGION ?? 'us-east-1'),
      endpoint: optionalUrl('DYNAMODB_ENDPOINT', env.DYNAMODB_ENDPOINT),
      connectTimeoutMs: integer('DYNAMODB_CONNECT_TIMEOUT_MS', env.DYNAMODB_CONNECT_TIMEOUT_MS, 1000, 1, 60_000),
      requestTimeoutMs: integer('DYNAMODB_REQUEST_TIMEOUT_MS', env.DYNAMODB_REQUEST_TIMEOUT_MS, 2000, 1, 60_000),
      maxAttempts: integer('DYNAMODB_MAX_ATTEMPTS', env.DYNAMODB_MAX_ATTEMPTS, 3, 1, 10),
      oldItemOnConditionFailure: boolean(
        'DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE',
        env.DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE,
        optionalValue(env.DYNAMODB_ENDPOINT) === undefined,
      ),
    },
    logRequests: requestLogging(env.LOG_REQUESTS),
  };
}

function loadJwtConfig(env: Env): JwtConfig {
  const algorithms = parseAlgorithms(env.JWT_ALGORITHMS ?? 'RS256');
  return {
    algorithms,
    keySource: parseKeySource(env, algorithms),
    userIdClaim: nonEmpty('JWT_USER_ID_CLAIM', env.JWT_USER_ID_CLAIM ?? 'sub'),
    scopesClaim: nonEmpty('JWT_SCOPES_CLAIM', env.JWT_SCOPES_CLAIM ?? 'scopes'),
    leewaySeconds: integer('JWT_LEEWAY_SECONDS', env.JWT_LEEWAY_SECONDS, 10, 0, 300),
    issuer: optionalValue(env.JWT_ISSUER),
    audience: optionalList(env.JWT_AUDIENCE),
  };
}

function parseAlgorithms(raw: string): JwtAlgorithm[] {
  const names = splitList(raw);
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

function parseKeySource(env: Env, algorithms: readonly JwtAlgorithm[]): JwtKeySource {
  if (env.JWT_CLAIMS_FROM_API_GATEWAY === 'true') return { kind: 'api-gateway' };
  const given = KEY_VARIABLES.filter((variable) => optionalValue(env[variable]) !== undefined);
  if (given.length !== 1) {
    throw new ConfigError(
      'JWT_VERIFICATION_KEY',
      given.length === 0
        ? 'is required (or JWT_JWKS_URL, or JWT_JWKS_FILE)'
        : `conflicts: set only one of ${given.join(', ')}`,
    );
  }
  if (given[0] === 'JWT_VERIFICATION_KEY') return parseVerificationKey(env.JWT_VERIFICATION_KEY ?? '', algorithms);
  // A key set may hold symmetric ("oct") keys; HMAC with keys from a shared document is key confusion.
  if (algorithms.some(isHmacAlgorithm)) {
    throw new ConfigError('JWT_ALGORITHMS', `must be public-key algorithms with ${given[0]}`);
  }
  return given[0] === 'JWT_JWKS_URL' ? parseJwksUrl(env) : parseJwksFile(env.JWT_JWKS_FILE ?? '');
}

function parseJwksUrl(env: Env): JwtKeySource {
  const raw = env.JWT_JWKS_URL?.trim() ?? '';
  if (!URL.canParse(raw)) throw new ConfigError('JWT_JWKS_URL', `must be a URL, got '${raw}'`);
  const url = new URL(raw);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('JWT_JWKS_URL', 'must use https (plain http only on a loopback address)');
  }
  return {
    kind: 'jwks-url',
    url,
    timeoutMs: integer('JWT_JWKS_TIMEOUT_MS', env.JWT_JWKS_TIMEOUT_MS, 2000, 1, 30_000),
    cooldownMs: 1000 * integer('JWT_JWKS_COOLDOWN_SECONDS', env.JWT_JWKS_COOLDOWN_SECONDS, 30, 0, 3600),
    maxAgeMs: 1000 * integer('JWT_JWKS_CACHE_SECONDS', env.JWT_JWKS_CACHE_SECONDS, 600, 0, 86_400),
  };
}

function parseJwksFile(path: string): JwtKeySource {
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(path.trim(), 'utf8'));
  } catch {
    throw new ConfigError('JWT_JWKS_FILE', `must name a readable JSON file, got '${path}'`);
  }
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ConfigError('JWT_JWKS_FILE', 'must hold a JWKS: {"keys": [...]}');
  if (keys.some((key) => key?.kty === 'oct'))
    throw new ConfigError('JWT_JWKS_FILE', 'must not hold symmetric (oct) keys');
  return { kind: 'jwks-file', jwks: jwks as JSONWebKeySet };
}

function parseVerificationKey(raw: string, algorithms: readonly JwtAlgorithm[]): JwtKeySource {
  const variable = 'JWT_VERIFICATION_KEY';
  if (algorithms.every(isHmacAlgorithm)) {
    const secret = new TextEncoder().encode(raw);
    const needed = Math.max(...algorithms.map((algorithm) => MIN_SECRET_BYTES[algorithm] ?? 32));
    if (secret.byteLength < needed) {
      throw new ConfigError(variable, `must be at least ${needed} bytes for ${algorithms.join(', ')}`);
    }
    return { kind: 'secret', secret };
  }
  // PEM keys often arrive through environments with their newlines escaped.
  const pem = raw.includes('\\n') ? raw.replaceAll('\\n', '\n') : raw;
  let keyType: string | undefined;
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    if (key.type !== 'public') throw new Error('not a public key');
    keyType = key.asymmetricKeyType;
  } catch {
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
  const variable = 'LEARNINGS_DATABASES';
  const databases = new Map<string, readonly string[]>();
  if (raw === undefined || raw.trim() === '') return databases;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(variable, 'must be a JSON object of db_id to an array of table names');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(variable, 'must be a JSON object of db_id to an array of table names');
  }
  for (const [dbId, tables] of Object.entries(parsed)) {
    if (dbId === '') throw new ConfigError(variable, 'has an empty db_id');
    if (!Array.isArray(tables) || tables.length === 0) {
      throw new ConfigError(variable, `must map '${dbId}' to a non-empty array of table names`);
    }
    databases.set(
      dbId,
      tables.map((table: unknown) => tableName(`${variable} ('${dbId}')`, table)),
    );
  }
  return databases;
}

function tableName(variable: string, value: unknown): string {
  if (typeof value !== 'string' || !TABLE_NAME.test(value)) {
    throw new ConfigError(variable, `has an invalid DynamoDB table name: ${JSON.stringify(value)}`);
  }
  return value;
}

function integer(variable: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(variable, `must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function boolean(variable: string, raw: string | undefined, fallback: boolean): boolean {
  const value = optionalValue(raw);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') throw new ConfigError(variable, `must be true or false, got '${value}'`);
  return value === 'true';
}

// Refusals and failures by default: a line for each successful write costs ~14 us on the warm path, and
// ingesting ~220 bytes into CloudWatch Logs costs about as much as the invocation's compute (README, Performance).
function requestLogging(raw: string | undefined): RequestLogging {
  const value = optionalValue(raw) ?? 'errors';
  if (value === 'all' || value === 'true') return 'all';
  if (value === 'none' || value === 'false') return 'none';
  if (value === 'errors') return value;
  throw new ConfigError('LOG_REQUESTS', `must be all, errors or none, got '${value}'`);
}

function nonEmpty(variable: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new ConfigError(variable, 'must not be empty');
  return trimmed;
}

function optionalValue(raw: string | undefined): string | undefined {
  const trimmed = raw?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function optionalList(raw: string | undefined): string[] | undefined {
  const values = splitList(raw ?? '');
  return values.length === 0 ? undefined : values;
}

function optionalUrl(variable: string, raw: string | undefined): string | undefined {
  const value = optionalValue(raw);
  if (value !== undefined && !URL.canParse(value)) throw new ConfigError(variable, `must be a URL, got '${value}'`);
  return value;
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
