// Path, query, If-Match, If-None-Match and body against the schemas, and the body's values against DynamoDB's limits:
// every 422 and 413 is decided here, before any database call.
import type { MiddlewareObj } from '@middy/core';
import type { Config } from '../../lib/config.ts';
import { attributeSize, bodyValues, MAX_ITEM_BYTES } from '../../lib/dynamodb-values.ts';
import { PayloadTooLargeError } from '../../lib/errors.ts';
import { parsePreconditions } from '../../lib/etag.ts';
import type { LearningChanges } from '../../lib/learning.ts';
import { parseOrThrow, updateLearningRequestSchema } from '../../lib/schemas.ts';
import { tableResolver } from '../../lib/tables.ts';
import type { BodyFormat } from '../../lib/update-learning.ts';
import { mergedChanges } from '../../lib/write/merge-patch.ts';
import { type HttpEvent, type HttpResult, header, type PipelineRequest, type RequestContext } from './http.ts';

// updated_at is written with every change: count it before DynamoDB does, as a timestamp of ten significant
// digits (DynamoDB sizes a number by its significant digits: 2_000_000_000 would count four bytes short).
const UPDATED_AT_BYTES = attributeSize('updated_at', 1_999_999_999);

export function validateRequest(config: Config): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const resolveTable = tableResolver(config);
  const validateRequestBefore = (request: PipelineRequest) => {
    const { event, context } = request;
    // requireJsonBody, which runs first, kept the text.
    const values = bodyValues(context.bodyText as string, event.body);
    const {
      path: { learning_id: learningId },
      query,
      body,
    } = parseOrThrow(updateLearningRequestSchema, {
      path: event.pathParameters,
      query: event.queryStringParameters ?? {},
      body: values.exact,
    });
    // Nearly every body's text shows its values within DynamoDB's limits; only when it cannot are the
    // values walked, to find the first one out of them (or the size over the limit).
    // Stryker disable next-line ConditionalExpression: speed only, the walk refuses nothing the text check passed
    if (!values.withinLimits) {
      const size = (values: LearningChanges) => {
        let bytes = attributeSize('learning_id', learningId) + UPDATED_AT_BYTES;
        if (values.content !== undefined) bytes += attributeSize('content', values.content);
        if (values.metadata !== undefined) bytes += attributeSize('metadata', values.metadata);
        return bytes;
      };
      // A merge patch's values are checked as sent, removals included. What it leaves in the record is at
      // least the patch applied to nothing: more than the maximum of that is refused before any call, and
      // DynamoDB refuses a merged record over it (also a 413).
      let bytes = size(body);
      if (context.format === 'merge-patch') bytes = size(mergedChanges({}, body));
      if (bytes > MAX_ITEM_BYTES) {
        throw new PayloadTooLargeError(
          `The learning would take ${bytes} bytes; the maximum item size is ${MAX_ITEM_BYTES}`,
        );
      }
    }
    const { table, scope } = resolveTable(query.db_id, query.table);
    context.command = {
      table,
      scope,
      learningId,
      changes: body,
      preconditions: parsePreconditions(header(event, 'if-match'), header(event, 'if-none-match'), scope),
      // requireJsonBody, which runs first, set the format from the media type.
      format: context.format as BodyFormat,
    };
  };
  return { before: validateRequestBefore };
}
