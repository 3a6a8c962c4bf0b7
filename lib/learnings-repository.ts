// The DynamoDB side: one conditional UpdateItem that checks ownership and writes in a single atomic
// step, and the reads that classify a refusal. Knows nothing of HTTP.
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Principal } from './auth.ts';
import { unmarshallItem } from './dynamodb.ts';
import { InternalServerError, PayloadTooLargeError, ServiceUnavailableError } from './errors.ts';
import type { Precondition } from './etag.ts';
import type { LearningChanges, StoredLearning } from './learning.ts';

export type UpdateOutcome =
  | { updated: true; item: StoredLearning }
  /** `current` is the item as it stood when the condition failed, undefined when there was none. */
  | { updated: false; current: StoredLearning | undefined };

export interface UpdateRequest {
  table: string;
  learningId: string;
  changes: LearningChanges;
  principal: Principal;
  /** Unix seconds, written to updated_at. */
  now: number;
  /** From If-Match: the write happens only if the record is at one of these versions. */
  precondition: Precondition;
}

// Condition fragments, named for what they guarantee. An admin may change any record that exists; anyone
// else only a record whose user_id is theirs, which a missing or NULL user_id never equals.
const recordExists = 'attribute_exists(#learning_id)';
const callerOwnsRecord = '#user_id = :caller';
// Records written without a version are at version 0.
const versionIsZero = '(attribute_not_exists(#version) OR #version = :zero)';
// If-Match named no tag of this table: no version can match.
const noVersionMatches = '#version = :noVersion';

export function buildUpdateCommand({
  table,
  learningId,
  changes,
  principal,
  now,
  precondition,
}: UpdateRequest): UpdateCommandInput {
  const names: Record<string, string> = { '#updated_at': 'updated_at', '#version': 'version' };
  const values: Record<string, unknown> = { ':updated_at': now, ':zero': 0, ':one': 1 };
  const assignments: string[] = [];
  for (const field of ['content', 'metadata'] as const) {
    if (changes[field] === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = changes[field];
    assignments.push(`#${field} = :${field}`);
  }
  assignments.push('#updated_at = :updated_at', '#version = if_not_exists(#version, :zero) + :one');
  const conditions: string[] = [];
  if (principal.isAdmin) {
    names['#learning_id'] = 'learning_id';
    conditions.push(recordExists);
  } else {
    names['#user_id'] = 'user_id';
    values[':caller'] = principal.userId;
    conditions.push(callerOwnsRecord);
  }
  if (precondition !== undefined) conditions.push(versionCondition(precondition.versions, values));
  return {
    TableName: table,
    Key: { learning_id: learningId },
    UpdateExpression: `SET ${assignments.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

function versionCondition(versions: readonly number[], values: Record<string, unknown>): string {
  if (versions.length === 0) {
    values[':noVersion'] = -1;
    return noVersionMatches;
  }
  const alternatives = versions.map((version, index) => {
    if (version === 0) return versionIsZero;
    values[`:version${index + 1}`] = version;
    return `#version = :version${index + 1}`;
  });
  // DynamoDB refuses redundant parentheses: only a list of several alternatives gets its own.
  return alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.join(' OR ')})`;
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
  async find(table: string, learningId: string): Promise<StoredLearning | undefined> {
    try {
      const { Item } = await this.#client.send(
        new GetCommand({ TableName: table, Key: { learning_id: learningId }, ConsistentRead: true }),
      );
      return Item;
    } catch (error) {
      throw storageError(error);
    }
  }

  async update(request: UpdateRequest): Promise<UpdateOutcome> {
    try {
      const { Attributes } = await this.#client.send(new UpdateCommand(buildUpdateCommand(request)));
      if (Attributes === undefined) throw new Error('UpdateItem answered without the updated item');
      return { updated: true, item: Attributes };
    } catch (error) {
      if (!isConditionFailure(error)) throw storageError(error);
      if (error.Item !== undefined) return { updated: false, current: unmarshallItem(error.Item) };
      // Without If-Match an admin's condition is existence alone: failing it means there was no record.
      const existenceOnly = request.principal.isAdmin && request.precondition === undefined;
      if (existenceOnly || this.#oldItemOnConditionFailure) return { updated: false, current: undefined };
      return { updated: false, current: await this.find(request.table, request.learningId) };
    }
  }
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

function storageError(error: unknown): Error {
  if (!(error instanceof Error)) return new InternalServerError({ cause: error });
  const { code, $metadata } = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  if (
    UNAVAILABLE_ERROR_NAMES.has(error.name) ||
    (code !== undefined && UNAVAILABLE_ERROR_CODES.has(code)) ||
    ($metadata?.httpStatusCode ?? 0) >= 500
  ) {
    return new ServiceUnavailableError({ cause: error });
  }
  if (error.name === 'ValidationException' && ITEM_TOO_LARGE.test(error.message)) {
    return new PayloadTooLargeError('The updated learning would exceed the maximum item size of 400 KB');
  }
  return new InternalServerError({ cause: error });
}
