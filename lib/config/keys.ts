// The token settings that need more than a variable's own parse: the algorithms, taken together, and where
// the verification keys come from (a key, a JWKS URL, a JWKS file, or API Gateway), checked against them.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { ConfigError, type Env, readEnvironment, type Settings } from './environment.ts';

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

// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
const MIN_SECRET_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
// The key type each public-key algorithm family requires.
const KEY_TYPE_BY_PREFIX: Record<string, string> = { RS: 'rsa', PS: 'rsa', ES: 'ec', Ed: 'ed25519' };

const SUPPORTED_ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...PUBLIC_KEY_ALGORITHMS];
const isSupportedAlgorithm = (name: string): name is JwtAlgorithm => SUPPORTED_ALGORITHMS.includes(name);

export function parseAlgorithms(names: readonly string[]): JwtAlgorithm[] {
  if (names.length === 0) throw new ConfigError('JWT_ALGORITHMS', 'must name at least one algorithm');
  const algorithms: JwtAlgorithm[] = [];
  for (const name of names) {
    if (!isSupportedAlgorithm(name)) {
      throw new ConfigError(
        'JWT_ALGORITHMS',
        `has unsupported algorithm '${name}' (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`,
      );
    }
    algorithms.push(name);
  }
  const hmac = algorithms.filter(isHmacAlgorithm);
  // One key cannot safely serve both families: that mix is what HS/RS key-confusion attacks exploit.
  if (hmac.length > 0 && hmac.length < algorithms.length) {
    throw new ConfigError('JWT_ALGORITHMS', 'must not mix HMAC (HS*) and public-key algorithms');
  }
  return algorithms;
}

export function isHmacAlgorithm(algorithm: string): boolean {
  return algorithm.startsWith('HS');
}

const KEY_VARIABLES = ['JWT_VERIFICATION_KEY', 'JWT_JWKS_URL', 'JWT_JWKS_FILE'] as const;

/** The key variables that are set, each with its text. */
function givenKeyVariables(settings: Settings) {
  return KEY_VARIABLES.flatMap((name) => {
    const value = settings[name];
    return value === undefined ? [] : [{ name, value }];
  });
}

/** Whether the environment names where verification keys come from (or hands that to API Gateway). */
export function namesKeySource(env: Env): boolean {
  const settings = readEnvironment(env);
  return settings.JWT_CLAIMS_FROM_API_GATEWAY || givenKeyVariables(settings).length > 0;
}

export function parseKeySource(settings: Settings, algorithms: readonly JwtAlgorithm[]): JwtKeySource {
  if (settings.JWT_CLAIMS_FROM_API_GATEWAY) return { kind: 'api-gateway' };
  const given = givenKeyVariables(settings);
  const [source] = given;
  if (source === undefined || given.length > 1) {
    throw new ConfigError(
      'JWT_VERIFICATION_KEY',
      source === undefined
        ? 'is required (or JWT_JWKS_URL, or JWT_JWKS_FILE)'
        : `conflicts: set only one of ${given.map(({ name }) => name).join(', ')}`,
    );
  }
  if (source.name === 'JWT_VERIFICATION_KEY') return parseVerificationKey(source.value, algorithms);
  // A key set may hold symmetric ("oct") keys; HMAC with keys from a shared document is key confusion.
  // Stryker disable next-line MethodExpression: equivalent, a mix was refused above: some is every here
  if (algorithms.some(isHmacAlgorithm)) {
    throw new ConfigError('JWT_ALGORITHMS', `must be public-key algorithms with ${source.name}`);
  }
  return source.name === 'JWT_JWKS_URL' ? parseJwksUrl(source.value, settings) : parseJwksFile(source.value);
}

function parseJwksUrl(raw: string, settings: Settings): JwtKeySource {
  if (!URL.canParse(raw)) throw new ConfigError('JWT_JWKS_URL', `must be a URL, got '${raw}'`);
  const url = new URL(raw);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('JWT_JWKS_URL', 'must use https (plain http only on a loopback address)');
  }
  return {
    kind: 'jwks-url',
    url,
    timeoutMs: settings.JWT_JWKS_TIMEOUT_MS,
    cooldownMs: 1000 * settings.JWT_JWKS_COOLDOWN_SECONDS,
    maxAgeMs: 1000 * settings.JWT_JWKS_CACHE_SECONDS,
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
