// The use case: apply a caller's changes to one learning, or refuse. handler → updateLearning → the write
// engine (lib/write/engine.ts), which runs the body format's plan against the repository.
import type { Principal } from './auth.ts';
import { entityTag, type Preconditions } from './etag.ts';
import type { LearningChanges, StoredLearning } from './learning.ts';
import type { DynamoDbTiming, LearningStore } from './learnings-repository.ts';
import { versionOf } from './service-attributes.ts';
import { executeWrite, readLearning, type WritePlan } from './write/engine.ts';
import { mergePatchPlan } from './write/merge-patch.ts';
import { wholeReplacePlan } from './write/whole-replace.ts';

/** The body's media types, each a way to write the changes. */
export type BodyFormat = 'whole' | 'merge-patch';

export interface UpdateLearningCommand {
  table: string;
  /** The database and table, as entity tags name them. */
  scope: string;
  learningId: string;
  changes: LearningChanges;
  preconditions: Preconditions | undefined;
  /** application/json replaces each field it names; application/merge-patch+json merges into it (RFC 7396). */
  format: BodyFormat;
}

export interface UpdateLearningResult {
  item: StoredLearning;
  version: number;
  /** The strong ETag of the record as answered. */
  etag: string;
  /** False for an empty body: the record was checked and returned, not written. */
  written: boolean;
}

const PLANS: Record<BodyFormat, (changes: LearningChanges) => WritePlan> = {
  whole: wholeReplacePlan,
  'merge-patch': mergePatchPlan,
};

export async function updateLearning(
  repository: LearningStore,
  principal: Principal,
  command: UpdateLearningCommand,
  timing?: DynamoDbTiming,
): Promise<UpdateLearningResult> {
  const { table, scope, learningId, changes, preconditions } = command;
  const request = { table, scope, learningId, principal, preconditions, now: Math.floor(Date.now() / 1000) };
  // Nothing to write: one read, and the same rules as a write.
  const written = changes.content !== undefined || changes.metadata !== undefined;
  const item = written
    ? await executeWrite(repository, request, PLANS[command.format](changes), timing)
    : await readLearning(repository, request, timing);
  const version = versionOf(item);
  return { item, version, etag: entityTag(scope, version), written };
}
