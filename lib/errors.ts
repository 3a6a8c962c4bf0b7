// Typed failures of the domain. Each carries the contract's status, error code and a detail that is
// safe to show a caller; the error envelope middleware turns them into responses.

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'VALIDATION_ERROR'
  | 'INTERNAL_SERVER_ERROR'
  | 'SERVICE_UNAVAILABLE';

export interface FieldError {
  path: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly statusCode: number;
  abstract readonly errorCode: ErrorCode;
  readonly headers: Readonly<Record<string, string>> = {};
  /** The record's current version, when the answer names it (412). */
  readonly version: number | undefined;
}

export class UnauthenticatedError extends AppError {
  override readonly name: string = 'UnauthenticatedError';
  readonly statusCode = 401;
  readonly errorCode = 'UNAUTHENTICATED';
  override readonly headers = { 'WWW-Authenticate': 'Bearer' };
}

export class ForbiddenError extends AppError {
  override readonly name: string = 'ForbiddenError';
  readonly statusCode = 403;
  readonly errorCode = 'FORBIDDEN';
}

export class NotFoundError extends AppError {
  override readonly name: string = 'NotFoundError';
  readonly statusCode = 404;
  readonly errorCode = 'NOT_FOUND';
}

export class LearningNotFoundError extends NotFoundError {
  override readonly name: string = 'LearningNotFoundError';
  constructor() {
    super('Learning not found');
  }
}

/** A JSON Patch cannot apply to the record as it stands (RFC 5789 §2.2); carries the current ETag. */
export class ConflictError extends AppError {
  override readonly name: string = 'ConflictError';
  readonly statusCode = 409;
  readonly errorCode = 'CONFLICT';
  override readonly headers: Readonly<Record<string, string>>;

  constructor(detail: string, currentEntityTag: string) {
    super(detail);
    this.headers = { ETag: currentEntityTag };
  }
}

/** If-Match named a version the record no longer has; carries the current ETag. */
export class PreconditionFailedError extends AppError {
  override readonly name: string = 'PreconditionFailedError';
  readonly statusCode = 412;
  readonly errorCode = 'PRECONDITION_FAILED';
  override readonly headers: Readonly<Record<string, string>>;

  override readonly version: number;

  constructor(currentEntityTag: string, version: number) {
    super('The learning has changed since the version named in If-Match');
    this.headers = { ETag: currentEntityTag };
    this.version = version;
  }
}

export class PayloadTooLargeError extends AppError {
  override readonly name: string = 'PayloadTooLargeError';
  readonly statusCode = 413;
  readonly errorCode = 'PAYLOAD_TOO_LARGE';
}

export class ValidationError extends AppError {
  override readonly name: string = 'ValidationError';
  readonly statusCode = 422;
  readonly errorCode = 'VALIDATION_ERROR';
  readonly errors: readonly FieldError[];

  constructor(detail: string, errors: readonly FieldError[] = []) {
    super(detail);
    this.errors = errors;
  }
}

/** DynamoDB throttled or did not answer in time, after the SDK's own retries. */
export class ServiceUnavailableError extends AppError {
  override readonly name: string = 'ServiceUnavailableError';
  readonly statusCode = 503;
  readonly errorCode = 'SERVICE_UNAVAILABLE';
  override readonly headers = { 'Retry-After': '1' };

  constructor(options?: ErrorOptions) {
    super('Service temporarily unavailable, retry later', options);
  }
}

/** Anything unexpected. The cause is logged, never shown: the detail is always the same. */
export class InternalServerError extends AppError {
  override readonly name: string = 'InternalServerError';
  readonly statusCode = 500;
  readonly errorCode = 'INTERNAL_SERVER_ERROR';

  constructor(options?: ErrorOptions) {
    super('Internal server error', options);
  }
}
