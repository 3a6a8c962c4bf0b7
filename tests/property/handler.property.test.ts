// Property-based tests with fast-check, thousands of runs each, against the real handler over a real
// dynalite: whatever arrives, the answer is the contract's and the stored record is only ever changed
// as the contract allows. (Every answer is also validated against openapi.yaml by the harness.)
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';
import { runs } from '../support/runs.ts';
import { SPEC_IDENTITY_FIELDS } from '../support/spec-fields.ts';

let harness: Harness;
let tokens: Record<'owner' | 'stranger' | 'admin', string>;

beforeAll(async () => {
  harness = await startHarness();
  tokens = {
    owner: await signToken({ sub: 'alice' }),
    stranger: await signToken({ sub: 'mallory' }),
    admin: await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] }),
  };
});
afterAll(() => harness.close());

// updated_at changes with every write; every other identity field never does.
const IDENTITY = SPEC_IDENTITY_FIELDS.filter((field) => field !== 'updated_at');
const contentTypes = fc.oneof(
  fc.constant('application/json'),
  fc.constant('application/json; charset=utf-8'),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', ''),
  fc.string({ maxLength: 40 }),
);
/** Bodies of every kind: JSON that looks like an update, any JSON, any text, any bytes. */
const anyBody = fc.oneof(
  fc
    .record({ content: fc.jsonValue(), metadata: fc.jsonValue() }, { requiredKeys: [] })
    .map((body) => JSON.stringify(body)),
  fc
    .record(
      { content: fc.jsonValue(), user_id: fc.string(), learning_type: fc.string(), extra: fc.jsonValue() },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);
const request = fc.record({
  body: fc.option(anyBody, { nil: undefined }),
  contentType: contentTypes,
  base64: fc.boolean(),
  caller: fc.constantFrom('owner' as const, 'stranger' as const, 'admin' as const),
});

function isEnvelope(body: Record<string, unknown>): boolean {
  return typeof body.detail === 'string' && typeof body.error_code === 'string';
}

describe('whatever arrives', () => {
  it('never answers 500 or lets an exception escape; every non-2xx answer is the envelope', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType, base64, caller }) => {
        const answer = await harness.invoke({
          learningId: String(record.learning_id),
          token: tokens[caller],
          body,
          base64,
          headers: { 'content-type': contentType },
        });
        expect(answer.status).not.toBe(500);
        if (answer.status !== 200) expect(isEnvelope(answer.body)).toBe(true);
      }),
      { numRuns: runs(1500) },
    );
  });

  it('any Authorization header that is not a valid token is a 401, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string().map((token) => `Bearer ${token}`),
          fc.base64String().map((s) => `Bearer ${s}.${s}.${s}`),
        ),
        async (authorization) => {
          const answer = await harness.invoke({
            learningId: 'lrn_any',
            token: null,
            headers: { authorization },
            body: { content: {} },
          });
          expect(answer.status).toBe(401);
          expect(answer.headers['WWW-Authenticate']).toBe('Bearer');
        },
      ),
      { numRuns: runs(1000) },
    );
  });
});

describe('the stored record', () => {
  it('is unchanged by anything a non-owner sends', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType, base64 }) => {
        await harness.invoke({
          learningId: String(record.learning_id),
          token: tokens.stranger,
          body,
          base64,
          headers: { 'content-type': contentType },
        });
        expect(await harness.get(String(record.learning_id))).toEqual(record);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('keeps its identity fields, created_at and owner whatever anyone sends', async () => {
    const record = learning({
      user_id: 'alice',
      team_id: 'team',
      session_id: 'session',
      entity_id: 'entity',
      entity_type: 'person',
    });
    await harness.put(record);
    const identity = Object.fromEntries(IDENTITY.map((field) => [field, record[field]]));
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType, base64, caller }) => {
        await harness.invoke({
          learningId: String(record.learning_id),
          token: tokens[caller],
          body,
          base64,
          headers: { 'content-type': contentType },
        });
        const stored = (await harness.get(String(record.learning_id))) ?? {};
        expect(Object.fromEntries(IDENTITY.map((field) => [field, stored[field]]))).toEqual(identity);
      }),
      { numRuns: runs(1000) },
    );
  });
});

/** JSON values DynamoDB stores as they are: no forbidden keys, numbers in range, at most a few levels. */
const dynamoNumber = fc
  .oneof(
    fc.integer(),
    fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e120, max: 1e120 })
      .filter((value) => value === 0 || Math.abs(value) >= 1e-120),
  )
  .map((value) => (Object.is(value, -0) ? 0 : value));
const key = fc.string({ maxLength: 12 }).filter((name) => !['__proto__', 'constructor', 'prototype'].includes(name));
const { value: dynamoValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 30 }),
    dynamoNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
}));
const dynamoObject = fc.dictionary(key, dynamoValue, { maxKeys: 8 });

describe('a valid update', () => {
  it('is read back from DynamoDB exactly as it was sent', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    await fc.assert(
      fc.asyncProperty(
        fc.record({ content: dynamoObject, metadata: fc.option(dynamoObject, { nil: null }) }, { requiredKeys: [] }),
        async (update) => {
          const before = await harness.get(id);
          const answer = await harness.invoke({ learningId: id, token: tokens.owner, body: update });
          expect(answer.status).toBe(200);
          const stored = (await harness.get(id)) ?? {};
          for (const field of ['content', 'metadata'] as const) {
            const expected = field in update ? update[field] : before?.[field];
            expect(stored[field]).toEqual(expected);
            expect(answer.body[field]).toEqual(expected);
          }
        },
      ),
      { numRuns: runs(1000) },
    );
  });
});
