// Path, query, If-Match, If-None-Match, Idempotency-Key and body against the schemas, and the body's values against DynamoDB's limits:
// every 422 and 413 is decided here, before any database call.
import type { MiddlewareObj } from '@middy/core';
import type { Principal } from '../../lib/auth.ts';
import type { Config } from '../../lib/config.ts';
import { attributeSize, bodyValues, MAX_ITEM_BYTES, valueBytes } from '../../lib/dynamodb-values.ts';
import { PayloadTooLargeError, ValidationError } from '../../lib/errors.ts';
import { parsePreconditions } from '../../lib/etag.ts';
import { parseJsonPatch } from '../../lib/json-patch.ts';
import type { LearningChanges } from '../../lib/learning.ts';
import { jsonPatchRequestSchema, parseOrThrow, updateLearningRequestSchema } from '../../lib/schemas.ts';
import { tableResolver } from '../../lib/tables.ts';
import type { BodyFormat, LearningEdit } from '../../lib/update-learning.ts';
import { type IdempotencyKey, idempotencyKey, isIdempotencyKey } from '../../lib/write/idempotency.ts';
import { mergedChanges } from '../../lib/write/merge-patch.ts';
import { type HttpEvent, type HttpResult, header, type PipelineRequest, type RequestContext } from './http.ts';

// updated_at is written with every change: count it before DynamoDB does, as a timestamp of ten significant
// digits (DynamoDB sizes a number by its significant digits: 2_000_000_000 would count four bytes short).
const UPDATED_AT_BYTES = attributeSize('updated_at', 1_999_999_999);

export function validateRequest(config: Config): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const resolveTable = tableResolver(config);
  const validateRequestBefore = (request: PipelineRequest) => {
    const { event, context } = request;
    // requireJsonBody, which runs first, kept the text and set the format from the media type.
    const values = bodyValues(context.bodyText as string, event.body);
    const format = context.format as BodyFormat;
    const {
      path: { learning_id: learningId },
      query,
      body,
    } = parseOrThrow(format === 'json-patch' ? jsonPatchRequestSchema : updateLearningRequestSchema, {
      path: event.pathParameters,
      query: event.queryStringParameters ?? {},
      body: values.exact,
    });
    const edit: LearningEdit =
      format === 'json-patch'
        ? { format, operations: parseJsonPatch(body) }
        : { format, changes: body as LearningChanges };
    // Nearly every body's text shows its values within DynamoDB's limits; only when it cannot are the
    // values walked, to find the first one out of them (or the size over the limit).
    // Stryker disable next-line ConditionalExpression: speed only, the walk refuses nothing the text check passed
    if (!values.withinLimits) {
      const bytes = attributeSize('learning_id', learningId) + UPDATED_AT_BYTES + editBytes(edit);
      if (bytes > MAX_ITEM_BYTES) {
        throw new PayloadTooLargeError(
          `The learning would take ${bytes} bytes; the maximum item size is ${MAX_ITEM_BYTES}`,
        );
      }
    }
    const { table, scope } = resolveTable(query.db_id, query.table);
    context.command = {
      ...edit,
      table,
      scope,
      learningId,
      preconditions: parsePreconditions(header(event, 'if-match'), header(event, 'if-none-match'), scope),
      // authenticate, which runs first, set the principal or threw.
      key: requestKey(header(event, 'idempotency-key'), context.principal as Principal, format, values.exact),
    };
  };
  return { before: validateRequestBefore };
}

/** The request's Idempotency-Key, scoped to the caller; a value outside the contract's is a 422. */
function requestKey(
  text: string | undefined,
  principal: Principal,
  format: BodyFormat,
  body: unknown,
): IdempotencyKey | undefined {
  if (text === undefined) return undefined;
  if (!isIdempotencyKey(text)) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 visible ASCII characters', [
      { path: 'header.idempotency-key', message: 'malformed' },
    ]);
  }
  return idempotencyKey(principal.userId, text, format, body);
}

/**
 * The bytes the edit's values take in the record, each value checked against DynamoDB's limits on the way.
 * A merge patch's values are checked as sent, removals included; what it leaves in the record is at least
 * the patch applied to nothing. A JSON Patch's values are all checked; those it adds or puts in place of
 * others are counted. More than the maximum is refused before any call, and DynamoDB refuses a record that
 * ends over it (also a 413).
 */
function editBytes(edit: LearningEdit): number {
  if (edit.format === 'json-patch') {
    let bytes = 0;
    edit.operations.forEach((operation, index) => {
      if (!('value' in operation)) return;
      const size = valueBytes(operation.value, `body[${index}].value`);
      if (operation.op !== 'test') bytes += size;
    });
    return bytes;
  }
  const fieldsBytes = ({ content, metadata }: LearningChanges) =>
    (content === undefined ? 0 : attributeSize('content', content)) +
    (metadata === undefined ? 0 : attributeSize('metadata', metadata));
  const sent = fieldsBytes(edit.changes);
  return edit.format === 'merge-patch' ? fieldsBytes(mergedChanges({}, edit.changes)) : sent;
}
