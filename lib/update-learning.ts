// The use case: apply a caller's changes to one learning, or refuse. handler → updateLearning → repository.
import { randomUUID } from 'node:crypto';
import type { Principal } from './auth.ts';
import { storable } from './dynamodb.ts';
import { ForbiddenError, LearningNotFoundError, PreconditionFailedError, ServiceUnavailableError } from './errors.ts';
import { entityTag, type Preconditions, preconditionsHold, versionOf } from './etag.ts';
import { holdsChanges, type LearningChanges, type StoredLearning } from './learning.ts';
import {
  type DynamoDbTiming,
  type LearningsRepository,
  type UpdateOutcome,
  type UpdateRequest,
  WRITE_ATTRIBUTE,
} from './learnings-repository.ts';
import { mergedChanges, mergePaths } from './merge-patch.ts';
import { type Access, accessTo } from './ownership.ts';
import type { JsonObject } from './schemas.ts';

export interface UpdateLearningCommand {
  table: string;
  /** The database and table, as entity tags name them. */
  scope: string;
  learningId: string;
  changes: LearningChanges;
  preconditions: Preconditions | undefined;
  /** The body is a merge patch (RFC 7396): `changes` are merged into the stored values, not put in their place. */
  merge?: boolean;
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
  command: UpdateLearningCommand,
  timing?: DynamoDbTiming,
): Promise<UpdateLearningResult> {
  const { table, scope, learningId, changes, preconditions } = command;
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
  if (command.merge === true) {
    const writeId = randomUUID();
    return mergeLearning(
      repository,
      { table, learningId, changes, principal, now, preconditions, writeId },
      scope,
      timing,
    );
  }
  const outcome = await repository.update({ table, learningId, changes, principal, now, preconditions }, timing);
  if (outcome.updated) return answer(outcome.item, scope);
  const { current, mayHaveApplied } = outcome;
  const access = accessTo(current, principal);
  const thisWrite =
    current !== undefined && isThisWrite(current, now, acceptedBy(preconditions)) && holdsChanges(current, changes);
  if (access === 'allowed' && thisWrite) return answer(current, scope);
  // An attempt whose answer was lost may have written before the record changed again (written over,
  // handed over, deleted): a refusal would claim that nothing changed. The outcome is unknown: retry.
  if (mayHaveApplied) throw new ServiceUnavailableError();
  // Ownership answers first: a caller who may not change the record learns nothing from a stale tag.
  // Stryker disable next-line ConditionalExpression: equivalent, accessTo answers 'not-found' for no record
  if (current !== undefined && access === 'allowed' && preconditions !== undefined) {
    const version = versionOf(current);
    throw new PreconditionFailedError(entityTag(scope, version), version);
  }
  // The condition failed, so the write was not allowed when it ran. A record that reads as allowed now
  // changed after that moment (created, or given to the caller): it did not exist for this write, and
  // refusal() answers it as not found.
  throw refusal(access);
}

// A merge whose record changed between the read and the write is merged again onto the record as it then
// stood, this many times in all; then 503, to be retried later.
const MAX_MERGE_WRITES = 4;

/**
 * A merge patch: one UpdateItem of document paths, its condition that every object the patch goes through
 * is a map. When one is not, the failed condition's old item shows what is there, and a second UpdateItem
 * sets the patch applied to {} at those places, on the condition that they still hold no map: never an
 * update lost between the two. A patch that does not fit in one expression is merged here onto the item
 * read back and written whole, on the condition that the record is still at that version. A record that
 * changed in between is merged onto again, a bounded number of times.
 */
async function mergeLearning(
  repository: LearningsRepository,
  request: UpdateRequest,
  scope: string,
  timing: DynamoDbTiming | undefined,
): Promise<UpdateLearningResult> {
  const { principal, changes: patch, preconditions, now, writeId } = request;
  const paths = mergePaths(patch);
  let outcome: UpdateOutcome =
    paths === undefined
      ? {
          updated: false,
          current: await repository.find(request.table, request.learningId, timing),
          mayHaveApplied: false,
        }
      : await repository.update({ ...request, paths }, timing);
  // The versions the last write was conditioned on: its retry that had committed is recognised one version
  // past one of them (and by its write id, which no record read before any write holds). A write of paths
  // is conditioned on the preconditions, a whole value on the version it was merged onto.
  const acceptedByPaths = acceptedBy(preconditions);
  let accepted = acceptedByPaths;
  for (let writes = paths === undefined ? 0 : 1; ; writes++) {
    if (outcome.updated) return answer(outcome.item, scope);
    const { current, mayHaveApplied } = outcome;
    const access = accessTo(current, principal);
    // Stryker disable next-line ConditionalExpression: equivalent, accessTo answers 'not-found' for no record
    if (current === undefined || access !== 'allowed') {
      if (mayHaveApplied) throw new ServiceUnavailableError();
      throw refusal(access);
    }
    // A merge patch is idempotent: a record holding its effect may hold another's. The write id tells.
    if (isThisWrite(current, now, accepted) && current[WRITE_ATTRIBUTE] === writeId) {
      return answer(current, scope);
    }
    const version = versionOf(current);
    if (!preconditionsHold(preconditions, version)) {
      if (mayHaveApplied) throw new ServiceUnavailableError();
      throw new PreconditionFailedError(entityTag(scope, version), version);
    }
    if (writes === MAX_MERGE_WRITES) throw new ServiceUnavailableError();
    const shaped = mergePaths(patch, current);
    if (shaped !== undefined) {
      outcome = await repository.update({ ...request, paths: shaped }, timing);
      accepted = acceptedByPaths;
    } else {
      outcome = await repository.update(
        { ...request, changes: wholeValues(current, patch), preconditions: { match: [version] } },
        timing,
      );
      accepted = (previous) => previous === version;
    }
  }
}

/** The fields a patch names, merged onto the item's and ready to be written whole. */
function wholeValues(current: StoredLearning, patch: LearningChanges): LearningChanges {
  const { content, metadata } = mergedChanges(current, patch);
  return {
    content: storable(content) as JsonObject | undefined,
    metadata: storable(metadata) as JsonObject | null | undefined,
  };
}

/** The versions a write conditioned on If-Match accepted; without If-Match, none (its retry just writes again). */
function acceptedBy(preconditions: Preconditions | undefined): (version: number) => boolean {
  return (version) => preconditions?.match !== undefined && preconditionsHold(preconditions, version);
}

/**
 * The SDK retries a call whose answer was lost, and the retry of a conditional write that had committed
 * fails its condition on that very write: the record, written this second, is one version past a version
 * the write was conditioned on, and holds its changes (the caller checks those). That write succeeded.
 */
function isThisWrite(current: StoredLearning, now: number, accepted: (version: number) => boolean): boolean {
  return current.updated_at === now && accepted(versionOf(current) - 1);
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
