// A stand-in identity provider on loopback: RS256 and ES256 signing keys, a JWKS endpoint that can
// rotate its keys or go down, and a count of how often it was fetched.
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

export interface IdentityProvider {
  jwksUrl: string;
  /** The keys the JWKS endpoint publishes; replace to rotate. */
  published: SigningKey[];
  /** When true the endpoint answers 503. */
  down: boolean;
  /** When true the endpoint answers 200 with JSON that is not a key set. */
  garbage: boolean;
  /** The status the key set is answered with (200 unless set). */
  status: number;
  /** When true the endpoint redirects to another path that serves the key set. */
  redirect: boolean;
  /** When true the endpoint sends its headers, then nothing more. */
  hang: boolean;
  /** Answers left hanging whose connection is still open. */
  hanging: number;
  /** When true the endpoint closes the connection halfway through the key set. */
  cut: boolean;
  /** When true the endpoint answers 200 with a body that is not JSON. */
  notJson: boolean;
  /** When true the key set is answered only once release() is called. */
  held: boolean;
  release(): void;
  /** When true the key set comes padded to over a mebibyte. */
  oversize: boolean;
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
    if (provider.down) {
      response.writeHead(503).end();
      return;
    }
    if (provider.hang) {
      provider.hanging++;
      response.on('close', () => provider.hanging--);
      response.writeHead(200, { 'content-type': 'application/json' }).write('{"keys":');
      return;
    }
    if (provider.cut) {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' }).write('{"keys":');
      setTimeout(() => response.destroy(), 20);
      return;
    }
    if (provider.notJson) {
      response.writeHead(200, { 'content-type': 'application/json' }).end('<html>not a key set</html>');
      return;
    }
    if (provider.garbage) {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a key set"}');
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
    const padding = provider.oversize ? { padding: 'x'.repeat(1 << 20) } : {};
    response
      .writeHead(provider.status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys, ...padding }));
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
    down: false,
    garbage: false,
    status: 200,
    redirect: false,
    hang: false,
    hanging: 0,
    cut: false,
    notJson: false,
    held: false,
    release: () => {
      released.resolve();
      released = Promise.withResolvers<void>();
    },
    oversize: false,
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
