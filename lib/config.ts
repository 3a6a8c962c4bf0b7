// Configuration: the settings the handler is built with, read from the environment once, at cold start
// (loadConfig), so that a bad deployment fails at init naming the variable instead of failing every request.
// lib/config/environment.ts declares the variables and parses each; lib/config/keys.ts checks the algorithms
// and where verification keys come from; lib/config/databases.ts reads LEARNINGS_DATABASES. Nothing else in
// lib/ or handlers/ reads process.env, save invocationTraceHeader below.
import { parseDatabases } from './config/databases.ts';
import { type Env, type RequestLogging, readEnvironment, type Settings } from './config/environment.ts';
import { type JwtAlgorithm, type JwtKeySource, parseAlgorithms, parseKeySource } from './config/keys.ts';

export { ConfigError, ENVIRONMENT, type RequestLogging } from './config/environment.ts';
export {
  HMAC_ALGORITHMS,
  isHmacAlgorithm,
  type JwtAlgorithm,
  type JwtKeySource,
  namesKeySource,
  PUBLIC_KEY_ALGORITHMS,
} from './config/keys.ts';

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
  /**
   * Whether the client signs with stand-in credentials: with an endpoint (a local DynamoDB, which accepts
   * any) and no AWS_ACCESS_KEY_ID; real ones, when set, are used as usual.
   */
  localCredentials: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  /**
   * Whether a failed condition returns the old item (DynamoDB proper does; dynalite does not), so that
   * a refusal needs no read to classify.
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
  /** Lambda's application log level (AWS_LAMBDA_LOG_LEVEL) as given; undefined outside Lambda. */
  logLevel: string | undefined;
  /** The stage deployed (STAGE): a dimension of the metrics. */
  stage: string;
}

export function loadConfig(env: Env): Config {
  const settings = readEnvironment(env);
  const endpoint = settings.DYNAMODB_ENDPOINT;
  return {
    defaultTable: settings.LEARNINGS_TABLE,
    databases: parseDatabases(settings.LEARNINGS_DATABASES),
    jwt: loadJwtConfig(settings),
    authorization: {
      adminScope: settings.ADMIN_SCOPE,
      requiredScope: settings.REQUIRED_SCOPE === '' ? undefined : settings.REQUIRED_SCOPE,
    },
    dynamoDb: {
      region: settings.AWS_REGION,
      endpoint,
      localCredentials: endpoint !== undefined && env.AWS_ACCESS_KEY_ID === undefined,
      connectTimeoutMs: settings.DYNAMODB_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: settings.DYNAMODB_REQUEST_TIMEOUT_MS,
      maxAttempts: settings.DYNAMODB_MAX_ATTEMPTS,
      oldItemOnConditionFailure: settings.DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE ?? endpoint === undefined,
    },
    logRequests: settings.LOG_REQUESTS,
    logLevel: settings.AWS_LAMBDA_LOG_LEVEL,
    stage: settings.STAGE,
  };
}

function loadJwtConfig(settings: Settings): JwtConfig {
  const algorithms = parseAlgorithms(settings.JWT_ALGORITHMS);
  const audience = settings.JWT_AUDIENCE ?? [];
  return {
    algorithms,
    keySource: parseKeySource(settings, algorithms),
    userIdClaim: settings.JWT_USER_ID_CLAIM,
    scopesClaims: settings.JWT_SCOPES_CLAIM,
    leewaySeconds: settings.JWT_LEEWAY_SECONDS,
    issuer: settings.JWT_ISSUER,
    audience: audience.length === 0 ? undefined : audience,
  };
}

/**
 * The X-Ray trace header of the invocation under way. Read at each call, never once at init like the rest:
 * Lambda sets _X_AMZN_TRACE_ID afresh for every invocation a container serves.
 */
export function invocationTraceHeader(): string | undefined {
  return process.env._X_AMZN_TRACE_ID;
}
