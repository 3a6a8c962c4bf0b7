// JSON Patch through the handler and DynamoDB, against applyJsonPatch applied here: random stored documents
// and random patches whose pointers mostly name values the document has. Whichever way the handler writes
// (document paths in one UpdateItem, or the patch applied to the stored item), the record stored and
// answered is the local application's; a patch that cannot apply is a 409 and one the contract refuses a
// 422, each leaving the record as it was.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../dev/tokens.ts';
import { ValidationError } from '../../lib/errors.ts';
import { applyJsonPatch, JsonPatchConflict, parseJsonPatch } from '../../lib/json-patch.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';
import { learningFields, patchFor } from '../support/json-patch-arbitraries.ts';
import { runs } from '../support/runs.ts';

let harness: Harness;
let owner: string;

beforeAll(async () => {
  harness = await startHarness();
  owner = await signToken({ sub: 'alice' });
});
afterAll(() => harness.close());

/** The local result: the patched fields, or the status the contract gives the error. */
function locally(fields: { content: unknown; metadata: unknown }, patch: unknown[]) {
  try {
    return { status: 200, fields: applyJsonPatch(fields, parseJsonPatch(patch)) };
  } catch (error) {
    if (error instanceof JsonPatchConflict) return { status: 409, fields };
    if (error instanceof ValidationError) return { status: 422, fields };
    throw error;
  }
}

describe('a JSON Patch through the handler and DynamoDB', () => {
  it('stores and answers what applyJsonPatch gives, or refuses as it does and changes nothing', async () => {
    const cases = learningFields.chain((fields) => fc.tuple(fc.constant(fields), patchFor(fields)));
    await fc.assert(
      fc.asyncProperty(cases, async ([fields, patch]) => {
        const record = learning({ user_id: 'alice', ...fields });
        await harness.put(record);
        const expected = locally(fields, patch);
        const answer = await harness.invoke({
          learningId: String(record.learning_id),
          token: owner,
          body: patch,
          headers: { 'content-type': 'application/json-patch+json' },
        });
        expect(answer.status).toBe(expected.status);
        const item = (await harness.get(String(record.learning_id))) ?? {};
        expect(item.content).toEqual(expected.fields.content);
        expect(item.metadata ?? null).toEqual(expected.fields.metadata ?? null);
        if (answer.status === 200) expect(answer.body.content).toEqual(expected.fields.content);
      }),
      { numRuns: runs(Number(process.env.JSON_PATCH_RUNS ?? 500)) },
    );
  });
});
