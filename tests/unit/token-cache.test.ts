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
    expect(subtle).toHaveBeenCalledTimes(0);
    await verify(tokens[0] ?? '');
    expect(subtle).toHaveBeenCalledTimes(1);
    subtle.mockRestore();
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
