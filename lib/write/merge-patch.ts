// JSON Merge Patch (RFC 7396), the body as application/merge-patch+json: the values a patch gives content
// and metadata are merged into the stored ones instead of replacing them. It is written as document paths
// when it can: SET and REMOVE each patched member, on the condition that every object the patch goes
// through is a map, or, where the item as last seen holds no map, SET the patch applied to {} there on the
// condition that it still holds none. A patch that cannot be paths (a key no attribute name holds, or more
// than one expression takes) is merged onto the stored item and written whole.
import { storableChanges } from '../dynamodb.ts';
import { isJsonObject, type JsonObject, ownMember } from '../json.ts';
import type { LearningChanges, StoredLearning } from '../learning.ts';
import type { WritePlan } from './engine.ts';
import { isAttributeName, type UpdateExpression } from './expression.ts';

export function mergePatchPlan(patch: LearningChanges): WritePlan {
  return {
    paths: (expression, stored) => mergePaths(patch, expression, stored),
    valuesFrom: (stored) => storableChanges(mergedChanges(stored, patch)),
    retries: true,
  };
}

/**
 * RFC 7396 §2: a patch that is not an object replaces the target; an object's members are merged into the
 * target (a target that is not an object counts as {}), a null member removing the target's. The result
 * shares every value the patch does not reach with the target, and neither input is changed.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result = new Map(isJsonObject(target) ? Object.entries(target) : []);
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) result.delete(key);
    else result.set(key, mergePatch(result.get(key), value));
  }
  // fromEntries defines each key as data: a member named __proto__ stays a member, never the prototype.
  return Object.fromEntries(result);
}

/** The whole values of the fields a patch names, once merged onto the item's (undefined: not named). */
export function mergedChanges(item: StoredLearning, patch: LearningChanges): LearningChanges {
  return {
    content: mergePatch(item.content, patch.content) as JsonObject | undefined,
    metadata: mergePatch(item.metadata, patch.metadata) as JsonObject | null | undefined,
  };
}

// The value at a path when no item has been seen: taken to be a map, on the condition that it is one.
const UNKNOWN = Symbol('unknown');

/**
 * Adds the patch's content and metadata as document paths, or answers false when a key cannot be a path.
 * Without `stored`, every object the patch goes through is taken to be a map in the record, on the
 * condition that it is. With the item as last seen, an object the patch goes through that is not a map
 * there (missing, null, a scalar or a list) is set to the patch applied to {}, on the condition that it is
 * still not a map: what the record holds there makes no difference to the result. metadata null is no
 * merge: it clears the field, as in a whole write.
 */
export function mergePaths(
  patch: LearningChanges,
  expression: UpdateExpression,
  stored: StoredLearning | undefined,
): boolean {
  if (patch.metadata === null) expression.set(expression.name('metadata'), expression.value('metadata', null));
  // `current`: the value at `path` in the item as last seen.
  const walk = (object: JsonObject, path: string, current: unknown): boolean => {
    // attribute_type's operand names a type: M, for map.
    const map = expression.value('map', 'M');
    if (current !== UNKNOWN && !isJsonObject(current)) {
      expression.condition(`NOT attribute_type(${path}, ${map})`);
      expression.set(path, expression.dataValue(mergePatch(undefined, object)));
      return true;
    }
    expression.condition(`attribute_type(${path}, ${map})`);
    for (const key of Object.keys(object)) {
      if (!isAttributeName(key)) return false;
      const member = `${path}.${expression.key(key)}`;
      const value = object[key];
      if (value === null) expression.remove(member);
      else if (!isJsonObject(value)) expression.set(member, expression.dataValue(value));
      else if (!walk(value, member, current === UNKNOWN ? UNKNOWN : ownMember(current, key))) return false;
    }
    return true;
  };
  for (const field of ['content', 'metadata'] as const) {
    const value = patch[field];
    if (value === undefined || value === null) continue;
    if (!walk(value, expression.name(field), stored === undefined ? UNKNOWN : stored[field])) return false;
  }
  return true;
}
