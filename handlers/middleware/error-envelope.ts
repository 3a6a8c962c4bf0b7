// Outermost middleware: every failure becomes the contract's {detail, error_code} envelope with its
// status and headers, nothing escapes the handler (serverless-offline would answer an escaped exception
// with a 200), and each request is logged at most once, as LOG_REQUESTS says.
import type { MiddlewareObj } from '@middy/core';
import type { RequestLogging } from '../../lib/config.ts';
import { AppError, InternalServerError, ServiceUnavailableError, ValidationError } from '../../lib/errors.ts';
import { logRequest } from '../../lib/log.ts';
import { type HttpEvent, type HttpResult, jsonResponse, type PipelineRequest, type RequestContext } from './http.ts';

export function errorEnvelope(options: {
  log: RequestLogging;
}): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const log = (
    request: { event: HttpEvent; context: RequestContext },
    status: number,
    outcome: string,
    cause?: unknown,
  ) => {
    if (options.log === 'none') return;
    const { event, context } = request;
    logRequest({
      requestId: context.awsRequestId ?? event.requestContext?.requestId,
      learningId: event.pathParameters?.learning_id,
      userId: context.principal?.userId,
      status,
      outcome,
      latencyMs: Math.round((performance.now() - (context.startedAt ?? performance.now())) * 1000) / 1000,
      cause: cause instanceof Error ? { name: cause.name, message: cause.message } : undefined,
    });
  };
  const errorEnvelopeBefore = (request: PipelineRequest) => {
    request.context.startedAt = performance.now();
  };
  const errorEnvelopeAfter = (request: PipelineRequest) => {
    // Only answers the handler gave reach here: successes, logged when every request is.
    if (options.log === 'all') log(request, request.response?.statusCode ?? 200, request.context.outcome ?? 'ok');
  };
  const errorEnvelopeOnError = (request: PipelineRequest) => {
    const error = toAppError(request.error);
    const body: Record<string, unknown> = { detail: error.message, error_code: error.errorCode };
    if (error instanceof ValidationError && error.errors.length > 0) body.errors = error.errors;
    request.response = jsonResponse(error.statusCode, body, { ...error.headers });
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
      return new ValidationError(`Key '${String(error.cause?.data)}' is not allowed`, [
        { path: 'body', message: 'forbidden key' },
      ]);
    }
    return new ValidationError('Request body is not valid JSON', [{ path: 'body', message: 'invalid JSON' }]);
  }
  // Middy's early timeout, just before the Lambda's own: DynamoDB did not answer in time.
  if (error instanceof Error && error.name === 'TimeoutError') return new ServiceUnavailableError({ cause: error });
  return new InternalServerError({ cause: error });
}

function isMiddyBodyParserError(error: unknown): error is MiddyHttpError {
  return (
    error instanceof Error &&
    typeof (error as MiddyHttpError).statusCode === 'number' &&
    (error as MiddyHttpError).cause?.package === '@middy/http-json-body-parser'
  );
}
