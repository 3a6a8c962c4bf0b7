// Every failure, a failed DynamoDB call included, becomes the contract's {detail, error_code[, errors]}
// envelope with its status and headers. Nothing escapes the handler: serverless-offline would answer an
// escaped exception with a 200. The envelope records the error it answered (context.answeredError) for the
// request log.
import type { MiddlewareObj } from '@middy/core';
import { MAX_NESTING_DEPTH } from '../../lib/dynamodb-values.ts';
import {
  AppError,
  InternalServerError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  ValidationError,
} from '../../lib/errors.ts';
import { StorageError } from '../../lib/learnings-repository.ts';
import { type HttpEvent, type HttpResult, jsonResponse, type PipelineRequest, type RequestContext } from './http.ts';

export function errorEnvelope(): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const errorEnvelopeOnError = (request: PipelineRequest) => {
    const error = toAppError(request.error);
    const body: Record<string, unknown> = { detail: error.message, error_code: error.errorCode };
    if (error instanceof ValidationError && error.errors.length > 0) body.errors = error.errors;
    request.response = jsonResponse(error.statusCode, body, { ...error.headers });
    request.context.answeredError = error;
  };
  // A named hook: Middy's plugin hooks (and a profiler) tell the stages apart by their names.
  return { onError: errorEnvelopeOnError };
}

interface MiddyHttpError extends Error {
  statusCode: number;
  cause: { package: string; data?: unknown };
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof StorageError) return answerForStorageError(error);
  if (isMiddyBodyParserError(error)) {
    // The parser refuses __proto__ itself; its other refusals are all malformed JSON (it checks no media
    // type: requireJsonBody did).
    if (error.message === 'Forbidden key in JSON body') {
      return new ValidationError(`Key '${String(error.cause.data)}' is not allowed`, [
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
  // Object() reads a missing cause, or a thrown value that is no object, as an object without properties.
  return Object(Object(error).cause).package === '@middy/http-json-body-parser';
}

/** The contract's answer to a failed DynamoDB call. */
function answerForStorageError(error: StorageError): AppError {
  switch (error.reason) {
    case 'unavailable':
      return new ServiceUnavailableError({ cause: error.cause });
    case 'item-too-large':
      return new PayloadTooLargeError('The updated learning would exceed the maximum item size of 400 KB');
    case 'nested-too-deep':
      return new ValidationError(
        `The learning would be nested more than ${MAX_NESTING_DEPTH} levels deep, which DynamoDB refuses`,
      );
    default:
      return new InternalServerError({ cause: error.cause });
  }
}
