// Runs before Middy's JSON body parser: the contract answers a wrong Content-Type or a missing body
// with its own 422, and the decoded text is kept so numbers can be parsed exactly (see dynamodb-values).
import type { MiddlewareObj } from '@middy/core';
import { ValidationError } from '../../lib/errors.ts';
import { type HttpEvent, type HttpResult, header, type RequestContext } from './types.ts';

const JSON_MEDIA_TYPE = /^application\/json\s*(?:;|$)/i;

export function requireJsonBody(): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  return {
    before: (request) => {
      const { event } = request;
      const contentType = header(event, 'content-type')?.trim() ?? '';
      if (!JSON_MEDIA_TYPE.test(contentType)) {
        throw new ValidationError('Content-Type must be application/json', [
          { path: 'header.content-type', message: 'must be application/json' },
        ]);
      }
      let text = typeof event.body === 'string' ? event.body : '';
      if (event.isBase64Encoded && text !== '') {
        text = Buffer.from(text, 'base64').toString('utf8');
        event.body = text;
        event.isBase64Encoded = false;
      }
      if (text.trim() === '') {
        throw new ValidationError('Request body is required', [{ path: 'body', message: 'required' }]);
      }
      request.context.bodyText = text;
    },
  };
}
