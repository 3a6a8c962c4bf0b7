// Each error's name is what the log line reports as a failure's cause: it says which error it is.
import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  InternalServerError,
  LearningNotFoundError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  ServiceUnavailableError,
  UnauthenticatedError,
  ValidationError,
} from '../../lib/errors.ts';
import { JwksUnavailableError } from '../../lib/jwks.ts';

describe('error names', () => {
  it.each([
    [new UnauthenticatedError('x'), 'UnauthenticatedError'],
    [new ForbiddenError('x'), 'ForbiddenError'],
    [new NotFoundError('x'), 'NotFoundError'],
    [new LearningNotFoundError(), 'LearningNotFoundError'],
    [new PreconditionFailedError('"1.x"', 1), 'PreconditionFailedError'],
    [new PayloadTooLargeError('x'), 'PayloadTooLargeError'],
    [new ValidationError('x'), 'ValidationError'],
    [new ServiceUnavailableError(), 'ServiceUnavailableError'],
    [new InternalServerError(), 'InternalServerError'],
    [new JwksUnavailableError(), 'JwksUnavailableError'],
  ])('%s is named %s', (error, name) => {
    expect(error.name).toBe(name);
  });
});
