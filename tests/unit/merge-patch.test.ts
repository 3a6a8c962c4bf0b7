// The parts of a merge patch that need no DynamoDB: the document paths of one UpdateItem and when a patch
// cannot be written as paths within DynamoDB's expression limits, whether a stored shape takes a patch,
// and values read back made ready to be written again.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { storable } from '../../lib/dynamodb.ts';
import type { LearningChanges, StoredLearning } from '../../lib/learning.ts';
import { UpdateExpression } from '../../lib/write/expression.ts';
import { mergePaths as addMergePaths, mergedChanges, mergePatch } from '../../lib/write/merge-patch.ts';
import { updateCommands } from '../../lib/write/update-command.ts';

/**
 * The patch's document paths as its actions, conditions, the names of its keys and its values; undefined
 * when the patch cannot be paths in one UpdateItem (the whole write's expressions over DynamoDB's limits).
 */
function mergePaths(patch: LearningChanges, stored?: StoredLearning) {
  const expression = new UpdateExpression();
  if (!addMergePaths(patch, expression, stored)) return undefined;
  const whole = updateCommands({
    table: 't',
    learningId: 'l',
    principal: { userId: 'u', scopes: [], isAdmin: false },
    now: 1,
    preconditions: undefined,
    changes: (into) => addMergePaths(patch, into, stored),
    writeId: 'w',
    key: undefined,
  });
  if (whole === undefined) return undefined;
  const built = expression.build();
  const [sets = '', removals = ''] = built.UpdateExpression.slice('SET '.length).split(' REMOVE ');
  const names = Object.fromEntries(
    Object.entries(built.ExpressionAttributeNames).filter(([name]) => /^#m\d+$/.test(name)),
  );
  return {
    set: sets === '' ? [] : sets.split(', '),
    remove: removals === '' ? [] : removals.split(', '),
    conditions: built.ConditionExpression === '' ? [] : built.ConditionExpression.split(' AND '),
    names,
    values: built.ExpressionAttributeValues,
  };
}

describe('mergePaths', () => {
  it('sets scalars and lists, removes nulls, and conditions every object it goes through on being a map', () => {
    const paths = mergePaths({ content: { a: 1, b: null, c: { d: [1], a: { e: 'x' } } }, metadata: { a: null } });
    expect(paths).toEqual({
      set: ['#content.#m0 = :m0', '#content.#m2.#m3 = :m1', '#content.#m2.#m0.#m4 = :m2'],
      remove: ['#content.#m1', '#metadata.#m0'],
      conditions: [
        'attribute_type(#content, :map)',
        'attribute_type(#content.#m2, :map)',
        'attribute_type(#content.#m2.#m0, :map)',
        'attribute_type(#metadata, :map)',
      ],
      names: { '#m0': 'a', '#m1': 'b', '#m2': 'c', '#m3': 'd', '#m4': 'e' },
      values: { ':map': 'M', ':m0': 1, ':m1': [1], ':m2': 'x' },
    });
  });

  it('sets metadata null as a whole write does, and names the map type only where a condition uses it', () => {
    expect(mergePaths({ metadata: null })).toEqual({
      set: ['#metadata = :metadata'],
      remove: [],
      conditions: [],
      names: {},
      values: { ':metadata': null },
    });
  });

  it('keys are only ever attribute names, whatever they hold', () => {
    const paths = mergePaths({ content: { 'a.b[0]': 1, '#m0': 2, ':m0': 3, ' ': 4 } });
    expect(Object.values(paths?.names ?? {})).toEqual(['a.b[0]', '#m0', ':m0', ' ']);
    expect(paths?.set).toEqual([
      '#content.#m0 = :m0',
      '#content.#m1 = :m1',
      '#content.#m2 = :m2',
      '#content.#m3 = :m3',
    ]);
  });

  it('no paths for a key no attribute name holds: the empty key, or one over 255 bytes', () => {
    expect(mergePaths({ content: { a: { '': 1 } } })).toBeUndefined();
    expect(mergePaths({ metadata: { ['é'.repeat(128)]: null } })).toBeUndefined();
    expect(mergePaths({ content: { ['é'.repeat(127)]: 1 } })).toBeDefined();
    expect(mergePaths({ content: { ['x'.repeat(255)]: 1 } })).toBeDefined();
    expect(mergePaths({ content: { ['x'.repeat(256)]: 1 } })).toBeUndefined();
  });

  it("no paths when the whole write's expressions pass DynamoDB's limits: 4 KB each, 300 operators", () => {
    const patch = (keys: number, value: unknown) => ({
      content: Object.fromEntries(Array.from({ length: keys }, (_, index) => [`k${index}`, value])),
    });
    // Each set is '#content.#mN = :mN' and a separator: 20 to 24 bytes; the rest of the write adds its own.
    let sets = 1;
    while (mergePaths(patch(sets + 1, 1)) !== undefined) sets++;
    const updateBytes = (keys: number) => {
      const expression = new UpdateExpression();
      addMergePaths(patch(keys, 1), expression, undefined);
      return expression.build().UpdateExpression.length;
    };
    expect(updateBytes(sets)).toBeLessThan(4096);
    expect(updateBytes(sets + 1)).toBeGreaterThan(4096 - 200);
    // Conditions: one per object, 'attribute_type(#content.#mN, :map)' and ' AND ': 40 to 42 bytes from k10.
    let objects = 1;
    while (mergePaths(patch(objects + 1, {})) !== undefined) objects++;
    expect(objects).toBeGreaterThan(90);
    expect(objects).toBeLessThan(4096 / 40);
    // Removals are the shortest actions ('#content.#mN, '): even so 4 KB binds before 300 operators do.
    let removals = 1;
    while (mergePaths(patch(removals + 1, null)) !== undefined) removals++;
    expect(removals).toBeGreaterThan(250);
    expect(removals + 3).toBeLessThan(300);
  });
});

describe('mergePaths onto the item as last read', () => {
  it('sets the patch applied to {} where the item holds no map, on the condition that it still holds none', () => {
    const item = { content: { a: { b: 1 }, list: [1], text: 'x' }, metadata: null };
    const paths = mergePaths(
      {
        content: { a: { c: 1 }, list: { d: null, e: 2 }, missing: { f: { g: null } }, text: null },
        metadata: { m: 1 },
      },
      item,
    );
    expect(paths?.set).toEqual([
      '#content.#m0.#m1 = :m0',
      '#content.#m2 = :m1',
      '#content.#m3 = :m2',
      '#metadata = :m3',
    ]);
    expect(paths?.values).toMatchObject({ ':m0': 1, ':m1': { e: 2 }, ':m2': { f: {} }, ':m3': { m: 1 } });
    expect(paths?.remove).toEqual(['#content.#m4']);
    // No names for keys inside a replaced value: they are data.
    expect(paths?.names).toEqual({ '#m0': 'a', '#m1': 'c', '#m2': 'list', '#m3': 'missing', '#m4': 'text' });
    expect(paths?.conditions).toEqual([
      'attribute_type(#content, :map)',
      'attribute_type(#content.#m0, :map)',
      'NOT attribute_type(#content.#m2, :map)',
      'NOT attribute_type(#content.#m3, :map)',
      'NOT attribute_type(#metadata, :map)',
    ]);
  });

  it('content that is not a map is replaced whole; an inherited name is no member; keys inside a replaced value are data', () => {
    expect(mergePaths({ content: { a: 1, '': { b: null } } }, { content: ['x'] })).toMatchObject({
      set: ['#content = :m0'],
      conditions: ['NOT attribute_type(#content, :map)'],
      values: { ':m0': { a: 1, '': {} } },
    });
    expect(mergePaths({ content: { constructor: { a: 1 } } }, { content: {} })?.conditions).toEqual([
      'attribute_type(#content, :map)',
      'NOT attribute_type(#content.#m0, :map)',
    ]);
  });
});

describe('mergePatch and mergedChanges', () => {
  it('a member named __proto__ is data: merged as a key, never the result prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}');
    const result = mergePatch({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('merges only the fields the patch names; metadata null clears', () => {
    const item = { content: { a: 1 }, metadata: { m: 1 } };
    expect(mergedChanges(item, { content: { b: 2 } })).toEqual({ content: { a: 1, b: 2 } });
    expect(mergedChanges(item, { metadata: null })).toEqual({ metadata: null });
    expect(mergedChanges(item, {})).toEqual({});
  });
});

describe('storable', () => {
  it('turns numbers held as raw JSON back into NumberValue, in maps, lists and sets, and leaves the rest', () => {
    const digits = '12345678901234567890123456789';
    const bytes = new Uint8Array([1]);
    const value = storable({
      n: JSON.rawJSON(digits),
      list: [JSON.rawJSON(digits), 'x'],
      set: new Set([JSON.rawJSON(digits)]),
      bytes,
      s: 'x',
    });
    expect(value).toEqual({
      n: NumberValue.from(digits),
      list: [NumberValue.from(digits), 'x'],
      set: new Set([NumberValue.from(digits)]),
      bytes,
      s: 'x',
    });
    expect((value as { bytes: unknown }).bytes).toBe(bytes);
    expect(storable(null)).toBeNull();
  });
});
