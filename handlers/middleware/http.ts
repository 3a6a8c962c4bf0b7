// The HTTP side of the pipeline: what the middlewares hand to each other on the Lambda context, and the
// helpers every stage shares to read a header and answer JSON.
import type { Request } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Principal } from '../../lib/auth.ts';
import type { AppError } from '../../lib/errors.ts';
import type { DynamoDbTiming } from '../../lib/learnings-repository.ts';
import type { BodyFormat, UpdateLearningCommand } from '../../lib/update-learning.ts';

/**
 * A payload 2.0 event. After the body parser, `body` holds the parsed JSON rather than text; with API
 * Gateway's JWT authorizer in front, the request context carries its claims.
 */
export type HttpEvent = Omit<APIGatewayProxyEventV2, 'body' | 'requestContext'> & {
  body?: unknown;
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { jwt?: { claims?: Record<string, string | number | boolean | string[]> } };
  };
};

export interface RequestContext extends Context {
  /** performance.now() when the request entered the pipeline, for the log's latency. */
  startedAt?: number;
  /** Set by authenticate. */
  principal?: Principal;
  /** The decoded body text, kept by requireJsonBody for number-exact parsing. */
  bodyText?: string;
  /** Set by requireJsonBody from the media type: how the body's changes are written. */
  format?: BodyFormat;
  /** Set by validateRequest. */
  command?: UpdateLearningCommand;
  /** What happened, for the request log. */
  outcome?: string;
  /** The record's version as answered, for the request log. */
  version?: number;
  /** Time spent in DynamoDB calls, added up by the repository, for the request log. */
  timing?: DynamoDbTiming;
  /** Set by errorEnvelope: the error its answer is made of, for the request log. */
  answeredError?: AppError;
}

export type HttpResult = APIGatewayProxyStructuredResultV2;

/** What each middleware hook of the pipeline is given. */
export type PipelineRequest = Request<HttpEvent, HttpResult, Error, RequestContext>;

/** Headers of an HTTP API payload 2.0 event are lower-case; other sources may not be. */
export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  // The direct lookup finds a payload 2.0 header; only a header in another case needs the scan.
  return headers[name] ?? headerInAnyCase(headers, name);
}

function headerInAnyCase(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const key in headers) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}
