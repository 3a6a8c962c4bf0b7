// The DynamoDB side: one conditional UpdateItem that checks ownership and writes in a single atomic
// step, and the reads that classify a refusal. Knows nothing of HTTP.
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Principal } from './auth.ts';
import { mayHaveApplied, unmarshallItem } from './dynamodb.ts';
import { MAX_NESTING_DEPTH } from './dynamodb-values.ts';
import { InternalServerError, PayloadTooLargeError, ServiceUnavailableError, ValidationError } from './errors.ts';
import { type Preconditions, VERSION_ATTRIBUTE } from './etag.ts';
import type { LearningChanges, StoredLearning } from './learning.ts';
import type { MergePaths } from './merge-patch.ts';
import { ownershipCondition } from './ownership.ts';

export type UpdateOutcome =
  | { updated: true; item: StoredLearning }
  /**
   * `current` is the item as it stood when the condition failed, undefined when there was none.
   * `mayHaveApplied`: an earlier attempt of the call got no answer, and may have been applied all the same.
   */
  | { updated: false; current: StoredLearning | undefined; mayHaveApplied: boolean };

export interface UpdateRequest {
  table: string;
  learningId: string;
  changes: LearningChanges;
  principal: Principal;
  /** Unix seconds, written to updated_at. */
  now: number;
  /** From If-Match and If-None-Match: the versions the record must, or must not, be at. */
  preconditions: Preconditions | undefined;
  /** A merge patch as document paths: `changes` is the patch, its objects merged into the stored maps. */
  paths?: MergePaths | undefined;
  /** Written to WRITE_ATTRIBUTE: which request wrote the record last, for a merge (see updateLearning). */
  writeId?: string | undefined;
}

/**
 * This service's own attribute naming the request that merged into a record last. A merge patch is
 * idempotent, so a record holding its effect does not show that it was written: this does.
 */
export const WRITE_ATTRIBUTE = 'etag_write';

// Condition fragments, named for what they guarantee (who may write: lib/ownership.ts).
// If-None-Match: *. Never true beside the ownership condition: this PATCH never creates a record.
const recordDoesNotExist = 'attribute_not_exists(#learning_id)';
// Records whose counter is missing, or holds anything but a number (written by another tool), are at version 0.
const versionIsZero = '(NOT attribute_type(#version, :number) OR #version = :zero)';
// If-Match named no tag of this table: no version can match.
const noVersionMatches = '#version = :noVersion';
// The counter holds something other than a number: the next write takes it over.
const counterIsForeign = 'NOT attribute_type(#version, :number)';
const nextVersion = '#version = if_not_exists(#version, :zero) + :one';
const firstVersion = '#version = :one';

/**
 * The one conditional UpdateItem of a write. `takeOverCounter`: the record's counter holds a value of
 * another type, which DynamoDB cannot add to; this write sets it to 1 instead, and only if it still does.
 */
