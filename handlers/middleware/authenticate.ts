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

/** The middleware, and `prepared`: settles once the verification keys are ready (or could not be made so). */
export function authenticate(
  config: Config,
): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> & { prepared: Promise<void> } {
  const trustApiGateway = config.jwt.keySource.kind === 'api-gateway';
  const verifyToken = trustApiGateway ? undefined : createTokenVerifier(config.jwt);
  const authenticateBefore = async (request: PipelineRequest) => {
    const { event } = request;
    const claims =
      verifyToken === undefined
        ? claimsFromApiGateway(event.requestContext.authorizer?.jwt?.claims)
        : await verifyToken(bearerToken(header(event, 'authorization')));
    const principal = principalFromClaims(claims, config.jwt, config.authorization);
    request.context.principal = principal;
    requireWriteScope(principal, config.authorization);
  };
  return { before: authenticateBefore, prepared: verifyToken?.prepare() ?? Promise.resolve() };
}
