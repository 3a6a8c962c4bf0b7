// The write engine runs a body format's plan. It sends the plan's document paths when they fit in one
// UpdateItem, whose condition also holds ownership, If-Match and If-None-Match. Otherwise it reads the
// record and writes the values the plan computes from it, on the condition that the record is still at
// that version. When a condition fails, the loop answers from the item as it stood: a refusal, 412,
// this very write (committed by an attempt whose answer was lost), 503 when the outcome cannot be known,
// or the plan again on that item, a bounded number of times.
import type { Principal } from '../auth.ts';
import { ConflictError, LearningNotFoundError, PreconditionFailedError, ServiceUnavailableError } from '../errors.ts';
import { entityTag, type Preconditions, preconditionsHold } from '../etag.ts';
import type { LearningChanges, StoredLearning } from '../learning.ts';
import { type DynamoDbTiming, type LearningStore, StorageError, type UpdateOutcome } from '../learnings-repository.ts';
import { refusalOf } from '../ownership.ts';
import { versionOf } from '../service-attributes.ts';
import type { UpdateExpression } from './expression.ts';
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
  /** Whether the item holds this request's write, rather than an equal one by another request. */
  holdsThisWrite(item: StoredLearning): boolean;
  /** This request's id, written with every attempt, when holdsThisWrite needs one. */
  writeId: string | undefined;
  /**
   * Whether the write must never apply twice (an append is not idempotent): each attempt is conditioned on
   * the record not holding its write id, and a record that holds it holds this write, whatever came after.
   */
  writesOnce: boolean;
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
}

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
): Promise<StoredLearning> {
  // The item as last seen: read, or returned by a failed condition. Undefined until then.
  let stored: StoredLearning | undefined;
  for (let writes = 1; writes <= MAX_WRITES; writes++) {
    let attempt = pathsAttempt(request, plan, stored);
    let commands = updateCommands(attempt);
    if (commands === undefined && stored === undefined) {
      // Paths that assumed the record's shape did not fit: read it, and try paths that know it.
      stored = await readLearning(repository, request, timing);
      attempt = pathsAttempt(request, plan, stored);
      commands = updateCommands(attempt);
    }
    if (commands === undefined) {
      attempt = wholeValueAttempt(request, plan, stored as StoredLearning);
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
      stored = await readLearning(repository, request, timing);
      continue;
    }
    if (outcome.updated) return outcome.item;
    // The classification of a failed condition: refused (thrown), this very write, or the plan again.
    const item = mayChange(outcome.current, request, outcome.mayHaveApplied);
    if (isThisWrite(item, attempt, plan)) return item;
    refuseUnlessRetried(item, request, plan, outcome.mayHaveApplied);
    stored = item;
  }
  throw new ServiceUnavailableError();
}

/** A strongly consistent read of the record, refused as a write would be. */
export async function readLearning(
  repository: LearningStore,
  request: WriteRequest,
  timing?: DynamoDbTiming,
): Promise<StoredLearning> {
  const item = mayChange(await repository.find(request.table, request.learningId, timing), request, false);
  meetsPreconditions(item, request, false);
  return item;
}

function pathsAttempt(request: WriteRequest, plan: WritePlan, stored: StoredLearning | undefined): WriteAttempt {
  return {
    ...request,
    changes: (expression) => plan.paths(expression, stored),
    writeId: plan.writeId,
    writesOnce: plan.writesOnce,
  };
}

/** The values computed from the item, written whole on the condition that the record is still at its version. */
function wholeValueAttempt(request: WriteRequest, plan: WritePlan, stored: StoredLearning): WriteAttempt {
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
    writeId: plan.writeId,
    writesOnce: plan.writesOnce,
  };
}

// Each refusal below becomes 503 when `mayHaveApplied`: an attempt whose answer was lost may have written
// before the record changed again (written over, handed over, deleted), and a refusal would claim that
// nothing changed.

// Ownership answers first: a caller who may not change the record learns nothing from a stale tag.
function mayChange(item: StoredLearning | undefined, request: WriteRequest, mayHaveApplied: boolean): StoredLearning {
  const refusal = refusalOf(item, request.principal);
  if (refusal !== undefined) throw mayHaveApplied ? new ServiceUnavailableError() : refusal;
  return item as StoredLearning;
}

function meetsPreconditions(item: StoredLearning, request: WriteRequest, mayHaveApplied: boolean): void {
  const version = versionOf(item);
  if (preconditionsHold(request.preconditions, version)) return;
  if (mayHaveApplied) throw new ServiceUnavailableError();
  throw new PreconditionFailedError(entityTag(request.scope, version), version);
}

/**
 * What a failed condition means, once the item as it stood is neither refused nor this very write: the
 * answer is thrown, unless the plan runs again on that item.
 */
function refuseUnlessRetried(
  item: StoredLearning,
  request: WriteRequest,
  plan: WritePlan,
  mayHaveApplied: boolean,
): void {
  meetsPreconditions(item, request, mayHaveApplied);
  // A write that must never apply twice, which may have applied and is not found in the record (another
  // write may have replaced its id since), is not run again: its outcome is unknown.
  if (plan.retries && !(plan.writesOnce && mayHaveApplied)) return;
  if (mayHaveApplied) throw new ServiceUnavailableError();
  // The condition failed, so the write was not allowed when it ran: a record that is now the caller's and
  // at an accepted version changed after that moment. A request with preconditions hears 412; one without
  // hears 404, since the record did not exist for it.
  if (request.preconditions === undefined) throw new LearningNotFoundError();
  const version = versionOf(item);
  throw new PreconditionFailedError(entityTag(request.scope, version), version);
}

/**
 * The SDK retries a call whose answer was lost, and the retry of a conditional write that had committed
 * fails its condition on that very write. A plan that writes once knows its write by its id alone. Any
 * other write succeeded if the record was written this second, is one version past a version the attempt
 * was conditioned on, and holds this request's write; an attempt with no If-Match to condition it on
 * writes again when retried, so it is never in this case.
 */
function isThisWrite(item: StoredLearning, attempt: WriteAttempt, plan: WritePlan): boolean {
  if (!plan.holdsThisWrite(item)) return false;
  if (plan.writesOnce) return true;
  const { match } = attempt.preconditions ?? {};
  return (
    item.updated_at === attempt.now &&
    match !== undefined &&
    preconditionsHold(attempt.preconditions, versionOf(item) - 1)
  );
}
