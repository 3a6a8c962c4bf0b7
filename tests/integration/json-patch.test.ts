// JSON Patch (RFC 6902), Content-Type application/json-patch+json: operations applied in order to content
// and metadata, all or none. One UpdateItem when the operations map onto document paths (an append is
// list_append); otherwise the patch is applied to the stored item and written under its version. A patch
// that cannot apply is a 409 with the current ETag, and the record is left as it was.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { VERSION_ATTRIBUTE, WRITE_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { BACKEND, type Harness, learning, startHarness } from '../support/harness.ts';

const JSON_PATCH = 'application/json-patch+json';

let harness: Harness;
let alice: string;
let bob: string;
let admin: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
  bob = await signToken({ sub: 'bob' });
  admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
});
afterAll(() => harness.close());

const patch = (learningId: string, body: unknown, { token = alice, headers = {} as Record<string, string> } = {}) =>
  harness.invoke({ learningId, token, body, headers: { 'content-type': JSON_PATCH, ...headers } });

async function stored(overrides: Record<string, unknown> = {}): Promise<string> {
  const record = learning(overrides);
  await harness.put(record);
  return String(record.learning_id);
}

// The calls of a patch applied to the stored item after its paths failed: moto returns the old item with
// the failed condition, as DynamoDB does; on dynalite the handler reads it.
const AFTER_FAILED_PATHS =
  BACKEND === 'moto' ? ['UpdateCommand', 'UpdateCommand'] : ['UpdateCommand', 'GetCommand', 'UpdateCommand'];
const memory = (id: string, text = id) => ({ id, content: text, created_at: 1 });

