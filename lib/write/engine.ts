// The write engine runs a body format's plan. It sends the plan's document paths when they fit in one
// UpdateItem, whose condition also holds ownership, If-Match, If-None-Match and the Idempotency-Key.
// Otherwise it reads the record and writes the values the plan computes from it, on the condition that
// the record is still at that version. When a condition fails, the loop answers from the item as it stood:
// a refusal, 412, this very write (committed by an attempt whose answer was lost), a replay of the key's
// earlier request, 503 when the outcome cannot be known, or the plan again on that item, a bounded number
// of times. An attempt that may have applied is never sent again (docs/write-path.md).
import { randomBytes } from 'node:crypto';
import type { Principal } from '../auth.ts';
import {
  ConflictError,
  LearningNotFoundError,
  PreconditionFailedError,
  ServiceUnavailableError,
  ValidationError,
} from '../errors.ts';
import { entityTag, type Preconditions, preconditionsHold } from '../etag.ts';
import type { LearningChanges, StoredLearning } from '../learning.ts';
import { type DynamoDbTiming, type LearningStore, StorageError, type UpdateOutcome } from '../learnings-repository.ts';
import { refusalOf } from '../ownership.ts';
import { versionOf, WRITE_ATTRIBUTE } from '../service-attributes.ts';
import type { UpdateExpression } from './expression.ts';
import { type IdempotencyKey, keyState, trimCommand } from './idempotency.ts';
import { type UpdateCommands, updateCommands, type WriteAttempt } from './update-command.ts';
import { setWholeValues } from './whole-replace.ts';

/** A body format compiled for one request. */
export interface WritePlan {
  /**
   * Adds the write's document paths (actions and conditions) to the expression, given the item as last
   * seen, or undefined before any was. False: the write cannot be paths; its values need the stored item.
   */
  paths(expression: UpdateExpression, stored: StoredLearning | undefined): boolean;
  /** The new values, computed from the stored item, to be written whole. */
  valuesFrom(stored: StoredLearning): LearningChanges;
  /**
   * Whether a write refused on a record the caller may still change, at a version the request accepts,
   * runs again on the item as it then stood. A plan that does not retry answers as the refusal says.
   */
  retries: boolean;
}

/**
 * Thrown by a plan whose request cannot apply to the record as it stands (a JSON Patch test that fails, a
 * path that does not exist): answered 409 with the record's current ETag, nothing written.
 */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

/** Who writes to which record, when, on what preconditions. */
export interface WriteRequest {
  table: string;
  /** The database and table, as entity tags name them. */
  scope: string;
  learningId: string;
  principal: Principal;
  /** Unix seconds, written to updated_at. */
  now: number;
  preconditions: Preconditions | undefined;
  /** The request's Idempotency-Key, undefined without one. */
  key: IdempotencyKey | undefined;
}

/**
 * The item as written, or, `replayed`, as it stands when the record already holds the key's write (made
 * once: by an earlier request, or by this one before another write landed).
 */
export interface WriteResult {
  item: StoredLearning;
  replayed: boolean;
}

// A write id is this process's 64 random bits and a count of its requests: unique across processes and
// requests, and cheaper than random bits drawn for each request.
const CONTAINER_ID = randomBytes(8).toString('base64url');
let requests = 0;

/**
 * The most write attempts one request makes before it answers 503, to be retried later (an attempt on a
 * record whose counter another tool wrote takes a second UpdateItem).
 */
export const MAX_WRITES = 4;

/** Writes the plan and answers the item as written, or throws the contract's answer. */
export async function executeWrite(
  repository: LearningStore,
  request: WriteRequest,
  plan: WritePlan,
  timing?: DynamoDbTiming,
): Promise<WriteResult> {
  // Written with every attempt: the record that holds it holds this request's write.
  const writeId = `${CONTAINER_ID}${(requests++).toString(36)}`;
  // The item as last seen: read, or returned by a failed condition. Undefined until then.
  let stored: StoredLearning | undefined;
  // A read before writing is refused as a write would be, and answers a key already used: a replay comes
  // before If-Match, and before a patch that no longer applies to the record (409).
  const read = async (): Promise<WriteResult | undefined> => {
    const item = await findToChange(repository, request, timing);
    const answer = answerFromRecord(item, request, writeId);
    if (answer !== undefined) return answer;
    meetsPreconditions(item, request);
    stored = item;
    return undefined;
  };
  for (let writes = 1; writes <= MAX_WRITES; writes++) {
    let attempt = pathsAttempt(request, plan, writeId, stored);
    let commands = updateCommands(attempt);
    if (commands === undefined && stored === undefined) {
      // Paths that assumed the record's shape did not fit: read it, and try paths that know it.
      const answer = await read();
      if (answer !== undefined) return answer;
      attempt = pathsAttempt(request, plan, writeId, stored);
      commands = updateCommands(attempt);
    }
    if (commands === undefined) {
      attempt = wholeValueAttempt(request, plan, writeId, stored as StoredLearning);
      // Whole values are one short action per field: they always fit in one expression.
      commands = updateCommands(attempt) as UpdateCommands;
    }
    let outcome: UpdateOutcome;
    try {
      outcome = await repository.update(commands, timing);
    } catch (error) {
      // Paths that assumed the record's shape can name a value by a path that does not match it (an index
      // into a map), which DynamoDB may refuse as invalid before it checks the condition. Nothing was
      // written: read the record, and write knowing its shape.
      if (!(error instanceof StorageError && error.reason === 'invalid-path' && stored === undefined)) throw error;
      const answer = await read();
      if (answer !== undefined) return answer;
      continue;
    }
    if (outcome.updated) {
      if (request.key !== undefined) await trimKeys(repository, request.table, outcome.item, request.now, timing);
      return { item: outcome.item, replayed: false };
    }
    const item = mayChange(outcome.current, request, outcome.mayHaveApplied);
    const answer = answerFromRecord(item, request, writeId);
    if (answer !== undefined) return answer;
    if (outcome.mayHaveApplied) {
      // The write is not in the record, yet it may have applied and had its id replaced by a later write,
      // or still be on its way to DynamoDB. It runs again only where that cannot apply it twice: with a key,
      // whose entry would be in the record and keeps any two attempts from both applying; or when If-Match
      // names one version and the record is still at it (the write would have moved it), since every
      // attempt is conditioned on that version. Otherwise its outcome is unknown.
      if (request.key === undefined && !stillAtTheVersion(request, item)) throw new ServiceUnavailableError();
      meetsPreconditions(item, request);
    } else {
      refuseUnlessRetried(item, request, plan.retries);
    }
    stored = item;
  }
  throw new ServiceUnavailableError();
}

