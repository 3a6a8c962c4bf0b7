// A stand-in identity provider on loopback, over HTTP or TLS: RS256 and ES256 signing keys, a JWKS endpoint
// that can rotate its keys, hold its answer or fail as endpoints do (JwksAnswer), and a count of its fetches.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'agno-api';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function signingKey(kid: string, alg: 'RS256' | 'ES256'): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, privateKey, publicKey };
}

/**
 * What the JWKS endpoint answers: the key set, or one way of failing — 503 (down), JSON that is no key set
 * (garbage), a body that is no JSON at all (not-json), headers and then nothing more (hang), the connection
 * closed halfway through (cut), or the key set padded to over a mebibyte (oversize).
 */
export type JwksAnswer = 'keys' | 'down' | 'garbage' | 'not-json' | 'hang' | 'cut' | 'oversize';

export interface IdentityProvider {
  jwksUrl: string;
  /** The keys the JWKS endpoint publishes; replace to rotate. */
  published: SigningKey[];
  /** What the endpoint answers ('keys' unless set). */
  answer: JwksAnswer;
  /** The status the key set is answered with (200 unless set). */
  status: number;
  /** When true the endpoint redirects to another path that serves the key set. */
  redirect: boolean;
  /** When true the endpoint answers only once release() is called. */
  held: boolean;
  release(): void;
  /** Answers left hanging whose connection is still open. */
  hanging: number;
  fetches: number;
  sign(key: SigningKey, claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** The certificate a provider started with `tls` serves (127.0.0.1 and localhost, self-signed, for tests only). */
export const TLS_CERTIFICATE = readFileSync(new URL('./tls/localhost-cert.pem', import.meta.url), 'utf8');

export async function startIdentityProvider(
  published: SigningKey[],
  { tls = false }: { tls?: boolean } = {},
): Promise<IdentityProvider> {
  let released = Promise.withResolvers<void>();
  const serve: RequestListener = async (request, response) => {
    provider.fetches++;
    if (provider.held) await released.promise;
    if (provider.redirect && request.url !== '/moved') {
      response.writeHead(302, { location: '/moved' }).end();
      return;
    }
    const json = { 'content-type': 'application/json' };
    switch (provider.answer) {
      case 'down':
        response.writeHead(503).end();
        return;
      case 'garbage':
        response.writeHead(200, json).end('{"not":"a key set"}');
        return;
      case 'not-json':
        response.writeHead(200, json).end('<html>not a key set</html>');
        return;
      case 'hang':
        provider.hanging++;
        response.on('close', () => provider.hanging--);
        response.writeHead(200, json).write('{"keys":');
        return;
      case 'cut':
        response.writeHead(200, { ...json, 'content-length': '1000' }).write('{"keys":');
        setTimeout(() => response.destroy(), 20);
        return;
    }
    const keys = await Promise.all(
      provider.published.map(async (key) => ({
        ...(await exportJWK(key.publicKey)),
        kid: key.kid,
        alg: key.alg,
        use: 'sig',
      })),
    );
    const padding = provider.answer === 'oversize' ? { padding: 'x'.repeat(1 << 20) } : {};
    response.writeHead(provider.status, json).end(JSON.stringify({ keys, ...padding }));
  };
  const server = tls
    ? createTlsServer(
        { cert: TLS_CERTIFICATE, key: readFileSync(new URL('./tls/localhost-key.pem', import.meta.url)) },
        serve,
      )
    : createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const provider: IdentityProvider = {
    jwksUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/.well-known/jwks.json`,
    published,
    answer: 'keys',
    status: 200,
    redirect: false,
    held: false,
    release: () => {
      released.resolve();
      released = Promise.withResolvers<void>();
    },
    hanging: 0,
    fetches: 0,
    sign: (key, claims = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        sub: 'alice',
        scopes: ['learnings:write'],
        iss: ISSUER,
        aud: AUDIENCE,
        iat: now,
        exp: now + 600,
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .sign(key.privateKey);
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return provider;
}
