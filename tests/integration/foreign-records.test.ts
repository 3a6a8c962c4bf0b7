// Records that other tools wrote to the same table: attributes of types this service never writes, in
// places it reads. None may make a record unwritable, answer 500, or come back altered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';

let harness: Harness;
let alice: string;
let admin: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
  admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
});
afterAll(() => harness.close());

const foreignValues: [string, unknown][] = [
  ['a string', 'v7'],
  ['NULL', null],
  ['a map', { major: 7 }],
  ['a list', [7]],
  ['a boolean', true],
];

describe("another tool's `version` attribute", () => {
  it.each(foreignValues)(
    'holding %s: owners and admins write, and it is left exactly as it was',
    async (_name, value) => {
      const record = learning({ user_id: 'alice', version: value });
      const id = String(record.learning_id);
      await harness.put(record);
      for (const [token, n] of [
        [alice, 1],
        [admin, 2],
      ] as const) {
        const answer = await harness.invoke({ learningId: id, token, body: { content: { n } } });
        expect(answer.status).toBe(200);
        expect(answer.headers.ETag).toMatch(new RegExp(`^"${n}\\.`));
      }
      const stored = await harness.get(id);
      expect(stored?.version).toEqual(value);
      expect(stored?.content).toEqual({ n: 2 });
    },
  );

  it('holding a number: not this service’s counter either; ETags start at 0 beside it', async () => {
    const record = learning({ user_id: 'alice', version: 41 });
    const id = String(record.learning_id);
    await harness.put(record);
    const answer = await harness.invoke({ learningId: id, token: alice, body: { content: { n: 1 } } });
    expect(answer.headers.ETag).toMatch(/^"1\./);
    expect((await harness.get(id))?.version).toBe(41);
  });
});

describe(`the service's own counter (${VERSION_ATTRIBUTE}) written with another type`, () => {
  it.each(foreignValues)('holding %s: taken over at version 1, with or without If-Match', async (_name, value) => {
    for (const withIfMatch of [false, true]) {
      const record = learning({ user_id: 'alice', [VERSION_ATTRIBUTE]: value });
      const id = String(record.learning_id);
      await harness.put(record);
      const empty = await harness.invoke({ learningId: id, token: alice, body: {} });
      expect(empty.status).toBe(200);
      expect(empty.headers.ETag).toMatch(/^"0\./);
      const headers: Record<string, string> = withIfMatch ? { 'if-match': empty.headers.ETag ?? '' } : {};
      const written = await harness.invoke({ learningId: id, token: alice, body: { content: { n: 1 } }, headers });
      expect(written.status).toBe(200);
      expect(written.headers.ETag).toMatch(/^"1\./);
      const stored = await harness.get(id);
      expect(stored?.[VERSION_ATTRIBUTE]).toBe(1);
      expect(stored?.content).toEqual({ n: 1 });
      // The chain goes on from there.
      const next = await harness.invoke({
        learningId: id,
        token: alice,
        body: { content: { n: 2 } },
        headers: { 'if-match': written.headers.ETag ?? '' },
      });
      expect(next.status).toBe(200);
      expect(next.headers.ETag).toMatch(/^"2\./);
    }
  });

  it('a stranger still gets a 404 and changes nothing; a stale If-Match still gets a 412', async () => {
    const record = learning({ user_id: 'bob', [VERSION_ATTRIBUTE]: 'v7' });
    const id = String(record.learning_id);
    await harness.put(record);
    expect((await harness.invoke({ learningId: id, token: alice, body: { content: { n: 1 } } })).status).toBe(404);
    const stale = await harness.invoke({
      learningId: id,
      token: admin,
      body: { content: { n: 1 } },
      headers: { 'if-match': '"3.AAAAAAAAAA"' },
    });
    expect(stale.status).toBe(412);
    expect(await harness.get(id)).toEqual(record);
  });
});

describe('sets and binary stored inside content and metadata', () => {
  it('are answered faithfully: sets as arrays, binary as base64 text, on a write and on an empty body', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const record = learning({
      user_id: 'alice',
      content: { tags: new Set(['a', 'b']), scores: new Set([1, 2.5]), blob: bytes, blobs: new Set([bytes]) },
      metadata: { nested: { list: ['before', new Set(['x']), 'after'], raw: bytes, plain: 1 } },
    });
    const id = String(record.learning_id);
    await harness.put(record);
    const expectedContent = {
      tags: ['a', 'b'],
      scores: [1, 2.5],
      blob: 'AAEC+v8=',
      blobs: ['AAEC+v8='],
    };
    const empty = await harness.invoke({ learningId: id, token: alice, body: {} });
    expect(empty.status).toBe(200);
    expect(empty.body.content).toEqual(expectedContent);
    // Converted in place: the values around a set or binary are kept.
    expect(empty.body.metadata).toEqual({ nested: { list: ['before', ['x'], 'after'], raw: 'AAEC+v8=', plain: 1 } });
    const written = await harness.invoke({ learningId: id, token: alice, body: { metadata: { m: 1 } } });
    expect(written.status).toBe(200);
    expect(written.body.content).toEqual(expectedContent);
    // The stored sets and binary are untouched by a write of the other field.
    expect((await harness.get(id))?.content).toEqual(record.content);
  });
});
