// First in the pipeline, before anything reads the body or the database: a verified caller, or 401;
// a caller without the write scope, 403.
import type { MiddlewareObj } from '@middy/core';
import { bearerToken, createTokenVerifier, principalFromClaims, requireWriteScope } from '../../lib/auth.ts';
import type { Config } from '../../lib/config.ts';
import { type HttpEvent, type HttpResult, header, type RequestContext } from './types.ts';

export function authenticate(config: Config): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const verifyToken = createTokenVerifier(config.jwt);
  return {
    before: async (request) => {
      const claims = await verifyToken(bearerToken(header(request.event, 'authorization')));
      const principal = principalFromClaims(claims, config.jwt, config.authorization);
      request.context.principal = principal;
      requireWriteScope(principal, config.authorization);
    },
  };
}
