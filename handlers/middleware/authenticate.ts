// First in the pipeline, before anything reads the body or the database: a verified caller, or 401;
// a caller without the write scope, 403.
import type { MiddlewareObj } from '@middy/core';
import {
  bearerToken,
  claimsFromApiGateway,
  createTokenVerifier,
  principalFromClaims,
  requireWriteScope,
} from '../../lib/auth.ts';
import type { Config } from '../../lib/config.ts';
import { type HttpEvent, type HttpResult, header, type PipelineRequest, type RequestContext } from './http.ts';

export function authenticate(
  config: Config,
): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> & { keysReady: Promise<void> } {
  const trustApiGateway = config.jwt.keySource.kind === 'api-gateway';
  const verifyToken = trustApiGateway ? undefined : createTokenVerifier(config.jwt);
  // Started now, when the handler is built at init: the keys get ready before (or while) the first token
  // needs them. It never fails; the first token does on demand whatever is not ready.
  const keysReady = verifyToken?.prepare() ?? Promise.resolve();
  const authenticateBefore = async (request: PipelineRequest) => {
    const { event } = request;
    const authorization = header(event, 'authorization');
    const claims =
      verifyToken === undefined
        ? claimsFromApiGateway(authorization, event.requestContext.authorizer?.jwt?.claims)
        : await verifyToken(bearerToken(authorization));
    const principal = principalFromClaims(claims, config.jwt, config.authorization);
    request.context.principal = principal;
    requireWriteScope(principal, config.authorization);
  };
  return { before: authenticateBefore, keysReady };
}
