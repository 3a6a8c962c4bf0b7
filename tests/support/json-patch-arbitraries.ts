// fast-check arbitraries for JSON Patch: a learning's content and metadata, and patches whose pointers mostly
// name values the document has. Shared by the unit test of applyJsonPatch and the handler's property test.
import fc from 'fast-check';

export const key = fc.constantFrom('a', 'b', 'c', '', '0', '1', '-', 'a/b', '~1', '~');
export const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 3 }),
    fc.integer({ min: -5, max: 5 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));
// Records as JSON.parse makes them: with Object.prototype.
export const record = <T>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(shape, { noNullPrototype: true });
export const learningFields = record({
  content: fc.dictionary(key, jsonValue, { maxKeys: 5, noNullPrototype: true }),
  metadata: fc.option(fc.dictionary(key, jsonValue, { maxKeys: 3, noNullPrototype: true }), { nil: null }),
});

/** Every pointer that names a value in `value` (as tokens), with the value; for an array, '-' too. */
export function pointersIn(value: unknown, tokens: string[] = []): [string[], unknown][] {
  const found: [string[], unknown][] = tokens.length === 0 ? [] : [[tokens, value]];
  if (Array.isArray(value)) {
    found.push([[...tokens, '-'], undefined]);
    for (const [index, element] of value.entries()) found.push(...pointersIn(element, [...tokens, String(index)]));
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, member] of Object.entries(value)) found.push(...pointersIn(member, [...tokens, name]));
  }
  return found;
}

export const pointerText = (tokens: readonly string[]) =>
  tokens.map((token) => `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/**
 * Operations on `fields`: their pointers mostly name values it has (which earlier operations may have
 * changed), some one token further, a few content or metadata whole (the contract refuses most changes of
 * them whole).
 */
export function patchFor(fields: unknown) {
  const named = pointersIn(fields);
  const inside = named.filter(([tokens]) => tokens.length > 1);
  const pointer = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...(inside.length > 0 ? inside : named)).map(([tokens]) => tokens) },
    { weight: 1, arbitrary: fc.constantFrom(['content'], ['metadata']) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...named), fc.constantFrom('a', 'x', '', '0', '1', '2', '-', '1e0', '-1', 'a/b'))
        .map(([[tokens], token]) => [...tokens, token]),
    },
  );
  const path = pointer.map(pointerText);
  // A test's value: mostly the value the document has there at first, so that many tests pass.
  const tested = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...inside, ...named)
        .map(([tokens, value]) => ({ path: pointerText(tokens), value: value ?? null })),
    },
    { weight: 1, arbitrary: record({ path, value: jsonValue }) },
  );
  const operation = fc.oneof(
    record({ op: fc.constantFrom('add', 'replace'), path, value: jsonValue }),
    record({ op: fc.constant('remove'), path }),
    record({ op: fc.constantFrom('move', 'copy'), from: path, path }),
    tested.map((test) => ({ op: 'test', ...test })),
  );
  return fc.array(operation, { maxLength: 5 });
}
