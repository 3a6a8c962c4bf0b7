// Keys from an identity provider's remote JWKS (Cognito, Auth0, any OIDC issuer), cached per container.
// Unlike jose's own remote set, a failed refresh never throws away keys that worked: when the JWKS
// endpoint is down, tokens signed with known keys keep verifying; only a token whose key was never seen
// waits for the endpoint.
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, errors as joseErrors } from 'jose';
import { ServiceUnavailableError } from './errors.ts';

export interface RemoteKeySetOptions {
  /** Deadline of one fetch of the JWKS. */
  timeoutMs: number;
  /** An unknown kid triggers a refetch at most once per this period. */
  cooldownMs: number;
  /** Keys older than this are refreshed in the background while still in use. */
  maxAgeMs: number;
}

/** No identity provider publishes a key set anywhere near this size. */
export const MAX_JWKS_BYTES = 1024 * 1024;

export class JwksUnavailableError extends ServiceUnavailableError {
  override readonly name: string = 'JwksUnavailableError';
}

/** The key set, and a way to fetch it ahead of the first token (at init), failures left to that token. */
export type RemoteKeySet = JWTVerifyGetKey & { prefetch(): Promise<void> };

export function createRemoteKeySet(url: URL, options: RemoteKeySetOptions): RemoteKeySet {
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    pending ??= (async () => {
      attemptedAt = Date.now();
      try {
        // createLocalJWKSet refuses a document that is not a key set.
        keys = createLocalJWKSet((await getJson(url, options.timeoutMs)) as JSONWebKeySet);
        fetchedAt = Date.now();
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (keys === undefined) {
      try {
        await refresh();
      } catch (error) {
        // The cause is logged with the 503.
        throw new JwksUnavailableError({ cause: error });
      }
    }
    const now = Date.now();
    if (now - fetchedAt > options.maxAgeMs && now - attemptedAt > options.cooldownMs) {
      refresh().catch(() => undefined);
    }
    const current = keys as NonNullable<typeof keys>;
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - attemptedAt < options.cooldownMs)
        throw error;
      // A kid we have not seen: the provider may have rotated its keys.
      await refresh().catch(() => undefined);
      return (keys ?? current)(header, token);
    }
  };
  // A failed prefetch leaves no keys: the first token then fetches them itself, as without a prefetch.
  return Object.assign(getKey, { prefetch: () => refresh().catch(() => undefined) });
}

/**
 * GETs a JSON document within a deadline and MAX_JWKS_BYTES: a 200 answer only, no redirect followed. With
 * Node's own HTTP client, which the DynamoDB client has loaded already: a first fetch() would set up undici's
 * client and compile its HTTP parser on the first request's clock (bench/README.md).
 */
function getJson(url: URL, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? httpsGet : httpGet;
    const request = get(url, { headers: { accept: 'application/json, application/jwk-set+json' } }, (response) => {
      if (response.statusCode !== 200) return fail(new Error(`JWKS answered ${response.statusCode}`));
      response.on('error', fail);
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_JWKS_BYTES) return fail(new Error(`JWKS larger than ${MAX_JWKS_BYTES} bytes`));
        chunks.push(chunk);
      });
      response.on('end', () => {
        // No timer is left behind to keep the process alive.
        clearTimeout(deadline);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error);
        }
      });
    });
    const deadline = setTimeout(() => fail(new Error(`JWKS did not answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(deadline);
      request.destroy();
      reject(error);
    };
    request.on('error', fail);
  });
}
