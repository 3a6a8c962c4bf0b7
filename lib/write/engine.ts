// The write engine: runs any body format's plan as conditional UpdateItems, and decides in one place what
// a failed condition means. A plan writes document paths when it can: one UpdateItem whose condition holds
// ownership, If-Match and If-None-Match, and whatever the paths need. When it cannot, it computes the new
// values from the stored item, written whole on the condition that the record is still at that item's
// version. A failed condition returns the item as it stood (or it is read), and the classifier below
// answers from it: a refusal, 412, this very write committed by an attempt whose answer was lost, 503 when
// the outcome cannot be known, or the plan again on that item, a bounded number of times.
import type { Principal } from '../auth.ts';
import { LearningNotFoundError, PreconditionFailedError, ServiceUnavailableError } from '../errors.ts';
import { entityTag, type Preconditions, preconditionsHold } from '../etag.ts';
import type { LearningChanges, StoredLearning } from '../learning.ts';
import type { DynamoDbTiming, LearningStore, UpdateOutcome } from '../learnings-repository.ts';
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
  /** A fresh id written with each attempt, when holdsThisWrite needs one. */
  writeId: string | undefined;
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

/** The most UpdateItems one request makes before it answers 503, to be retried later. */
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
    if (commands === undefined) {
      stored ??= await readLearning(repository, request, timing);
      attempt = wholeValueAttempt(request, plan, stored);
      // Whole values are one short action per field: they always fit in one expression.
      commands = updateCommands(attempt) as UpdateCommands;
    }
    const outcome = await repository.update(commands, timing);
    if (outcome.updated) return outcome.item;
    const { verdict, item } = classify(outcome, attempt, request, plan);
    if (verdict === 'this-write') return item;
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
  };
}

/** The values computed from the item, written whole on the condition that the record is still at its version. */
function wholeValueAttempt(request: WriteRequest, plan: WritePlan, stored: StoredLearning): WriteAttempt {
  const values = plan.valuesFrom(stored);
  return {
    ...request,
    preconditions: { match: [versionOf(stored)] },
    changes: (expression) => setWholeValues(expression, values),
    writeId: plan.writeId,
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

type Verdict = { verdict: 'this-write'; item: StoredLearning } | { verdict: 'again'; item: StoredLearning };

/** What a failed condition means, when it does not throw the answer. */
function classify(
  { current, mayHaveApplied }: Extract<UpdateOutcome, { updated: false }>,
  attempt: WriteAttempt,
  request: WriteRequest,
  plan: WritePlan,
): Verdict {
  const item = mayChange(current, request, mayHaveApplied);
  if (isThisWrite(item, attempt, plan)) return { verdict: 'this-write', item };
  meetsPreconditions(item, request, mayHaveApplied);
  if (plan.retries) return { verdict: 'again', item };
  if (mayHaveApplied) throw new ServiceUnavailableError();
  // The condition failed, so the write was not allowed when it ran: a record that is now the caller's and
  // at an accepted version changed after that moment. With If-Match the caller hears of the change; without,
  // the record did not exist for this write.
  if (request.preconditions === undefined) throw new LearningNotFoundError();
  const version = versionOf(item);
  throw new PreconditionFailedError(entityTag(request.scope, version), version);
}

/**
 * The SDK retries a call whose answer was lost, and the retry of a conditional write that had committed
 * fails its condition on that very write. That write succeeded if the record was written this second, is one
 * version past a version the attempt was conditioned on, and holds this request's write. An attempt with no
 * If-Match to condition it on writes again when retried, so it is never in this case.
 */
function isThisWrite(item: StoredLearning, attempt: WriteAttempt, plan: WritePlan): boolean {
  const previous = versionOf(item) - 1;
  const { match } = attempt.preconditions ?? {};
  return (
    item.updated_at === attempt.now &&
    match !== undefined &&
    preconditionsHold(attempt.preconditions, previous) &&
    plan.holdsThisWrite(item)
  );
}
