// JSON values as this service holds them: parsed request bodies, and items read back from DynamoDB, whose
// values other tools may have written with types JSON has no word for (sets, binary, numbers beyond a double).

export type JsonObject = Record<string, unknown>;

/** A JSON object: a plain object, not an array, null, or a number kept exact as a NumberValue. */
export function isJsonObject(value: unknown): value is JsonObject {
  // JSON.parse makes every object with Object.prototype; a primitive's prototype is another.
  return value != null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A member the object holds itself: an inherited name such as constructor is none. */
export function ownMember(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/**
 * `value` with `leaf` applied to every value that is neither an array nor a plain object, at any depth.
 * The result shares every part that `leaf` left as it was: a value with nothing to convert is returned
 * itself, not copied (every answer goes through here, and nearly none holds anything to convert).
 */
export function mapJsonLeaves(value: unknown, leaf: (value: unknown) => unknown): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const mapped = mapJsonLeaves(value[index], leaf);
      if (mapped === value[index]) continue;
      copy ??= [...value];
      copy[index] = mapped;
    }
    return copy ?? value;
  }
  if (!isJsonObject(value)) return leaf(value);
  let copy: JsonObject | undefined;
  for (const key of Object.keys(value)) {
    const mapped = mapJsonLeaves(value[key], leaf);
    if (mapped === value[key]) continue;
    // The spread defines every key as the copy's own member, so that assigning to one named __proto__
    // sets that member, never the copy's prototype.
    copy ??= { ...value };
    copy[key] = mapped;
  }
  return copy ?? value;
}
