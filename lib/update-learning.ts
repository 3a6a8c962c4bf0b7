// The use case: apply a caller's changes to one learning, or refuse. handler → updateLearning → the write
// engine (lib/write/engine.ts), which runs the body format's plan against the repository.
import type { Principal } from './auth.ts';
import { entityTag, type Preconditions } from './etag.ts';
import type { JsonPatchOperation } from './json-patch.ts';
import type { LearningChanges, StoredLearning } from './learning.ts';
import type { DynamoDbTiming, LearningStore } from './learnings-repository.ts';
import { versionOf } from './service-attributes.ts';
import { executeWrite, readLearning, type WritePlan } from './write/engine.ts';
import type { IdempotencyKey } from './write/idempotency.ts';
import { jsonPatchPlan } from './write/json-patch.ts';
import { mergePatchPlan } from './write/merge-patch.ts';
import { wholeReplacePlan } from './write/whole-replace.ts';

/** The body's media types, each a way to write the changes. */
export type BodyFormat = 'whole' | 'merge-patch' | 'json-patch';

/**
 * What the body asks for. application/json replaces each field it names; application/merge-patch+json
 * merges into it (RFC 7396); application/json-patch+json applies a list of operations (RFC 6902).
 */
export type LearningEdit =
  | { format: 'whole' | 'merge-patch'; changes: LearningChanges }
  | { format: 'json-patch'; operations: readonly JsonPatchOperation[] };

export type UpdateLearningCommand = LearningEdit & {
  table: string;
  /** The database and table, as entity tags name them. */
  scope: string;
  learningId: string;
  preconditions: Preconditions | undefined;
  /** The Idempotency-Key, undefined when the request sent none. */
  key: IdempotencyKey | undefined;
};

export interface UpdateLearningResult {
  item: StoredLearning;
  version: number;
  /** The strong ETag of the record as answered. */
  etag: string;
  /**
   * False for a body that changes nothing ({} or []), the record checked and returned, and for a replay:
   * what is answered is not what this request wrote.
   */
  written: boolean;
  /** True when the record already held the Idempotency-Key's write, and is answered as it stands. */
  replayed: boolean;
}

export async function updateLearning(
  repository: LearningStore,
  principal: Principal,
  command: UpdateLearningCommand,
  timing?: DynamoDbTiming,
): Promise<UpdateLearningResult> {
  const { table, scope, learningId, preconditions, key } = command;
  const request = { table, scope, learningId, principal, preconditions, key, now: Math.floor(Date.now() / 1000) };
  const plan = planOf(command);
  // Nothing to write: one read, and the same rules as a write.
  const { item, replayed } =
    plan === undefined
      ? { item: await readLearning(repository, request, timing), replayed: false }
      : await executeWrite(repository, request, plan, timing);
  const version = versionOf(item);
  return { item, version, etag: entityTag(scope, version), written: plan !== undefined && !replayed, replayed };
}

/** The write the body asks for, or undefined when it changes nothing. */
function planOf(edit: LearningEdit): WritePlan | undefined {
  if (edit.format === 'json-patch') return edit.operations.length === 0 ? undefined : jsonPatchPlan(edit.operations);
  const { changes } = edit;
  if (changes.content === undefined && changes.metadata === undefined) return undefined;
  return edit.format === 'whole' ? wholeReplacePlan(changes) : mergePatchPlan(changes);
}
