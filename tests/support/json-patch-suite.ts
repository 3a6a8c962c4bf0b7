// The JSON Patch community test suite (the json-patch-test-suite package: tests.json and spec_tests.json),
// its cases placed in a learning, shared by the unit test of applyJsonPatch and the test over HTTP.
import { createRequire } from 'node:module';

/** The patch's operations with `prefix` put before each `path` and `from` that is a string. */
export function prefixPointers(patch: readonly unknown[], prefix: string): unknown[] {
  return patch.map((operation) => {
    if (typeof operation !== 'object' || operation === null || Array.isArray(operation)) return operation;
    const copy: Record<string, unknown> = { ...operation };
    for (const member of ['path', 'from']) {
      if (typeof copy[member] === 'string') copy[member] = `${prefix}${copy[member]}`;
    }
    return copy;
  });
}

export interface SuiteCase {
  comment?: string;
  doc: unknown;
  patch: unknown[];
  expected?: unknown;
  error?: string;
  disabled?: boolean;
}

const require = createRequire(import.meta.url);
const suite: [string, SuiteCase[]][] = [
  ['tests.json', require('json-patch-test-suite/tests.json')],
  ['spec_tests.json', require('json-patch-test-suite/spec_tests.json')],
];
// Cases of the suite this contract cannot hold, each with its reason. None so far: a document that is not
// an object, or a patch of the whole document, is placed one level down at /content/doc.
export const SKIPPED: Record<string, string> = {};

/**
 * A suite case as a learning: its document as content, each pointer under /content; or, when the document
 * is not an object or the patch names the whole document (''), its document at /content/doc, each pointer
 * under /content/doc, since content itself is always an object.
 */
export function asLearning(testCase: SuiteCase): {
  content: unknown;
  patch: unknown[];
  expect: (doc: unknown) => unknown;
} {
  const whole = testCase.patch.some((operation) => {
    const { path, from } = operation as { path?: unknown; from?: unknown };
    return path === '' || from === '';
  });
  if (!whole && typeof testCase.doc === 'object' && testCase.doc !== null && !Array.isArray(testCase.doc)) {
    return { content: testCase.doc, patch: prefixPointers(testCase.patch, '/content'), expect: (doc) => doc };
  }
  return {
    content: { doc: testCase.doc },
    patch: prefixPointers(testCase.patch, '/content/doc'),
    expect: (doc) => ({ doc }),
  };
}

const cases = suite.flatMap(([file, list]) =>
  list.map((testCase, index) => ({
    name: `${file} #${index}: ${testCase.comment ?? testCase.error ?? JSON.stringify(testCase.patch)}`,
    testCase,
  })),
);
export const enabledSuiteCases = cases.filter(({ testCase }) => testCase.disabled !== true);
