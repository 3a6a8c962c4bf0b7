// Signs HS256 tokens with a development secret, for `npm start`, `npm run token` and the tests.
import { SignJWT } from 'jose';

/** Development only: printed by `npm start`, never used by a deployed stage. */
export const DEV_JWT_SECRET = 'local-development-secret-change-me-0123456789';
export const ADMIN_SCOPE = 'agent_os:admin';
export const WRITE_SCOPE = 'learnings:write';

export interface TokenOptions {
  sub?: unknown;
  scopes?: unknown;
  secret?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  extraClaims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

export function signToken({
  sub,
  scopes = [WRITE_SCOPE],
  secret = DEV_JWT_SECRET,
  expiresIn = 3600,
  extraClaims = {},
  header = {},
}: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { scopes, iat: now, exp: now + expiresIn, ...extraClaims };
  if (sub !== undefined) claims.sub = sub;
  return new SignJWT(claims as Record<string, never>)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
    .sign(new TextEncoder().encode(secret));
}
