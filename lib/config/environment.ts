// The environment variables: every one declared once (ENVIRONMENT: its type and default; its serverless.yml
// param and meaning in lib/config/documentation.ts, which the function does not load), read and validated
// once at cold start, so that a bad deployment fails at init with a message naming the variable instead of
// failing every request. The README's table and serverless.yml are checked against both by
// tests/unit/config.test.ts. What the settings are then made into (the key source, the
// databases, the Config the handler is given) is lib/config.ts's and lib/config/keys.ts's.

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Which requests get a log line: every one (an audit line per write), only refusals and failures (4xx and
 * 5xx; the others write their metrics alone), or none (no metrics either).
 */
export type RequestLogging = 'all' | 'errors' | 'none';

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
export const tableName = (raw: unknown): string =>
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

/**
 * A variable's declaration. `Default` is the default's own text type when it has one, else undefined: it is
 * what makes the setting of a variable with a default a `T`, never undefined (Settings).
 */
interface Variable<T, Default extends string | undefined = string | undefined> {
  parse: Parse<T>;
  /** Used when the variable is unset or blank; undefined: no default (the setting is off, or required). */
  default: Default;
  /** A blank value is the value '' (a setting turned off) rather than the default. */
  blankTurnsOff?: boolean;
}

const variable = <T, Default extends string | undefined>(
  parse: Parse<T>,
  declaration: Omit<Variable<T, Default>, 'parse'>,
): Variable<T, Default> => ({ parse, ...declaration });

/**
 * Every environment variable the function's settings come from. (The AWS SDK reads its credentials itself;
 * lib/config.ts only asks whether AWS_ACCESS_KEY_ID is set, for a local endpoint's stand-in credentials.)
 */
export const ENVIRONMENT = {
  LEARNINGS_TABLE: variable(tableName, {
    default: 'agno_learnings',
  }),
  LEARNINGS_DATABASES: variable(text, {
    default: undefined,
  }),
  AWS_REGION: variable(text, { default: 'us-east-1' }),
  DYNAMODB_ENDPOINT: variable(url, {
    default: undefined,
  }),
  DYNAMODB_CONNECT_TIMEOUT_MS: variable(integer(1, 60_000), {
    default: '1000',
  }),
  DYNAMODB_REQUEST_TIMEOUT_MS: variable(integer(1, 60_000), {
    default: '2000',
  }),
  DYNAMODB_MAX_ATTEMPTS: variable(integer(1, 10), {
    default: '3',
  }),
  DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: variable(boolean, {
    default: undefined,
  }),
  JWT_ALGORITHMS: variable(list, {
    default: 'RS256',
  }),
  JWT_VERIFICATION_KEY: variable(text, {
    default: undefined,
  }),
  JWT_JWKS_URL: variable(text, {
    default: undefined,
  }),
  JWT_JWKS_FILE: variable(text, {
    default: undefined,
  }),
  JWT_JWKS_TIMEOUT_MS: variable(integer(1, 30_000), {
    default: '2000',
  }),
  JWT_JWKS_COOLDOWN_SECONDS: variable(integer(0, 3600), {
    default: '30',
  }),
  JWT_JWKS_CACHE_SECONDS: variable(integer(0, 86_400), {
    default: '600',
  }),
  JWT_CLAIMS_FROM_API_GATEWAY: variable(boolean, {
    default: 'false',
  }),
  JWT_ISSUER: variable(text, { default: undefined }),
  JWT_AUDIENCE: variable(list, {
    default: undefined,
  }),
  JWT_USER_ID_CLAIM: variable(text, {
    default: 'sub',
  }),
  JWT_SCOPES_CLAIM: variable(claimNames, {
    default: 'scopes',
  }),
  JWT_LEEWAY_SECONDS: variable(integer(0, 300), {
    default: '10',
  }),
  ADMIN_SCOPE: variable(text, {
    default: 'agent_os:admin',
  }),
  REQUIRED_SCOPE: variable(text, {
    default: 'learnings:write',
    blankTurnsOff: true,
  }),
  LOG_REQUESTS: variable(requestLogging, {
    default: 'all',
  }),
  // The stage deployed (`sls deploy --stage`): a dimension of every metric, so that two stages in one
  // account keep their metrics apart.
  STAGE: variable(text, { default: 'local' }),
  // Lambda's application log level, from the function's LoggingConfig (param logLevel): a request's line below
  // it keeps only its metrics. Kept as given (trimmed): lib/log.ts reads the level's name in any case.
  AWS_LAMBDA_LOG_LEVEL: variable(text, {
    default: undefined,
  }),
} as const;

/** A variable's setting: its value type, and undefined too only when it has no default. */
type Setting<Declared> =
  Declared extends Variable<infer T, infer Default> ? ([Default] extends [string] ? T : T | undefined) : never;

export type Settings = { readonly [Name in keyof typeof ENVIRONMENT]: Setting<(typeof ENVIRONMENT)[Name]> };

/** `parse(raw)`, its refusal reported as a configuration error of `variable`. */
export function parseAs<Raw, Value>(variable: string, parse: (raw: Raw) => Value, raw: Raw): Value {
  try {
    return parse(raw);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: equivalent, the parsers throw nothing else
    if (error instanceof Refusal) throw new ConfigError(variable, error.message);
    throw error;
  }
}

/** Every variable's value: the environment's, else its default, parsed; undefined when unset without default. */
export function readEnvironment(env: Env): Settings {
  const settings: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(ENVIRONMENT)) {
    const given = env[name]?.trim();
    const raw =
      given === undefined || (given === '' && declaration.blankTurnsOff !== true) ? declaration.default : given;
    if (raw === undefined) continue;
    const parse: Parse<unknown> = declaration.parse;
    settings[name] = parseAs(name, parse, raw);
  }
  // The one cast: a loop over the declarations cannot show TypeScript that each name got its own declaration's
  // type, which Settings states; a variable with a default always got a value above.
  return settings as Settings;
}
