// Who is calling: the bearer token is verified here (jose), and its claims become a Principal.
// Every failure is a 401 with a short, stable detail: no library message or token content leaks out
// (a 503 when the identity provider's keys are out of reach).

import { createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeJwt,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { AuthorizationConfig, JwtAlgorithm, JwtConfig, JwtKeySource } from './config.ts';
import { AppError, ForbiddenError, UnauthenticatedError } from './errors.ts';
import { createRemoteKeySet } from './jwks.ts';

export interface Principal {
  userId: string;
  scopes: readonly string[];
  isAdmin: boolean;
}

export type TokenVerifier = ((token: string) => Promise<JWTPayload>) & {
  /**
   * Gets a remote JWKS before the first token needs it. Never fails: what is not ready then is done on
   * demand. A configured key or JWKS file needs no preparing: its import on the first token is quick.
   */
  prepare(): Promise<void>;
};

/** Longer tokens are refused before any parsing: no identity provider issues 8 KB bearer tokens. */
export const MAX_TOKEN_LENGTH = 8192;
// RFC 6750 b64token after the scheme and one or more spaces, and nothing after it (the header is trimmed);
// a JWT is three base64url parts.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const HMAC_HASH = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' } as const;

export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new UnauthenticatedError('Authorization header missing');
  }
  const trimmed = authorization.trim();
  if (!/^bearer(?: |$)/i.test(trimmed)) {
    throw new UnauthenticatedError('Authorization header must use the Bearer scheme');
  }
  const token = BEARER.exec(trimmed)?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) throw new UnauthenticatedError('Invalid token');
  return token;
}

/**
 * Verifies signature, algorithm, exp (required), nbf, iat, iss and the audience. Keys are imported once per
 * algorithm and reused: importing a key costs more than verifying a signature with it.
 */
export function createTokenVerifier(jwt: JwtConfig): TokenVerifier {
  const { keySource } = jwt;
  if (keySource.kind === 'api-gateway') {
    throw new Error('JWT_CLAIMS_FROM_API_GATEWAY is set: API Gateway verifies tokens, not the handler');
  }
  const { getKey, prepare } = keyResolver(keySource);
  const options = {
    algorithms: jwt.algorithms,
    clockTolerance: jwt.leewaySeconds,
    requiredClaims: ['exp'],
    // jose checks no issuer when this is undefined.
    issuer: jwt.issuer,
  };
  const verified = new VerifiedTokenCache();
  const verify = async (token: string) => {
    const cached = verified.get(token, jwt.leewaySeconds);
    if (cached !== undefined) return cached;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, options));
    } catch (error) {
      throw tokenError(error);
    }
    // jose checks iat only against a maximum age (it has refused an iat that is not a number); a token
    // claiming to be issued in the future is forged or from a broken clock either way.
    if ((payload.iat ?? 0) > Date.now() / 1000 + jwt.leewaySeconds) {
      throw new UnauthenticatedError('Invalid token');
    }
    if (jwt.audience !== undefined && !audienceAccepted(payload, jwt.audience)) {
      throw new UnauthenticatedError('Invalid token');
    }
    verified.set(token, payload);
    return payload;
  };
  return Object.assign(verify, { prepare });
}

/**
 * Tokens already verified in this container, keyed by the whole token (signature included): agents send
 * the same token with every call until it expires, and checking its signature again costs more than the
 * rest of the request. A hit is served only while the token is unexpired and at most five minutes after
 * it was verified (so a key withdrawn from a JWKS stops working soon). Bounded: the oldest entry goes first.
 */
class VerifiedTokenCache {
  static readonly MAX_ENTRIES = 1000;
  static readonly MAX_AGE_MS = 5 * 60_000;
  readonly #entries = new Map<string, { payload: JWTPayload; verifiedAt: number }>();

  get(token: string, leewaySeconds: number): JWTPayload | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    const now = Date.now();
    const exp = entry.payload.exp ?? 0;
    // An entry past its time stays until it is verified again or the oldest goes: the map is bounded anyway.
    if (now - entry.verifiedAt > VerifiedTokenCache.MAX_AGE_MS || exp + leewaySeconds <= now / 1000) return undefined;
    return entry.payload;
  }

  set(token: string, payload: JWTPayload): void {
    if (this.#entries.size >= VerifiedTokenCache.MAX_ENTRIES) {
      // A full map has an oldest key: the first in insertion order.
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(token, { payload, verifiedAt: Date.now() });
  }
}

/**
 * API Gateway's JWT authorizer's rule: `aud` must hold a configured audience; a token without `aud` (a
 * Cognito access token) must name one in `client_id`. A token whose `aud` names others is refused whatever
 * its `client_id`.
 */
function audienceAccepted({ aud, client_id }: JWTPayload, audiences: readonly string[]): boolean {
  if (aud === undefined) return audiences.includes(client_id as string);
  return [aud].flat().some((audience) => audiences.includes(audience));
}

function keyResolver(keySource: Exclude<JwtKeySource, { kind: 'api-gateway' }>): {
  getKey: JWTVerifyGetKey;
  prepare(): Promise<void>;
} {
  switch (keySource.kind) {
    case 'jwks-file':
      return { getKey: createLocalJWKSet(keySource.jwks), prepare: async () => undefined };
    case 'jwks-url': {
      const keySet = createRemoteKeySet(keySource.url, keySource);
      return { getKey: keySet, prepare: keySet.prefetch };
    }
    default:
      // Importing one key is quick: the first token that needs it does, as with a JWKS file.
      return { getKey: importedKeys(keySource), prepare: async () => undefined };
  }
}

