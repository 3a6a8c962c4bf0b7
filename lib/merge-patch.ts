// JSON Merge Patch (RFC 7396), the second media type of the route: the values a patch gives content and
// metadata are merged into the stored ones instead of replacing them. Two ways to write one:
// - as document paths inside one UpdateItem (mergePaths): SET and REMOVE each patched member, on the
//   condition that every object the patch goes through is a map, or, where the item as last read holds no
//   map, SET the patch applied to {} there on the condition that it still holds none;
// - when the paths do not fit in one expression, as whole values merged here (mergedChanges) onto the item
//   read back, written on the condition that the record is still at the version they were merged onto.
import type { LearningChanges, StoredLearning } from './learning.ts';
import { isJsonObject, type JsonObject } from './schemas.ts';

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

/**
 * A patch as the parts of one UpdateItem: SET and REMOVE actions on document paths, and conditions on what
 * the paths go through (a map, or, where a value is set in place of what is no map, still no map).
 * Placeholders: `#m<n>` for keys, `:m<n>` for values, `:map` for the type.
 */
export interface MergePaths {
  set: string[];
  remove: string[];
  conditions: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
}

// DynamoDB's documented limits on expression parameters (developerguide/Constraints.html, "Expression
// parameters"): an expression string of at most 4 KB, at most 300 operators or functions in an update
// expression. The rest of the write (updated_at, the version, ownership, If-Match and If-None-Match of at
// most 16 tags) stays inside the reserve. An action takes at least 14 bytes ('#content.#m0, '), so the
// patch's 3 KB hold fewer than 220 actions: the operator limit cannot bind first. The emulators enforce
// neither limit, so this does.
const MAX_EXPRESSION_BYTES = 4096;
const RESERVED_EXPRESSION_BYTES = 1024;
const UNKNOWN = Symbol('unknown');

/** A map's own member (an inherited name such as constructor is none). */
function ownMember(map: JsonObject, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

// An attribute name DynamoDB documents without ambiguity: 1 to 255 bytes. Longer keys, and the empty key,
// are written as whole values instead.
const MAX_PATH_KEY_BYTES = 255;

/**
 * The patch's content and metadata as document paths inside one UpdateItem, or undefined when they cannot
 * all go in one expression within DynamoDB's limits (then the merged values are written whole).
 * Without `stored`, every object the patch goes through is taken to be a map in the record, on the
 * condition that it is. With the item as last read, an object the patch goes through that is not a map
 * there (missing, null, a scalar or a list) is set to the patch applied to {}, on the condition that it is
 * still not a map: what the record holds there makes no difference to the result. metadata null is no
 * merge: it clears the field, as in a whole write, and is left to the caller's SET.
 */
export function mergePaths(patch: LearningChanges, stored?: StoredLearning): MergePaths | undefined {
  const paths: MergePaths = { set: [], remove: [], conditions: [], names: {}, values: {} };
  const placeholders = new Map<string, string>();
  const placeholder = (key: string): string => {
    let name = placeholders.get(key);
    if (name === undefined) {
      name = `#m${placeholders.size}`;
      placeholders.set(key, name);
      paths.names[name] = key;
    }
    return name;
  };
  const set = (path: string, value: unknown) => {
    const valueName = `:m${paths.set.length}`;
    paths.values[valueName] = value;
    paths.set.push(`${path} = ${valueName}`);
  };
  // `current`: the value at `path` in the item as last read; UNKNOWN without one (taken to be a map).
  const walk = (object: JsonObject, path: string, current: unknown): boolean => {
    // attribute_type's operand names a type: M, for map.
    paths.values[':map'] = 'M';
    if (current !== UNKNOWN && !isJsonObject(current)) {
      paths.conditions.push(`NOT attribute_type(${path}, :map)`);
      set(path, mergePatch(undefined, object));
      return true;
    }
    paths.conditions.push(`attribute_type(${path}, :map)`);
    for (const key of Object.keys(object)) {
      const length = Buffer.byteLength(key);
      if (length === 0 || length > MAX_PATH_KEY_BYTES) return false;
      const member = `${path}.${placeholder(key)}`;
      const value = object[key];
      if (value === null) paths.remove.push(member);
      else if (!isJsonObject(value)) set(member, value);
      else if (!walk(value, member, current === UNKNOWN ? UNKNOWN : ownMember(current, key))) return false;
    }
    return true;
  };
  for (const field of ['content', 'metadata'] as const) {
    const value = patch[field];
    if (value === undefined || value === null) continue;
    if (!walk(value, `#${field}`, stored === undefined ? UNKNOWN : stored[field])) return undefined;
  }
  // Placeholders are ASCII: a string's length is its size in bytes. The SET and REMOVE keywords counted too.
  const updateBytes = [...paths.set, ...paths.remove].join(', ').length + ' SET  REMOVE '.length;
  const conditionBytes = paths.conditions.join(' AND ').length;
  const limit = MAX_EXPRESSION_BYTES - RESERVED_EXPRESSION_BYTES;
  return updateBytes <= limit && conditionBytes <= limit ? paths : undefined;
}
