// Verified tokens are remembered per container, and that memory never outlives a token or grows
// without bound.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEV_JWT_SECRET, signToken } from '../../dev/tokens.ts';
import { createTokenVerifier } from '../../lib/auth.ts';
import { loadConfig } from '../../lib/config.ts';

const jwt = () => loadConfig({ JWT_ALGORITHMS: 'HS256', JWT_VERIFICATION_KEY: DEV_JWT_SECRET }).jwt;
afterEach(() => vi.useRealTimers());

describe('the verified-token cache', () => {
  it('serves a token seen before without checking its signature again', async () => {
    const verify = createTokenVerifier(jwt());
    const token = await signToken({ sub: 'alice' });
    const subtle = vi.spyOn(crypto.subtle, 'verify');
    await verify(token);
    await verify(token);
    await verify(token);
    expect(subtle).toHaveBeenCalledTimes(1);
    subtle.mockRestore();
  });

  it('never serves a token past its expiry (and leeway), even when it was verified before', async () => {
    const verify = createTokenVerifier(jwt());
    const token = await signToken({ sub: 'alice', expiresIn: 30 });
    await verify(token);
    vi.useFakeTimers({ now: Date.now() + 45_000 });
    await expect(verify(token)).rejects.toThrow('Token has expired');
  });

  it('checks the signature again five minutes after it last did', async () => {
    const verify = createTokenVerifier(jwt());
    const token = await signToken({ sub: 'alice', expiresIn: 3600 });
    await verify(token);
    vi.useFakeTimers({ now: Date.now() + 6 * 60_000 });
    const subtle = vi.spyOn(crypto.subtle, 'verify');
    await verify(token);
    expect(subtle).toHaveBeenCalledTimes(1);
    subtle.mockRestore();
  });

  it('holds at most 1000 tokens: the oldest is verified again after 1000 others', async () => {
    const verify = createTokenVerifier(jwt());
    const tokens = await Promise.all(
      Array.from({ length: 1001 }, (_, i) => signToken({ sub: 'alice', extraClaims: { jti: String(i) } })),
    );
    for (const token of tokens) await verify(token);
    const subtle = vi.spyOn(crypto.subtle, 'verify');
    await verify(tokens[1000] ?? '');
    await verify(tokens[1] ?? '');
    expect(subtle).toHaveBeenCalledTimes(0);
    await verify(tokens[0] ?? '');
    expect(subtle).toHaveBeenCalledTimes(1);
    subtle.mockRestore();
  });

  it('serves a token up to exactly five minutes after verifying it, and not a millisecond longer', async () => {
    const start = Date.now();
    vi.useFakeTimers({ now: start });
    const verify = createTokenVerifier(jwt());
    const token = await signToken({ sub: 'alice', expiresIn: 3600 });
    await verify(token);
    const subtle = vi.spyOn(crypto.subtle, 'verify');
    vi.setSystemTime(start + 5 * 60_000);
    await verify(token);
    expect(subtle).toHaveBeenCalledTimes(0);
    vi.setSystemTime(start + 5 * 60_000 + 1);
    await verify(token);
    expect(subtle).toHaveBeenCalledTimes(1);
    subtle.mockRestore();
  });

  it('serves a token from the cache until its expiry plus leeway, and refuses it from that second', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000;
    vi.useFakeTimers({ now: start });
    const verify = createTokenVerifier(jwt());
    const token = await signToken({ sub: 'alice', expiresIn: 30 });
    await verify(token);
    const subtle = vi.spyOn(crypto.subtle, 'verify');
    // exp is start + 30 s; the leeway is 10 s.
    vi.setSystemTime(start + 40_000 - 1);
    await verify(token);
    expect(subtle).toHaveBeenCalledTimes(0);
    vi.setSystemTime(start + 40_000);
    await expect(verify(token)).rejects.toThrow('Token has expired');
    subtle.mockRestore();
  });

  it('refuses a token issued in the future beyond the leeway, and accepts one just within it', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000;
    vi.useFakeTimers({ now: start });
    const verify = createTokenVerifier(jwt());
    const issuedIn = (seconds: number) => signToken({ sub: 'alice', extraClaims: { iat: start / 1000 + seconds } });
    await expect(verify(await issuedIn(10))).resolves.toMatchObject({ sub: 'alice' });
    await expect(verify(await issuedIn(11))).rejects.toThrow('Invalid token');
  });

  it('never caches a refusal: a forged token is refused every time', async () => {
    const verify = createTokenVerifier(jwt());
    const forged = await signToken({ sub: 'alice', secret: 'another-secret-that-is-long-enough-0123456789' });
    await expect(verify(forged)).rejects.toThrow('Invalid token');
    await expect(verify(forged)).rejects.toThrow('Invalid token');
  });
});

describe('createTokenVerifier', () => {
  it('refuses to exist where API Gateway verifies the tokens', () => {
    expect(() => createTokenVerifier(loadConfig({ JWT_CLAIMS_FROM_API_GATEWAY: 'true' }).jwt)).toThrow(
      /API Gateway verifies tokens/,
    );
  });
});
