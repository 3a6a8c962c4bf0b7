// Outermost middleware: every failure becomes the contract's {detail, error_code} envelope with its
// status and headers, nothing escapes the handler (serverless-offline would answer an escaped exception
// with a 200), and each request gets its one log line (lib/log.ts): every request with LOG_REQUESTS=all
// (the default), refusals and failures with errors (the rest, their metrics only), nothing with none.
import type { MiddlewareObj } from '@middy/core';
import { invocationTraceHeader, type RequestLogging } from '../../lib/config.ts';
import {
  AppError,
  InternalServerError,
  PreconditionFailedError,
  ServiceUnavailableError,
  ValidationError,
} from '../../lib/errors.ts';
import { createRequestLogger, traceRoot } from '../../lib/log.ts';
import { type HttpEvent, type HttpResult, jsonResponse, type PipelineRequest, type RequestContext } from './http.ts';

// The first request of a container is its cold start.
let coldStart = true;

export function errorEnvelope(options: {
  log: RequestLogging;
  /** Lambda's application log level (config.logLevel). */
  logLevel: string | undefined;
}): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const logRequest = createRequestLogger(options.logLevel);
  const writeLine = (
    request: PipelineRequest,
    status: number,
    outcome: string,
    cause: unknown,
    wasCold: boolean,
    answeredAt: number,
  ) => {
    const { event, context } = request;
    logRequest(
      {
        requestId: context.awsRequestId,
        apiRequestId: event.requestContext?.requestId,
        traceId: traceRoot(invocationTraceHeader()),
        coldStart: wasCold,
        learningId: event.pathParameters?.learning_id,
        dbId: event.queryStringParameters?.db_id,
        table: context.command?.table,
        userId: context.principal?.userId,
        admin: context.principal?.isAdmin,
        status,
        outcome,
        version: context.version,
        latencyMs: milliseconds(answeredAt - (context.startedAt ?? answeredAt)),
        dynamoDbMs: context.timing?.dynamoDbMs === undefined ? undefined : milliseconds(context.timing.dynamoDbMs),
        cause: cause instanceof Error ? { name: cause.name, message: cause.message } : undefined,
      },
      // Stryker disable next-line EqualityOperator: equivalent, no answer of this service has status 400
      options.log === 'all' || status >= 400,
    );
  };
  const log = (request: PipelineRequest, status: number, outcome: string, cause?: unknown) => {
    const wasCold = coldStart;
    coldStart = false;
    if (options.log === 'none') return;
    // The line is built and written once the answer is on its way, not on the caller's clock: Lambda's Node
    // runtime sends an async handler's answer as its promise settles, then lets the event loop run before it
    // asks for the next event (and _X_AMZN_TRACE_ID still names this invocation's trace until then).
    setImmediate(writeLine, request, status, outcome, cause, wasCold, performance.now());
  };
  const errorEnvelopeBefore = (request: PipelineRequest) => {
    request.context.startedAt = performance.now();
  };
  const errorEnvelopeAfter = (request: PipelineRequest) => {
    // Only answers the handler gave reach here: its one answer, a 200 with the outcome set.
    // Stryker disable next-line StringLiteral: never used, the handler sets the outcome of every answer
    log(request, 200, request.context.outcome ?? 'updated');
  };
  const errorEnvelopeOnError = (request: PipelineRequest) => {
    const error = toAppError(request.error);
    const body: Record<string, unknown> = { detail: error.message, error_code: error.errorCode };
    if (error instanceof ValidationError && error.errors.length > 0) body.errors = error.errors;
    request.response = jsonResponse(error.statusCode, body, { ...error.headers });
    // Stryker disable next-line ConditionalExpression: equivalent, only a success sets context.version, so any other error logs no version either way
    if (error instanceof PreconditionFailedError) request.context.version = error.version;
    log(
      request,
      error.statusCode,
      error.errorCode,
      error.statusCode >= 500 ? (error.cause ?? request.error) : undefined,
    );
  };
  // Named hooks: Middy's plugin hooks (and a profiler) tell the stages apart by these names.
  return { before: errorEnvelopeBefore, after: errorEnvelopeAfter, onError: errorEnvelopeOnError };
}

interface MiddyHttpError extends Error {
  statusCode: number;
  cause?: { package?: string; data?: unknown };
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isMiddyBodyParserError(error)) {
    // The parser refuses __proto__ itself; its other refusals are all malformed JSON (it checks no media
    // type: requireJsonBody did).
    if (error.message === 'Forbidden key in JSON body') {
      // Stryker disable next-line OptionalChaining: equivalent, the parser's errors always carry a cause
      return new ValidationError(`Key '${String(error.cause?.data)}' is not allowed`, [
        { path: 'body', message: 'forbidden key' },
      ]);
    }
    return new ValidationError('Request body is not valid JSON', [{ path: 'body', message: 'invalid JSON' }]);
  }
  // Middy's early timeout, just before the Lambda's own: DynamoDB did not answer in time. (No cause to
  // carry: the log line falls back to the error itself.)
  if (error instanceof Error && error.name === 'TimeoutError') return new ServiceUnavailableError();
  return new InternalServerError();
}

function isMiddyBodyParserError(error: unknown): error is MiddyHttpError {
  // Stryker disable next-line ConditionalExpression: equivalent, nothing this pipeline throws that is not an Error has a cause.package
  return error instanceof Error && (error as MiddyHttpError).cause?.package === '@middy/http-json-body-parser';
}

function milliseconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}
