// Runs before Middy's JSON body parser: the contract answers a wrong Content-Type, a charset other than
// UTF-8, bytes that are not UTF-8, a missing body, or a body nested deeper than DynamoDB stores with its own
// 422, before anything parses the text. The decoded text is kept so numbers can be parsed exactly (see
// dynamodb-values).
import type { MiddlewareObj } from '@middy/core';
import { assertNestingWithinLimit } from '../../lib/dynamodb-values.ts';
import { ValidationError } from '../../lib/errors.ts';
import type { BodyFormat } from '../../lib/update-learning.ts';
import { type HttpEvent, type HttpResult, header, type PipelineRequest, type RequestContext } from './http.ts';

// RFC 9110 §8.3.1: media-type *( OWS ";" OWS parameter ), case-insensitive names. Three media types: JSON
// (the body's values replace the stored ones), JSON Merge Patch (RFC 7396: they are merged into them) and
// JSON Patch (RFC 6902: a list of operations). The group captures the subtype.
const JSON_MEDIA_TYPE = /^application\/(json|merge-patch\+json|json-patch\+json)[ \t]*(?:;|$)/i;
const FORMATS: Readonly<Record<string, BodyFormat>> = {
  json: 'whole',
  'merge-patch+json': 'merge-patch',
  'json-patch+json': 'json-patch',
};
const MEDIA_TYPES = 'application/json, application/merge-patch+json or application/json-patch+json';
const CHARSET_PARAMETER = /;[ \t]*charset[ \t]*=[ \t]*(?:"([^"]*)"|([^;, \t]*))/i;
const UTF8_NAMES = new Set(['utf-8', 'utf8']);
// fatal: a byte sequence that is not UTF-8 is refused, never replaced with U+FFFD.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function requireJsonBody(): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const requireJsonBodyBefore = (request: PipelineRequest) => {
    const { event } = request;
    // No Content-Type reads as the text "undefined", which fails the media type as any other wrong text does.
    const contentType = String(header(event, 'content-type')).trim();
    const mediaType = JSON_MEDIA_TYPE.exec(contentType);
    if (mediaType === null) {
      throw new ValidationError(`Content-Type must be ${MEDIA_TYPES}`, [
        { path: 'header.content-type', message: `must be ${MEDIA_TYPES}` },
      ]);
    }
    const charset = CHARSET_PARAMETER.exec(contentType);
    // The unquoted alternative matches whenever the quoted one does not.
    if (charset !== null && !UTF8_NAMES.has(String(charset[1] ?? charset[2]).toLowerCase())) {
      throw new ValidationError('Content-Type charset must be utf-8', [
        { path: 'header.content-type', message: 'charset must be utf-8' },
      ]);
    }
    let text = typeof event.body === 'string' ? event.body : '';
    if (event.isBase64Encoded) {
      try {
        text = strictUtf8.decode(Buffer.from(text, 'base64'));
      } catch {
        throw new ValidationError('Request body is not valid UTF-8', [{ path: 'body', message: 'invalid UTF-8' }]);
      }
      event.body = text;
      event.isBase64Encoded = false;
    }
    if (text.trim() === '') {
      throw new ValidationError('Request body is required', [{ path: 'body', message: 'required' }]);
    }
    assertNestingWithinLimit(text);
    request.context.bodyText = text;
    request.context.format = FORMATS[String(mediaType[1]).toLowerCase()];
  };
  return { before: requireJsonBodyBefore };
}
