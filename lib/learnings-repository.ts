// The DynamoDB calls: a consistent GetItem, and the conditional UpdateItem that lib/write/update-command.ts
// builds. It knows nothing of HTTP: a failed call throws a StorageError.
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { NEVER_SENT, unmarshallItem } from './dynamodb.ts';
import type { StoredLearning } from './learning.ts';
import type { UpdateCommands } from './write/update-command.ts';

export type UpdateOutcome =
  | { updated: true; item: StoredLearning }
  /**
   * `current` is the item as it stood when the condition failed, undefined when there was none.
   * `mayHaveApplied`: the write got no answer that says it was refused, and may have been applied: `current`
   * is the item as read after it.
   */
  | { updated: false; current: StoredLearning | undefined; mayHaveApplied: boolean };

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
  /** The client for writes, built with answeredThrottles (lib/dynamodb.ts says why). */
  writeClient: DynamoDBDocumentClient;
}

/** What the write engine needs of the storage: a consistent read, and a conditional UpdateItem. */
export interface LearningStore {
  find(table: string, learningId: string, timing?: DynamoDbTiming): Promise<StoredLearning | undefined>;
  update(commands: UpdateCommands, timing?: DynamoDbTiming): Promise<UpdateOutcome>;
  /**
   * An UpdateItem of the service's own attributes (a trim of expired keys) whose condition may fail. It
   * never throws: what it leaves undone, a later request does.
   */
  updateIfStill(command: UpdateCommandInput, timing?: DynamoDbTiming): Promise<void>;
}

export class LearningsRepository implements LearningStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #writeClient: DynamoDBDocumentClient;
  readonly #oldItemOnConditionFailure: boolean;

  constructor(client: DynamoDBDocumentClient, options: LearningsRepositoryOptions) {
    this.#client = client;
    this.#writeClient = options.writeClient;
    this.#oldItemOnConditionFailure = options.oldItemOnConditionFailure;
  }

  /** A strongly consistent read, so that it sees every write acknowledged before it. */
  async find(table: string, learningId: string, timing: DynamoDbTiming = {}): Promise<StoredLearning | undefined> {
    try {
      const { Item } = await this.#timed(timing, () =>
        this.#client.send(new GetCommand({ TableName: table, Key: { learning_id: learningId }, ConsistentRead: true })),
      );
      return Item;
    } catch (error) {
      throw storageError(error);
    }
  }

  async update(commands: UpdateCommands, timing: DynamoDbTiming = {}): Promise<UpdateOutcome> {
    try {
      return await this.#write(commands.command, timing);
    } catch (error) {
      if (!isForeignCounter(error)) return this.#refused(commands, error, timing);
      try {
        return await this.#write(commands.takingOverCounter(), timing);
      } catch (takeOverError) {
        return this.#refused(commands, takeOverError, timing);
      }
    }
  }

  async updateIfStill(command: UpdateCommandInput, timing: DynamoDbTiming = {}): Promise<void> {
    await this.#timed(timing, () => this.#writeClient.send(new UpdateCommand(command))).catch(() => undefined);
  }

  async #write(command: UpdateCommandInput, timing: DynamoDbTiming): Promise<UpdateOutcome> {
    const { Attributes } = await this.#timed(timing, () => this.#writeClient.send(new UpdateCommand(command)));
    // ReturnValues ALL_NEW: a write that succeeded answers the item as written.
    return { updated: true, item: Attributes as StoredLearning };
  }

  /** A failed write: a refusal by the condition, classified from the old item, or a storage failure. */
  async #refused(commands: UpdateCommands, error: unknown, timing: DynamoDbTiming): Promise<UpdateOutcome> {
    if (!isConditionFailure(error)) {
      // A write that DynamoDB did not refuse may have been applied: what the record holds now tells.
      if (!mayHaveApplied(error)) throw storageError(error);
      return {
        updated: false,
        mayHaveApplied: true,
        current: await this.find(commands.table, commands.learningId, timing),
      };
    }
    const refusal = { updated: false, mayHaveApplied: false } as const;
    if (error.Item !== undefined) return { ...refusal, current: unmarshallItem(error.Item) };
    // No old item came back. DynamoDB returns one whenever there is one, and a condition of existence
    // alone fails only when there is none; otherwise (dynalite) the record is read.
    if (commands.existenceOnly || this.#oldItemOnConditionFailure) return { ...refusal, current: undefined };
    return { ...refusal, current: await this.find(commands.table, commands.learningId, timing) };
  }

  /** Makes a call, adding the time it took (answered or not) to `timing`. */
  async #timed<Output>(timing: DynamoDbTiming, call: () => Promise<Output>): Promise<Output> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      timing.dynamoDbMs = (timing.dynamoDbMs ?? 0) + performance.now() - started;
    }
  }
}