describe('operations that map onto document paths: one UpdateItem', () => {
  it('appends to a list with /-, and leaves every other member and field as it was', async () => {
    const id = await stored({ content: { memories: [memory('m1')], name: 'Alice' }, metadata: { source: 'x' } });
    const answer = await patch(id, [{ op: 'add', path: '/content/memories/-', value: memory('m2') }]);
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual({ memories: [memory('m1'), memory('m2')], name: 'Alice' });
    expect(answer.body.metadata).toEqual({ source: 'x' });
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand']);
    const item = await harness.get(id);
    expect(item?.content).toEqual(answer.body.content);
    expect(item?.[VERSION_ATTRIBUTE]).toBe(1);
    expect(answer.headers.ETag).toMatch(/^"1\./);
  });

  it('retires a fact by id: test its id at the index read, then set a member of that element', async () => {
    const facts = [
      { id: 'f1', text: 'likes tea' },
      { id: 'f2', text: 'lives in Lyon' },
    ];
    const id = await stored({ content: { facts } });
    const answer = await patch(id, [
      { op: 'test', path: '/content/facts/1/id', value: 'f2' },
      { op: 'add', path: '/content/facts/1/superseded_at', value: 1700000000 },
    ]);
    expect(answer.status).toBe(200);
    expect((answer.body.content as Record<string, unknown>).facts).toEqual([
      facts[0],
      { ...facts[1], superseded_at: 1700000000 },
    ]);
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand']);
  });

  it('replaces and removes members and elements, adds members, tests scalars and null', async () => {
    const id = await stored({ content: { a: 1, b: { c: 'x', d: null }, l: [1, 2, 3] }, metadata: { m: true } });
    const answer = await patch(id, [
      { op: 'test', path: '/content/a', value: 1.0 },
      { op: 'test', path: '/content/b/d', value: null },
      { op: 'test', path: '/metadata/m', value: true },
      { op: 'replace', path: '/content/a', value: { now: 'a map' } },
      { op: 'remove', path: '/content/b/c' },
      { op: 'add', path: '/content/e', value: [1] },
      { op: 'replace', path: '/content/l/0', value: 'one' },
      { op: 'replace', path: '/metadata', value: null },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual({ a: { now: 'a map' }, b: { d: null }, l: ['one', 2, 3], e: [1] });
    expect(answer.body.metadata).toBeNull();
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand']);
  });

  it('keys are data: dots, brackets, #, :, spaces and ~1, ~0 escapes reach the member they name', async () => {
    const id = await stored({ content: { 'a.b[0]': 1, 'x/y': 2, 'm~n': 3, '#m0 :m0': 4 } });
    const answer = await patch(id, [
      { op: 'replace', path: '/content/a.b[0]', value: 10 },
      { op: 'replace', path: '/content/x~1y', value: 20 },
      { op: 'replace', path: '/content/m~0n', value: 30 },
      { op: 'remove', path: '/content/#m0 :m0' },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual({ 'a.b[0]': 10, 'x/y': 20, 'm~n': 30 });
  });

  it('[] writes nothing and answers the record, as {} does: one read', async () => {
    const id = await stored({ content: { a: 1 } });
    const answer = await patch(id, []);
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual({ a: 1 });
    expect(harness.dynamoDbCalls()).toEqual(['GetCommand']);
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBeUndefined();
  });
});

describe('operations that depend on each other: the patch applied to the stored item', () => {
  it('two operations on one list, an insert, a copy and a move: applied in order, written under the version read', async () => {
    const id = await stored({ content: { l: ['a', 'b', 'c'], o: { k: 1 } } });
    const answer = await patch(id, [
      { op: 'remove', path: '/content/l/0' },
      { op: 'remove', path: '/content/l/0' },
      { op: 'add', path: '/content/l/0', value: 'z' },
      { op: 'copy', from: '/content/o', path: '/content/p' },
      { op: 'move', from: '/content/o/k', path: '/content/p/j' },
      { op: 'test', path: '/content/p', value: { k: 1, j: 1 } },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual({ l: ['z', 'c'], o: {}, p: { k: 1, j: 1 } });
    expect(harness.dynamoDbCalls()).toEqual(['GetCommand', 'UpdateCommand']);
    expect((await harness.get(id))?.content).toEqual(answer.body.content);
  });

  it('a test of an object or a list compares by value, members in any order, numbers by value', async () => {
    const id = await stored({ content: { doc: { b: [1, { c: 2.5 }], a: 'x' } } });
    const answer = await patch(id, [
      { op: 'test', path: '/content/doc', value: { a: 'x', b: [1.0, { c: 2.5 }] } },
      { op: 'add', path: '/content/tested', value: true },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.content).toMatchObject({ tested: true });
    const refused = await patch(id, [{ op: 'test', path: '/content/doc/b', value: [{ c: 2.5 }, 1] }]);
    expect(refused.status).toBe(409);
  });

  it('keeps the numbers, sets and binary values other tools stored where the patch does not reach', async () => {
    const digits = '12345678901234567890123';
    const id = await stored({
      content: { big: NumberValue.from(digits), tags: new Set(['a', 'b']), raw: new Uint8Array([1, 2]), l: [1] },
    });
    const answer = await patch(id, [
      { op: 'add', path: '/content/l/0', value: 0 },
      { op: 'add', path: '/content/l/-', value: 2 },
    ]);
    expect(answer.status).toBe(200);
    expect(harness.dynamoDbCalls()).toEqual(['GetCommand', 'UpdateCommand']);
    expect(answer.raw).toContain(`"big":${digits}`);
    const { tags, raw, ...rest } = ((await harness.get(id))?.content ?? {}) as Record<string, unknown>;
    expect(tags).toEqual(new Set(['a', 'b']));
    expect(raw).toEqual(new Uint8Array([1, 2]));
    expect(JSON.stringify(rest)).toBe(`{"big":${digits},"l":[0,1,2]}`);
  });
});

describe('a patch that cannot apply: 409 with the current ETag, nothing written', () => {
  it.each([
    ['a test that fails', [{ op: 'test', path: '/content/a', value: 2 }], /Operation 0 \(test\)/],
    ['a path that does not exist', [{ op: 'remove', path: '/content/missing' }], /Operation 0 \(remove\)/],
    ['an index out of range', [{ op: 'replace', path: '/content/l/5', value: 1 }], /Operation 0 \(replace\)/],
    ['a parent that is not a container', [{ op: 'add', path: '/content/a/b', value: 1 }], /Operation 0 \(add\)/],
    ['an append to what is no list', [{ op: 'add', path: '/content/a/-', value: 1 }], /Operation 0 \(add\)/],
    [
      'a later operation, after earlier ones that applied',
      [
        { op: 'add', path: '/content/new', value: 1 },
        { op: 'test', path: '/content/l/0', value: 'other' },
      ],
      /Operation 1 \(test\)/,
    ],
  ])('%s', async (_name, operations, detail) => {
    const id = await stored({ content: { a: 1, l: ['x'] }, [VERSION_ATTRIBUTE]: 4 });
    const answer = await patch(id, operations);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ error_code: 'CONFLICT' });
    expect(answer.body.detail).toMatch(detail);
    expect(answer.headers.ETag).toMatch(/^"4\./);
    const item = await harness.get(id);
    expect(item?.content).toEqual({ a: 1, l: ['x'] });
    expect(item?.[VERSION_ATTRIBUTE]).toBe(4);
  });

  it('a caller who may not change the record learns nothing from a test: 404 or 403, as for any write', async () => {
    const bobs = await stored({ user_id: 'bob', content: { secret: 's' } });
    const failing = [{ op: 'test', path: '/content/secret', value: 'guess' }];
    const passing = [{ op: 'test', path: '/content/secret', value: 's' }];
    expect((await patch(bobs, failing)).status).toBe(404);
    expect((await patch(bobs, passing)).status).toBe(404);
    const shared = await stored({ user_id: null, content: { secret: 's' } });
    expect((await patch(shared, failing)).status).toBe(403);
    expect((await patch(shared, failing, { token: admin })).status).toBe(409);
    expect((await patch('lrn_missing_patch', failing)).status).toBe(404);
    expect((await patch(bobs, failing, { token: bob })).status).toBe(409);
  });

  it('If-Match answers before the patch: a stale tag is a 412 even when the patch would not apply', async () => {
    const id = await stored({ content: { a: 1 }, [VERSION_ATTRIBUTE]: 2 });
    const first = await patch(id, [
      { op: 'test', path: '/content/a', value: 1 },
      { op: 'replace', path: '/content/a', value: 2 },
    ]);
    expect(first.status).toBe(200);
    const stale = await patch(id, [{ op: 'test', path: '/content/a', value: 1 }], {
      headers: { 'if-match': String(first.headers.ETag).replace(/^"3/, '"2') },
    });
    expect(stale.status).toBe(412);
    const fresh = await patch(
      id,
      [
        { op: 'test', path: '/content/a', value: 2 },
        { op: 'remove', path: '/content/a' },
      ],
      {
        headers: { 'if-match': String(first.headers.ETag) },
      },
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body.content).toEqual({});
  });
});

describe('the contract of the body: 422 before any call', () => {
  it.each([
    ['not an array', { op: 'add' }, /must be a JSON Patch/],
    ['an unknown op', [{ op: 'append', path: '/content/a', value: 1 }], /op must be one of/],
    ['a missing value', [{ op: 'add', path: '/content/a' }], /value is required/],
    ['a pointer without its leading /', [{ op: 'remove', path: 'content/a' }], /JSON Pointer/],
    ['an identity field', [{ op: 'replace', path: '/user_id', value: 'eve' }], /Field 'user_id' is immutable/],
    [
      'a copy from an identity field',
      [{ op: 'copy', from: '/user_id', path: '/content/u' }],
      /Field 'user_id' is immutable/,
    ],
    ['another top-level name', [{ op: 'add', path: '/extra', value: 1 }], /Unknown field 'extra'/],
    ['removing content', [{ op: 'remove', path: '/content' }], /content cannot be removed/],
    ['content made a list', [{ op: 'replace', path: '/content', value: [] }], /content must be a JSON object/],
    ['metadata made a number', [{ op: 'add', path: '/metadata', value: 1 }], /metadata must be a JSON object or null/],
    ['a forbidden key in a pointer', [{ op: 'add', path: '/content/__proto__', value: 1 }], /not allowed/],
    ['a forbidden key in a value', [{ op: 'add', path: '/content/a', value: { constructor: 1 } }], /not allowed/],
  ])('%s', async (_name, body, detail) => {
    const id = await stored({ content: { a: 1 } });
    const answer = await patch(id, body);
    expect(answer.status).toBe(422);
    expect(answer.body.error_code).toBe('VALIDATION_ERROR');
    expect(answer.body.detail).toMatch(detail);
    expect(harness.dynamoDbCalls()).toEqual([]);
  });

  it('a patch whose values take more than 400 KB: 413 before any call', async () => {
    const id = await stored({ content: { a: 1 } });
    const half = 'x'.repeat(210 * 1024);
    const answer = await patch(id, [
      { op: 'add', path: '/content/one', value: half },
      { op: 'add', path: '/content/two', value: half },
    ]);
    expect(answer.status).toBe(413);
    expect(harness.dynamoDbCalls()).toEqual([]);
  });

  it('a patch that makes content something else when applied: 422, nothing written', async () => {
    const id = await stored({ content: { a: 'text' } });
    const answer = await patch(id, [{ op: 'move', from: '/content/a', path: '/content' }]);
    expect(answer.status).toBe(422);
    expect(answer.body.detail).toMatch(/content must be a JSON object/);
    expect((await harness.get(id))?.content).toEqual({ a: 'text' });
  });
});

describe('a retried append', () => {
  it('holds its write id, and a record that holds it is not appended to again', async () => {
    const id = await stored({ content: { l: [] } });
    const answer = await patch(id, [{ op: 'add', path: '/content/l/-', value: 1 }]);
    expect(answer.status).toBe(200);
    const item = await harness.get(id);
    expect(typeof item?.[WRITE_ATTRIBUTE]).toBe('string');
    expect(answer.body).not.toHaveProperty(WRITE_ATTRIBUTE);
  });

  it('a patch applied through the stored item after its paths failed makes the calls the backend needs', async () => {
    const id = await stored({ content: { l: 'not a list' } });
    const answer = await patch(id, [{ op: 'add', path: '/content/l/-', value: 1 }]);
    expect(answer.status).toBe(409);
    expect(harness.dynamoDbCalls()).toEqual(AFTER_FAILED_PATHS.slice(0, -1));
  });
});