/**
 * The answer when the record holds this request's write, or its key's; undefined when it holds neither. A
 * record that holds the key's write but not this request's id is answered as a replay, as it stands: the
 * write was an earlier request's, or this one's with another write landed since, and either way the record
 * is not what it made. A key already used with another body is a 422.
 */
function answerFromRecord(item: StoredLearning, request: WriteRequest, writeId: string): WriteResult | undefined {
  if (item[WRITE_ATTRIBUTE] === writeId) return { item, replayed: false };
  if (request.key === undefined) return undefined;
  const state = keyState(item, request.key, request.now);
  if (state === 'other-body') {
    throw new ValidationError('This Idempotency-Key was sent with another body', [
      { path: 'header.idempotency-key', message: 'already used with another body' },
    ]);
  }
  return state === 'same-body' ? { item, replayed: true } : undefined;
}

function stillAtTheVersion(request: WriteRequest, item: StoredLearning): boolean {
  const match = request.preconditions?.match;
  return match?.length === 1 && match[0] === versionOf(item);
}

/**
 * Removes the item's expired keys once enough have gathered (idempotency.ts trimCommand). The learning is
 * written already: a trim that fails is left to a later keyed write.
 */
async function trimKeys(
  repository: LearningStore,
  table: string,
  item: StoredLearning,
  now: number,
  timing?: DynamoDbTiming,
): Promise<void> {
  const trim = trimCommand(table, item, now);
  if (trim !== undefined) await repository.updateIfStill(trim, timing);
}

/** A strongly consistent read of the record, refused as a write would be. */
export async function readLearning(
  repository: LearningStore,
  request: WriteRequest,
  timing?: DynamoDbTiming,
): Promise<StoredLearning> {
  const item = await findToChange(repository, request, timing);
  meetsPreconditions(item, request);
  return item;
}

/** A strongly consistent read of the record, refused (403/404) unless the caller may change it. */
async function findToChange(
  repository: LearningStore,
  request: WriteRequest,
  timing?: DynamoDbTiming,
): Promise<StoredLearning> {
  return mayChange(await repository.find(request.table, request.learningId, timing), request, false);
}

function pathsAttempt(
  request: WriteRequest,
  plan: WritePlan,
  writeId: string,
  stored: StoredLearning | undefined,
): WriteAttempt {
  return { ...request, changes: (expression) => plan.paths(expression, stored), writeId };
}

/** The values computed from the item, written whole on the condition that the record is still at its version. */
function wholeValueAttempt(
  request: WriteRequest,
  plan: WritePlan,
  writeId: string,
  stored: StoredLearning,
): WriteAttempt {
  const version = versionOf(stored);
  let values: LearningChanges;
  try {
    values = plan.valuesFrom(stored);
  } catch (error) {
    if (error instanceof WriteConflict) throw new ConflictError(error.message, entityTag(request.scope, version));
    throw error;
  }
  return {
    ...request,
    preconditions: { match: [version] },
    changes: (expression) => setWholeValues(expression, values),
    writeId,
  };
}

// Ownership answers first: a caller who may not change the record learns nothing from a stale tag, nor
// from a key. A refusal becomes 503 when `mayHaveApplied`: an attempt whose answer was lost may have
// written before the record changed again (handed over, deleted), and a refusal would claim that nothing
// changed.
function mayChange(item: StoredLearning | undefined, request: WriteRequest, mayHaveApplied: boolean): StoredLearning {
  const refusal = refusalOf(item, request.principal);
  if (refusal !== undefined) throw mayHaveApplied ? new ServiceUnavailableError() : refusal;
  return item as StoredLearning;
}

function meetsPreconditions(item: StoredLearning, request: WriteRequest): void {
  const version = versionOf(item);
  if (preconditionsHold(request.preconditions, version)) return;
  throw new PreconditionFailedError(entityTag(request.scope, version), version);
}

/**
 * What a failed condition means, once the item as it stood is neither refused nor this request's write:
 * the answer is thrown, unless the write `retries` on that item.
 */
function refuseUnlessRetried(item: StoredLearning, request: WriteRequest, retries: boolean): void {
  meetsPreconditions(item, request);
  if (retries) return;
  // The condition failed, so the write was not allowed when it ran: a record that is now the caller's and
  // at an accepted version changed after that moment. A request with preconditions hears 412; one without
  // hears 404, since the record did not exist for it.
  if (request.preconditions === undefined) throw new LearningNotFoundError();
  const version = versionOf(item);
  throw new PreconditionFailedError(entityTag(request.scope, version), version);
}
