// The JSON Patch community test suite (json-patch-test-suite) over HTTP: serverless-offline running the real
// serverless.yml and handler over dynalite, each case's document stored under a key of content and its patch
// sent as application/json-patch+json, every pointer moved under /content/doc. A case with an error must be
// refused (409 when it cannot apply, 422 when it is malformed) and leave the record as it was; any other
// must store and answer the expected document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enabledSuiteCases, prefixPointers } from '../support/json-patch-suite.ts';
import { type OfflinePatchStack, startOfflinePatchStack } from '../support/offline-patch.ts';

let stack: OfflinePatchStack | undefined;
beforeAll(async () => {
  stack = await startOfflinePatchStack();
}, 90_000);
afterAll(() => stack?.stop());

const patchInto = (content: unknown, body: unknown) =>
  (stack as OfflinePatchStack).patchInto(content, body, 'application/json-patch+json');

describe('the community suite over HTTP, each document at content.doc', () => {
  it.each(enabledSuiteCases)('$name', async ({ testCase }) => {
    const content = { doc: testCase.doc, kept: true };
    const answer = await patchInto(content, prefixPointers(testCase.patch, '/content/doc'));
    if (testCase.error !== undefined) {
      expect([409, 422]).toContain(answer.status);
      expect(answer.stored).toEqual(content);
      return;
    }
    const expected = { doc: 'expected' in testCase ? testCase.expected : testCase.doc, kept: true };
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual(expected);
    expect(answer.stored).toEqual(expected);
  });
});
