// The use case: apply a caller's changes to one learning, or refuse. handler → updateLearning → repository.
import type { Principal } from './auth.ts';
import { ForbiddenError, LearningNotFoundError, PreconditionFailedError, ServiceUnavailableError } from './errors.ts';
import { entityTag, type Preconditions, preconditionsHold, versionOf } from './etag.ts';
import { holdsChanges, type LearningChanges, type StoredLearning } from './learning.ts';
import type { DynamoDbTiming, LearningsRepository } from './learnings-repository.ts';
import { type Access, accessTo } from './ownership.ts';

export interface UpdateLearningCommand {
  table: string;
  /** The database and table, as entity tags name them. */
  scope: string;
  learningId: string;
  changes: LearningChanges;
  preconditions: Preconditions | undefined;
}

export interface UpdateLearningResult {
  item: StoredLearning;
  version: number;
  /** The strong ETag of the record as answered. */
  etag: string;
  /** False for an empty body: the record was checked and returned, not written. */
  written: boolean;
}

export async function updateLearning(
  repository: LearningsRepository,
  principal: Principal,
  { table, scope, learningId, changes, preconditions }: UpdateLearningCommand,
  timing?: DynamoDbTiming,
): Promise<UpdateLearningResult> {
  if (changes.content === undefined && changes.metadata === undefined) {
    // Nothing to write: one read, and the same rules as a write.
    const item = await repository.find(table, learningId, timing);
    const access = accessTo(item, principal);
    // Stryker disable next-line ConditionalExpression: equivalent, accessTo answers 'not-found' for no record
    if (item === undefined || access !== 'allowed') throw refusal(access);
    const version = versionOf(item);
    const etag = entityTag(scope, version);
    if (!preconditionsHold(preconditions, version)) throw new PreconditionFailedError(etag, version);
    return { item, version, etag, written: false };
  }
  const now = Math.floor(Date.now() / 1000);
  const outcome = await repository.update({ table, learningId, changes, principal, now, preconditions }, timing);
  if (outcome.updated) return answer(outcome.item, scope);
  const { current, mayHaveApplied } = outcome;
  const access = accessTo(current, principal);
  // Stryker disable next-line ConditionalExpression: equivalent, accessTo answers 'not-found' for no record
  if (current !== undefined && access === 'allowed' && isThisWrite(current, changes, preconditions, now)) {
    return answer(current, scope);
  }
  // An attempt whose answer was lost may have written before the record changed again (written over,
  // handed over, deleted): a refusal would claim that nothing changed. The outcome is unknown: retry.
  if (mayHaveApplied) throw new ServiceUnavailableError();
  // Ownership answers first: a caller who may not change the record learns nothing from a stale tag.
  // Stryker disable next-line ConditionalExpression: as above
  if (current !== undefined && access === 'allowed' && preconditions !== undefined) {
    const version = versionOf(current);
    throw new PreconditionFailedError(entityTag(scope, version), version);
  }
  // The condition failed, so the write was not allowed when it ran. A record that reads as allowed now
  // changed after that moment (created, or given to the caller): it did not exist for this write, and
  // refusal() answers it as not found.
  throw refusal(access);
}

/**
 * The SDK retries a call whose answer was lost, and the retry of a conditional write that had committed
 * fails its condition on that very write: the record holds exactly these changes, made this second, one
 * version past a version the preconditions accepted. That write succeeded.
 */
function isThisWrite(
  current: StoredLearning,
  changes: LearningChanges,
  preconditions: Preconditions | undefined,
  now: number,
): boolean {
  return (
    preconditions?.match !== undefined &&
    preconditionsHold(preconditions, versionOf(current) - 1) &&
    current.updated_at === now &&
    holdsChanges(current, changes)
  );
}

function answer(item: StoredLearning, scope: string): UpdateLearningResult {
  const version = versionOf(item);
  return { item, version, etag: entityTag(scope, version), written: true };
}

function refusal(access: Access): Error {
  return access === 'no-owner'
    ? new ForbiddenError('Only admins can modify learnings that have no owner (user_id is null)')
    : new LearningNotFoundError();
}
