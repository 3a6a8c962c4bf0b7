// RFC 7396's examples (Appendix A) over HTTP: serverless-offline running the real serverless.yml and
// handler over dynalite, each example's original stored as content and its patch sent as
// application/merge-patch+json; then each one level down, where the patches that are not objects apply too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OfflinePatchStack, startOfflinePatchStack } from '../support/offline-patch.ts';

// [original, patch, result]: RFC 7396 Appendix A, in its order. A result of undefined: the patch is not an
// object, which content (always an object) refuses.
const APPENDIX_A: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [
    ['a', 'b'],
    ['c', 'd'],
    ['c', 'd'],
  ],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

let stack: OfflinePatchStack | undefined;
beforeAll(async () => {
  stack = await startOfflinePatchStack();
}, 90_000);
afterAll(() => stack?.stop());

const mergeInto = (content: unknown, body: unknown) =>
  (stack as OfflinePatchStack).patchInto(content, body, 'application/merge-patch+json');

describe('RFC 7396 Appendix A over HTTP', () => {
  it.each(APPENDIX_A)('content %j, patch %j: %j', async (original, patch, result) => {
    const answer = await mergeInto(original, { content: patch });
    if (typeof patch === 'object' && patch !== null && !Array.isArray(patch)) {
      expect(answer.status).toBe(200);
      expect(answer.body.content).toEqual(result);
      expect(answer.stored).toEqual(result);
    } else {
      expect(answer.status).toBe(422);
      expect(answer.body.detail).toBe(
        patch === null
          ? 'content cannot be null; omit the field to leave it unchanged'
          : 'content must be a JSON object',
      );
      expect(answer.stored).toEqual(original);
    }
  });

  it.each(APPENDIX_A)('one level down, content.doc %j, patch %j: %j', async (original, patch, result) => {
    const answer = await mergeInto({ doc: original, kept: true }, { content: { doc: patch } });
    expect(answer.status).toBe(200);
    // A result of null is the member removed.
    const expected = result === null ? { kept: true } : { doc: result, kept: true };
    expect(answer.body.content).toEqual(expected);
    expect(answer.stored).toEqual(expected);
  });
});
