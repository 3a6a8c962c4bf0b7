// The remote key set in isolation, against a JWKS endpoint on loopback: what it asks for, the cause it
// gives a 503 (logged with it), its size cap, the timers it leaves, and when it fetches again.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type FlattenedJWSInput } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRemoteKeySet, JwksUnavailableError, MAX_JWKS_BYTES, type RemoteKeySetOptions } from '../../lib/jwks.ts';
import { signingKey } from '../support/identity-provider.ts';

const rsa = signingKey('rsa-1', 'RS256');
let keySetText = '';
/** What the endpoint answers next: the key set (padded to a length when asked), a status, or nothing. */
let answer: { status: number; length?: number } | 'hang' = { status: 200 };
let fetches = 0;
let headers: IncomingHttpHeaders = {};
const server = createServer((request, response) => {
  fetches++;
  headers = request.headers;
  if (answer === 'hang') return void response.writeHead(200).write('{"keys":');
  const { status, length } = answer;
  const padding = length === undefined ? '' : ' '.repeat(length - keySetText.length);
  response.writeHead(status, { 'content-type': 'application/json' }).end(keySetText + padding);
});
let url: URL;

beforeAll(async () => {
  keySetText = JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: rsa.kid, alg: rsa.alg }] });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  answer = { status: 200 };
  fetches = 0;
});
afterEach(() => vi.useRealTimers());

const options = (overrides: Partial<RemoteKeySetOptions> = {}): RemoteKeySetOptions => ({
  timeoutMs: 2000,
  cooldownMs: 60_000,
  maxAgeMs: 600_000,
  ...overrides,
});
const token = { payload: '', signature: '' } as FlattenedJWSInput;
const keyFor = async (keySet: ReturnType<typeof createRemoteKeySet>, kid = rsa.kid) =>
  keySet({ alg: 'RS256', kid }, token);
/** The cause a first token's 503 carries, and the request log shows. */
const causeOfFailure = async (keySet: ReturnType<typeof createRemoteKeySet>) => {
  const error = await keyFor(keySet).catch((failure: unknown) => failure);
  expect(error).toBeInstanceOf(JwksUnavailableError);
  return ((error as Error).cause as Error).message;
};
/** Long enough for a fetch that was started to reach the endpoint. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('the remote key set', () => {
  it('asks for JSON or a JWK set', async () => {
    await createRemoteKeySet(url, options()).prefetch();
    expect(headers.accept).toBe('application/json, application/jwk-set+json');
  });

  it("gives a 503 the endpoint's failure as its cause: a status, a deadline, a size", async () => {
    answer = { status: 500 };
    expect(await causeOfFailure(createRemoteKeySet(url, options()))).toBe('JWKS answered 500');
    answer = 'hang';
    expect(await causeOfFailure(createRemoteKeySet(url, options({ timeoutMs: 100 })))).toBe(
      'JWKS did not answer within 100 ms',
    );
    answer = { status: 200, length: MAX_JWKS_BYTES + 1 };
    expect(await causeOfFailure(createRemoteKeySet(url, options()))).toBe(`JWKS larger than ${MAX_JWKS_BYTES} bytes`);
  });

  it('takes a key set of exactly the size cap', async () => {
    answer = { status: 200, length: MAX_JWKS_BYTES };
    await expect(keyFor(createRemoteKeySet(url, options()))).resolves.toMatchObject({ type: 'public' });
  });

  it('leaves no deadline timer behind, whether the fetch succeeds or fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await createRemoteKeySet(url, options()).prefetch();
    expect(vi.getTimerCount()).toBe(0);
    answer = { status: 500 };
    await createRemoteKeySet(url, options()).prefetch();
    expect(fetches).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['keys in the background once they are older than their maximum age, not at it', { maxAgeMs: 1000, cooldownMs: 0 }],
    ['stale keys at most once per cool-down: once it is over, not at its end', { maxAgeMs: 0, cooldownMs: 1000 }],
  ])('refreshes %s', async (_name, limits) => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    const keySet = createRemoteKeySet(url, options(limits));
    await keySet.prefetch();
    vi.setSystemTime(start + 1000);
    await keyFor(keySet);
    await settle();
    expect(fetches).toBe(1);
    vi.setSystemTime(start + 1001);
    await keyFor(keySet);
    await expect.poll(() => fetches).toBe(2);
  });

  it('fetches again for an unknown kid once the cool-down has run its length, not a millisecond sooner', async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    const keySet = createRemoteKeySet(url, options({ cooldownMs: 1000 }));
    await keySet.prefetch();
    vi.setSystemTime(start + 999);
    await expect(keyFor(keySet, 'unknown')).rejects.toThrow();
    expect(fetches).toBe(1);
    vi.setSystemTime(start + 1000);
    await expect(keyFor(keySet, 'unknown')).rejects.toThrow();
    expect(fetches).toBe(2);
  });
});