/** The configured key, imported once per algorithm on the first token that needs it, and kept. */
function importedKeys(
  keySource: { kind: 'secret'; secret: Uint8Array } | { kind: 'public-key'; pem: string },
): JWTVerifyGetKey {
  const keys = new Map<string, Promise<webcrypto.CryptoKey | KeyObject>>();
  const importKey = (algorithm: JwtAlgorithm): Promise<webcrypto.CryptoKey | KeyObject> =>
    keySource.kind === 'secret'
      ? // With a secret, every configured algorithm is an HS* one (lib/config/keys.ts refuses a mix). Not
        // extractable: nothing can read the secret back out of the key.
        crypto.subtle.importKey(
          'raw',
          keySource.secret,
          { name: 'HMAC', hash: HMAC_HASH[algorithm as keyof typeof HMAC_HASH] },
          false,
          ['verify'],
        )
      : // The configuration has read this PEM with node:crypto already (lib/config/keys.ts): jose verifies with
        // the KeyObject, and checks its type and curve against each token's algorithm.
        Promise.resolve(createPublicKey(keySource.pem));
  // jose has already refused any alg outside the allow-list before asking for a key.
  return (header) => {
    const algorithm = header.alg as JwtAlgorithm;
    let key = keys.get(algorithm);
    if (key === undefined) {
      // An import that failed would fail the same way again: its promise is kept like a key's.
      key = importKey(algorithm);
      keys.set(algorithm, key);
    }
    return key;
  };
}

function tokenError(error: unknown): AppError {
  // Our own failures (the identity provider's JWKS out of reach) keep their meaning.
  if (error instanceof AppError) return error;
  if (error instanceof joseErrors.JWTExpired) return new UnauthenticatedError('Token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
    return new UnauthenticatedError('Token is not yet valid');
  }
  return new UnauthenticatedError('Invalid token');
}

// Keycloak's `typ` of the tokens that are not access tokens (its access tokens say "Bearer").
const NOT_ACCESS_TYPES = ['ID', 'Refresh', 'Offline', 'Logout'];

/** The caller the claims describe. No user id means no caller: there are no unscoped requests. */
export function principalFromClaims(claims: JWTPayload, jwt: JwtConfig, authorization: AuthorizationConfig): Principal {
  // An ID token says who someone is to the app that signed them in; it grants no access to an API.
  if (
    (claims.token_use !== undefined && claims.token_use !== 'access') ||
    NOT_ACCESS_TYPES.includes(claims.typ as string)
  ) {
    throw new UnauthenticatedError('Token is not an access token');
  }
  const userId = claims[jwt.userIdClaim];
  if (typeof userId !== 'string' || userId.trim() === '') {
    throw new UnauthenticatedError('Token has no user id');
  }
  const scopes = jwt.scopesClaims.flatMap((name) => scopesFromClaim(claimValue(claims, name)));
  return { userId, scopes, isAdmin: scopes.includes(authorization.adminScope) };
}

/**
 * The claim named exactly `name`, or else the value at that dotted path through nested objects' own
 * properties (`realm_access.roles`), never into a string or an array. The configuration
 * (lib/config/environment.ts) refuses paths through `__proto__`, `constructor` and `prototype`.
 */
function claimValue(claims: JWTPayload, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function scopesFromClaim(claim: unknown): string[] {
  if (claim === undefined) return [];
  // Doubled spaces leave empty scopes, which match no configured scope (none may be blank).
  if (typeof claim === 'string') return claim.split(' ');
  if (Array.isArray(claim) && claim.every((scope) => typeof scope === 'string')) return claim;
  throw new UnauthenticatedError('Invalid token scopes');
}

/**
 * The claims of a token API Gateway's JWT authorizer verified (payload 2.0). The authorizer passes every
 * claim as a string, arrays as "[a b]" and objects as "map[k:v]": lossy (a role with a space in it) and
 * unreadable as a path. So the claims are read from the token itself, in the Authorization header the
 * authorizer verified (its identity source), and must agree with the authorizer's on iss, sub and exp.
 */
export function claimsFromApiGateway(
  authorization: string | undefined,
  authorizerClaims: Record<string, string | number | boolean | string[]> | undefined,
): JWTPayload {
  if (authorizerClaims === undefined) throw new UnauthenticatedError('Authorization header missing');
  const token = bearerToken(authorization);
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new UnauthenticatedError('Invalid token');
  }
  for (const name of ['iss', 'sub', 'exp']) {
    if (String(claims[name]) !== String(authorizerClaims[name])) throw new UnauthenticatedError('Invalid token');
  }
  return claims;
}

/** Admins may do anything; everyone else needs the write scope, when one is configured. */
export function requireWriteScope(principal: Principal, authorization: AuthorizationConfig): void {
  const { requiredScope } = authorization;
  if (principal.isAdmin || requiredScope === undefined || principal.scopes.includes(requiredScope)) return;
  throw new ForbiddenError(`Insufficient permissions. Required scope(s): ${requiredScope}`);
}