// DynamoDB cannot add 1 to a counter that another tool wrote with another type (dynalite and DynamoDB: "An
// operand in the update expression has an incorrect data type"; moto: "Incorrect operand type").
const FOREIGN_COUNTER = /incorrect (?:data|operand) type/i;

function isForeignCounter(error: unknown): boolean {
  const { name, message }: CallError = Object(error);
  return name === 'ValidationException' && FOREIGN_COUNTER.test(String(message));
}

/**
 * Whether a failed write may have been applied all the same. Only a 4xx answer (a failed condition, a
 * throttle, a refused request) says that DynamoDB wrote nothing, and so does a failure before the request
 * left: an error the SDK's call did not send (no $metadata, which its retry loop adds to every error it
 * meets), or a connection never made (NEVER_SENT). A call without an answer (a lost connection, a
 * timeout), a server error (DynamoDB's InternalServerError: "the request may have succeeded") or an answer
 * that cannot be read may have reached it.
 */
function mayHaveApplied(error: unknown): boolean {
  const { $metadata, code }: CallError = Object(error);
  if ($metadata === undefined) return false;
  const status = $metadata.httpStatusCode;
  if (status === undefined) return !NEVER_SENT.has(String(code));
  return status < 400 || status >= 500;
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
const ITEM_TOO_LARGE = /item size .*exceeded the maximum allowed size/i;
const NESTED_TOO_DEEP = /nesting levels have exceeded supported limits/i;
// A document path that does not match the item ("The document path provided in the update expression is
// invalid for update"), or two that read one value as a list and as a map ("Two document paths conflict").
const INVALID_PATH = /document path provided in the update expression is invalid|two document paths/i;

/**
 * Why a DynamoDB call failed, in the storage's own terms: `unavailable` (throttled, out of reach, no answer
 * in time: worth a retry later), `item-too-large` (over DynamoDB's 400 KB), `nested-too-deep` (past its
 * nesting limit), `invalid-path` (a document path the item does not have; nothing written), or `failed`.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly reason: 'unavailable' | 'item-too-large' | 'nested-too-deep' | 'invalid-path' | 'failed';

  constructor(reason: StorageError['reason'], cause: unknown) {
    super(reason, { cause });
    this.reason = reason;
  }
}

function storageError(error: unknown): StorageError {
  return new StorageError(failureReason(error), error);
}

/** The SDK's errors, and the network's beneath them, as far as they tell why a call failed. */
interface CallError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function failureReason(error: unknown): StorageError['reason'] {
  // Object() reads a thrown value that is no object (or null) as one without properties.
  const { name, message, $metadata }: CallError = Object(error);
  // A call the SDK sent that got no HTTP answer (a lost or refused connection, a timeout) has $metadata
  // without a status; one answered with a server error has a status of 500 or more.
  const status = $metadata === undefined ? 0 : ($metadata.httpStatusCode ?? 500);
  if (UNAVAILABLE_ERROR_NAMES.has(String(name)) || status >= 500) return 'unavailable';
  // Each of these texts comes with a ValidationException: DynamoDB refused the request and wrote nothing.
  if (ITEM_TOO_LARGE.test(String(message))) return 'item-too-large';
  if (INVALID_PATH.test(String(message))) return 'invalid-path';
  return NESTED_TOO_DEEP.test(String(message)) ? 'nested-too-deep' : 'failed';
}