export function buildUpdateCommand(
  { table, learningId, changes, principal, now, preconditions, paths, writeId }: UpdateRequest,
  { takeOverCounter = false } = {},
): UpdateCommandInput {
  const names: Record<string, string> = { '#updated_at': 'updated_at', '#version': VERSION_ATTRIBUTE };
  const values: Record<string, unknown> = { ':updated_at': now, ':one': 1 };
  const assignments: string[] = [];
  for (const field of ['content', 'metadata'] as const) {
    if (changes[field] === undefined) continue;
    names[`#${field}`] = field;
    // A patched object's members are in the paths; metadata null clears the field either way.
    if (paths !== undefined && changes[field] !== null) continue;
    values[`:${field}`] = changes[field];
    assignments.push(`#${field} = :${field}`);
  }
  if (paths !== undefined) {
    Object.assign(names, paths.names);
    Object.assign(values, paths.values);
    assignments.push(...paths.set);
  }
  if (writeId !== undefined) {
    names['#write'] = WRITE_ATTRIBUTE;
    values[':write'] = writeId;
    assignments.push('#write = :write');
  }
  assignments.push('#updated_at = :updated_at', takeOverCounter ? firstVersion : nextVersion);
  const conditions = [ownershipCondition(principal, names, values)];
  const { match, noneMatch } = preconditions ?? {};
  if (match !== undefined) conditions.push(versionIn(match, 'version', values));
  if (noneMatch === '*') {
    names['#learning_id'] = 'learning_id';
    conditions.push(recordDoesNotExist);
  } else if (noneMatch !== undefined && noneMatch.length > 0) {
    const alternatives = versionIn(noneMatch, 'notVersion', values);
    conditions.push(`NOT ${alternatives.startsWith('(') ? alternatives : `(${alternatives})`}`);
  }
  if (paths !== undefined) conditions.push(...paths.conditions);
  if (takeOverCounter) conditions.push(counterIsForeign);
  const removals = paths === undefined || paths.remove.length === 0 ? '' : ` REMOVE ${paths.remove.join(', ')}`;
  const updateExpression = `SET ${assignments.join(', ')}${removals}`;
  const conditionExpression = conditions.join(' AND ');
  // DynamoDB refuses values that no expression uses: these two only go where a fragment names them.
  if (`${updateExpression} ${conditionExpression}`.includes(':zero')) values[':zero'] = 0;
  // attribute_type's operand names a type: N, for number.
  if (conditionExpression.includes(':number')) values[':number'] = 'N';
  return {
    TableName: table,
    Key: { learning_id: learningId },
    UpdateExpression: updateExpression,
    ConditionExpression: conditionExpression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** A condition that the record is at one of `versions`, its values named `:<prefix>1`, `:<prefix>2`… */
function versionIn(versions: readonly number[], prefix: string, values: Record<string, unknown>): string {
  if (versions.length === 0) {
    values[':noVersion'] = -1;
    return noVersionMatches;
  }
  const alternatives = versions.map((version, index) => {
    if (version === 0) return versionIsZero;
    values[`:${prefix}${index + 1}`] = version;
    return `#version = :${prefix}${index + 1}`;
  });
  // DynamoDB refuses redundant parentheses: only a list of several alternatives gets its own.
  return alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.join(' OR ')})`;
}

/** Time spent in DynamoDB calls, added up across the calls of one request (for its log line and metrics). */
export interface DynamoDbTiming {
  dynamoDbMs?: number;
}

export interface LearningsRepositoryOptions {
  /**
   * Whether a failed condition returns the old item (DynamoDB proper does; dynalite does not). When it
   * does, a failure without an item means there was no item, and no read is needed to classify it.
   */
  oldItemOnConditionFailure: boolean;
}

export class LearningsRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #oldItemOnConditionFailure: boolean;

  constructor(client: DynamoDBDocumentClient, options: LearningsRepositoryOptions) {
    this.#client = client;
    this.#oldItemOnConditionFailure = options.oldItemOnConditionFailure;
  }

  /** A strongly consistent read, so that it sees every write acknowledged before it. */
  async find(table: string, learningId: string, timing?: DynamoDbTiming): Promise<StoredLearning | undefined> {
    try {
      const { Item } = await this.#timed(timing, () =>
        this.#client.send(new GetCommand({ TableName: table, Key: { learning_id: learningId }, ConsistentRead: true })),
      );
      return Item;
    } catch (error) {
      throw storageError(error);
    }
  }

  async update(request: UpdateRequest, timing?: DynamoDbTiming): Promise<UpdateOutcome> {
    try {
      return await this.#write(buildUpdateCommand(request), timing);
    } catch (error) {
      if (!isForeignCounter(error)) return this.#refused(request, error, timing);
      try {
        return await this.#write(buildUpdateCommand(request, { takeOverCounter: true }), timing);
      } catch (takeOverError) {
        return this.#refused(request, takeOverError, timing);
      }
    }
  }

  async #write(command: UpdateCommandInput, timing: DynamoDbTiming | undefined): Promise<UpdateOutcome> {
    const { Attributes } = await this.#timed(timing, () => this.#client.send(new UpdateCommand(command)));
    // Stryker disable next-line ConditionalExpression,StringLiteral,CallExpression: equivalent, an answer without the item fails as a 500 a step later
    if (Attributes === undefined) throw new Error('UpdateItem answered without the updated item');
    return { updated: true, item: Attributes };
  }

  /** A failed write: a refusal by the condition, classified from the old item, or a storage failure. */
  async #refused(request: UpdateRequest, error: unknown, timing: DynamoDbTiming | undefined): Promise<UpdateOutcome> {
    if (!isConditionFailure(error)) throw storageError(error);
    const refusal = { updated: false, mayHaveApplied: mayHaveApplied(error) } as const;
    if (error.Item !== undefined) return { ...refusal, current: unmarshallItem(error.Item) };
    // Without preconditions or paths an admin's condition is existence alone: failing it means there was no record.
    const existenceOnly =
      request.principal.isAdmin && request.preconditions === undefined && request.paths === undefined;
    if (existenceOnly || this.#oldItemOnConditionFailure) return { ...refusal, current: undefined };
    return { ...refusal, current: await this.find(request.table, request.learningId, timing) };
  }

  /** Makes a call, adding the time it took (answered or not) to `timing`. */
  async #timed<Output>(timing: DynamoDbTiming | undefined, call: () => Promise<Output>): Promise<Output> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      if (timing !== undefined) timing.dynamoDbMs = (timing.dynamoDbMs ?? 0) + performance.now() - started;
    }
  }
}

// DynamoDB cannot add 1 to a counter that another tool wrote with another type (dynalite and DynamoDB: "An
// operand in the update expression has an incorrect data type"; moto: "Incorrect operand type").
const FOREIGN_COUNTER = /incorrect (?:data|operand) type/i;

function isForeignCounter(error: unknown): boolean {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, only a ValidationException says this
  return error instanceof Error && error.name === 'ValidationException' && FOREIGN_COUNTER.test(error.message);
}

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

// Errors DynamoDB (or the way to it) answers when it is overloaded or out of reach: worth a retry later.
const UNAVAILABLE_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);
const UNAVAILABLE_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const ITEM_TOO_LARGE = /item size .*exceeded the maximum allowed size/i;
const NESTED_TOO_DEEP = /nesting levels have exceeded supported limits/i;

function storageError(error: unknown): Error {
  // Stryker disable next-line ConditionalExpression,ObjectLiteral: equivalent, a thrown non-Error ends as this same 500 below (and its cause is logged either way)
  if (!(error instanceof Error)) return new InternalServerError({ cause: error });
  const { code, $metadata } = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  if (
    UNAVAILABLE_ERROR_NAMES.has(error.name) ||
    // Stryker disable next-line ConditionalExpression: equivalent, no listed code is undefined
    (code !== undefined && UNAVAILABLE_ERROR_CODES.has(code)) ||
    // Stryker disable next-line OptionalChaining: equivalent, an error without $metadata is answered 500 either way
    ($metadata?.httpStatusCode ?? 0) >= 500
  ) {
    // Stryker disable next-line ObjectLiteral: log only, the answer is the same
    return new ServiceUnavailableError({ cause: error });
  }
  // Stryker disable next-line ConditionalExpression: equivalent, only DynamoDB's ValidationException says this
  if (error.name === 'ValidationException' && ITEM_TOO_LARGE.test(error.message)) {
    return new PayloadTooLargeError('The updated learning would exceed the maximum item size of 400 KB');
  }
  // Stryker disable next-line ConditionalExpression: as above
  if (error.name === 'ValidationException' && NESTED_TOO_DEEP.test(error.message)) {
    return new ValidationError(
      `The learning would be nested more than ${MAX_NESTING_DEPTH} levels deep, which DynamoDB refuses`,
    );
  }
  // Stryker disable next-line ObjectLiteral: log only, the answer is the same
  return new InternalServerError({ cause: error });
}
