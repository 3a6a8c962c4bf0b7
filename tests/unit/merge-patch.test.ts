// The parts of a merge patch that need no DynamoDB: the document paths of one UpdateItem and when a patch
// cannot be written as paths within DynamoDB's expression limits, whether a stored shape takes a patch,
// and values read back made ready to be written again.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { storable } from '../../lib/dynamodb.ts';
import { mergedChanges, mergePatch, mergePaths } from '../../lib/merge-patch.ts';

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

  it('leaves metadata null to the whole write, and names the map type only where a condition uses it', () => {
    expect(mergePaths({ metadata: null })).toEqual({ set: [], remove: [], conditions: [], names: {}, values: {} });
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

  it('no paths when an expression would pass 3 KB (DynamoDB takes 4 KB, and 300 operators, fewer than 3 KB hold)', () => {
    const patch = (keys: number, value: unknown) =>
      ({ content: Object.fromEntries(Array.from({ length: keys }, (_, index) => [`k${index}`, value])) }) as {
        content: Record<string, unknown>;
      };
    // Each set is '#content.#mN = :mN' and a separator: 20 to 24 bytes.
    const sizes = (keys: number) => {
      const paths = mergePaths(patch(keys, 1));
      return paths === undefined
        ? undefined
        : [...paths.set, ...paths.remove].join(', ').length + ' SET  REMOVE '.length;
    };
    let largest = 0;
    for (let keys = 1; sizes(keys) !== undefined; keys++) largest = sizes(keys) ?? 0;
    expect(largest).toBeLessThanOrEqual(3072);
    expect(largest).toBeGreaterThan(3072 - 26);
    // Conditions: one per object, 'attribute_type(#content.#mN, :map)' and ' AND ': 40 to 42 bytes from k10.
    const objects = (keys: number) =>
      mergePaths({ content: Object.fromEntries(Array.from({ length: keys }, (_, index) => [`k${index}`, {}])) });
    const conditionBytes = (keys: number) => objects(keys)?.conditions.join(' AND ').length;
    let most = 1;
    while (objects(most + 1) !== undefined) most++;
    expect(conditionBytes(most)).toBeLessThanOrEqual(3072);
    expect(conditionBytes(most)).toBeGreaterThan(3072 - 43);
    // The operator limit never binds first: the most actions 3 KB hold, on the shortest paths.
    const removals = (keys: number) =>
      mergePaths({ content: Object.fromEntries(Array.from({ length: keys }, (_, index) => [`${index}`, null])) });
    let actions = 1;
    while (removals(actions + 1) !== undefined) actions++;
    expect(actions).toBeGreaterThan(150);
    expect(actions).toBeLessThan(300);
  });
});

describe('mergePaths at the limit: 3 KB for the patch in each expression', () => {
  // n members set and r removed, in content: '#content.#mI = :mJ' and '#content.#mI', joined by ', ',
  // with ' SET  REMOVE ' counted.
  const patchOf = (sets: number, removals: number) => ({
    content: Object.fromEntries([
      ...Array.from({ length: sets }, (_, index) => [`s${index}`, 1]),
      ...Array.from({ length: removals }, (_, index) => [`r${index}`, null]),
    ]),
  });
  const updateBytes = (sets: number, removals: number) => {
    const actions = [
      ...Array.from({ length: sets }, (_, index) => `#content.#m${index} = :m${index}`),
      ...Array.from({ length: removals }, (_, index) => `#content.#m${sets + index}`),
    ];
    return actions.join(', ').length + ' SET  REMOVE '.length;
  };
  const find = (bytes: number) => {
    for (let sets = 0; sets < 200; sets++)
      for (let removals = 0; removals < 250; removals++)
        if (updateBytes(sets, removals) === bytes) return [sets, removals] as const;
    throw new Error(`no patch of ${bytes} bytes`);
  };

  it('an update part of exactly 3,072 bytes fits; of 3,073, it does not', () => {
    const [sets, removals] = find(3072);
    expect(mergePaths(patchOf(sets, removals))?.set).toHaveLength(sets);
    const [moreSets, moreRemovals] = find(3073);
    expect(mergePaths(patchOf(moreSets, moreRemovals))).toBeUndefined();
  });

  it('a condition part of exactly 3,072 bytes fits; of 3,073, it does not', () => {
    // Scalars first (they take placeholders, so that later ones have more digits), then objects one or two
    // levels down: 'attribute_type(#content.#mI, :map)' or '…#mI.#mJ, :map)'.
    const nested = (fill: number, shallow: number, deep: number) => ({
      content: Object.fromEntries([
        ...Array.from({ length: fill }, (_, index) => [`f${index}`, 1]),
        ...Array.from({ length: shallow }, (_, index) => [`o${index}`, {}]),
        ['d', Object.fromEntries(Array.from({ length: deep }, (_, index) => [`p${index}`, {}]))],
      ]),
    });
    const expectedBytes = (fill: number, shallow: number, deep: number) =>
      [
        '#content',
        ...Array.from({ length: shallow + 1 }, (_, index) => `#content.#m${fill + index}`),
        ...Array.from({ length: deep }, (_, index) => `#content.#m${fill + shallow}.#m${fill + shallow + 1 + index}`),
      ]
        .map((path) => `attribute_type(${path}, :map)`)
        .join(' AND ').length;
    const find = (bytes: number) => {
      for (const fill of [0, 10, 100])
        for (let shallow = 0; shallow < 90; shallow++)
          for (let deep = 0; deep < 90; deep++)
            if (expectedBytes(fill, shallow, deep) === bytes) return nested(fill, shallow, deep);
      throw new Error(`no patch of ${bytes} bytes`);
    };
    expect(mergePaths(find(3072))?.conditions.join(' AND ')).toHaveLength(3072);
    expect(mergePaths(find(3073))).toBeUndefined();
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
