// mergePatch against a direct transcription of RFC 7396's pseudo-code (§2), on random documents and
// patches; and the handler's merges, through DynamoDB, against mergePatch.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../dev/tokens.ts';
import { mergePatch } from '../../lib/write/merge-patch.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';
import { runs } from '../support/runs.ts';

/**
 * RFC 7396 §2, line by line, on a copy of the target:
 *   define MergePatch(Target, Patch):
 *     if Patch is an Object:
 *       if Target is not an Object:
 *         Target = {} # Ignore the contents and set it to an empty Object
 *       for each Name/Value pair in Patch:
 *         if Value is null:
 *           if Name exists in Target:
 *             remove the Name/Value pair from Target
 *         else:
 *           Target[Name] = MergePatch(Target[Name], Value)
 *       return Target
 *     else:
 *       return Patch
 */
function rfcMergePatch(target: unknown, patch: unknown): unknown {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isObject(patch)) {
    const result: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
    for (const [name, value] of Object.entries(patch)) {
      if (value === null) {
        if (Object.hasOwn(result, name)) delete result[name];
      } else {
        result[name] = rfcMergePatch(Object.hasOwn(result, name) ? result[name] : undefined, value);
      }
    }
    return result;
  }
  return patch;
}

// Keys from a small alphabet, so that patches and documents share many.
const key = fc.constantFrom('a', 'b', 'c', 'd', '', 'a.b', '#x', ':y', 'with space');
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 5 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
}));
const document = fc.oneof(fc.dictionary(key, jsonValue, { maxKeys: 6, noNullPrototype: true }), jsonValue);
const patch = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(key, jsonValue, { maxKeys: 6, noNullPrototype: true }) },
  jsonValue,
);

describe('mergePatch', () => {
  it('is RFC 7396 §2: the same result as its pseudo-code, for any document and patch', () => {
    fc.assert(
      fc.property(document, patch, (target, change) => {
        expect(mergePatch(target, change)).toStrictEqual(rfcMergePatch(target, change));
      }),
      { numRuns: runs(5000) },
    );
  });

  it('changes neither input, and applying the same patch twice is applying it once', () => {
    fc.assert(
      fc.property(document, patch, (target, change) => {
        const before = structuredClone({ target, change });
        const once = mergePatch(target, change);
        expect({ target, change }).toStrictEqual(before);
        expect(mergePatch(once, change)).toStrictEqual(once);
      }),
      { numRuns: runs(2000) },
    );
  });
});

let harness: Harness;
let owner: string;

beforeAll(async () => {
  harness = await startHarness();
  owner = await signToken({ sub: 'alice' });
});
afterAll(() => harness.close());

// Values DynamoDB stores as they are (keys no attribute name refuses; dynalite stores the empty key too).
const storedValue = fc.dictionary(key, jsonValue, { maxKeys: 6, noNullPrototype: true });
const objectPatch = fc.dictionary(key, jsonValue, { maxKeys: 6, noNullPrototype: true });

describe('a merge patch through the handler and DynamoDB', () => {
  it('stores and answers mergePatch(stored, patch) for content and metadata, whichever way it is written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // Maps, and patches of either field or both.
          fc.tuple(
            fc.record({ content: storedValue, metadata: fc.option(storedValue, { nil: null }) }),
            fc.record({ content: objectPatch, metadata: fc.option(objectPatch, { nil: null }) }, { requiredKeys: [] }),
          ),
          // Anything another tool may have stored, and a patch of both fields (the answer shows only objects).
          fc.tuple(
            fc.record({ content: jsonValue, metadata: jsonValue }),
            fc.record({ content: objectPatch, metadata: fc.option(objectPatch, { nil: null }) }),
          ),
        ),
        async ([stored, change]) => {
          const record = learning({ user_id: 'alice', ...stored });
          await harness.put(record);
          const answer = await harness.invoke({
            learningId: String(record.learning_id),
            token: owner,
            body: change,
            headers: { 'content-type': 'application/merge-patch+json' },
          });
          expect(answer.status).toBe(200);
          const item = (await harness.get(String(record.learning_id))) ?? {};
          for (const field of ['content', 'metadata'] as const) {
            const expected = field in change ? mergePatch(stored[field], change[field]) : stored[field];
            expect(item[field]).toEqual(expected);
            expect(answer.body[field]).toEqual(expected);
          }
        },
      ),
      { numRuns: runs(500) },
    );
  });
});
