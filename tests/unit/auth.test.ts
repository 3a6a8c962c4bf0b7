// The configured verification key, and the principal a token's claims describe, in isolation.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEV_JWT_SECRET, signToken } from '../../dev/tokens.ts';
import { createTokenVerifier, principalFromClaims } from '../../lib/auth.ts';
import { loadConfig } from '../../lib/config.ts';

const config = () => loadConfig({ JWT_ALGORITHMS: 'HS256', JWT_VERIFICATION_KEY: DEV_JWT_SECRET });
afterEach(() => vi.restoreAllMocks());

describe('the configured secret', () => {
  it('is imported once, by the first token, and the key reused for every token after it', async () => {
    // Different tokens, so that none is served from the verified-token cache; signed first, as signing
    // imports the secret too.
    const tokens = await Promise.all(['alice', 'bob', 'carol'].map((sub) => signToken({ sub })));
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    const verify = createTokenVerifier(config().jwt);
    await verify.prepare();
    expect(importKey).toHaveBeenCalledTimes(0);
    for (const token of tokens) await verify(token);
    expect(importKey).toHaveBeenCalledTimes(1);
  });

  it('is imported as a key nothing can read the secret back out of', async () => {
    const token = await signToken({ sub: 'alice' });
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    await createTokenVerifier(config().jwt)(token);
    expect(importKey).toHaveBeenCalledTimes(1);
    const key = await importKey.mock.results[0]?.value;
    expect(key.type).toBe('secret');
    expect(key.extractable).toBe(false);
  });
});

describe('the principal', () => {
  it('holds no scope when the token has no scopes claim', () => {
    const { jwt, authorization } = config();
    const principal = principalFromClaims({ sub: 'alice' }, jwt, authorization);
    expect(principal).toEqual({ userId: 'alice', scopes: [], isAdmin: false });
  });
});
