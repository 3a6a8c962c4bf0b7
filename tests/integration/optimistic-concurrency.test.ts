// ETag / If-Match: lost-update protection inside the same single conditional UpdateItem.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { type Harness, learning, startHarness, uniqueId } from '../support/harness.ts';

let harness: Harness;
let alice: string;
let bob: string;
let admin: string;
let record: Record<string, unknown>;
let id: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
  bob = await signToken({ sub: 'bob' });
  admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
});
afterAll(() => harness.close());
beforeEach(async () => {
  record = learning({ user_id: 'alice' });
  id = String(record.learning_id);
  await harness.put(record);
});

const write = (token: string, content: unknown, ifMatch?: string, learningId = id, query?: Record<string, string>) =>
  harness.invoke({
    learningId,
    token,
    body: { content },
    headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
    ...(query ? { query } : {}),
  });

/** The current ETag, read the way a client would: a PATCH with an empty body. */
async function currentTag(learningId = id, query?: Record<string, string>): Promise<string> {
  const answer = await harness.invoke({ learningId, token: admin, body: {}, ...(query ? { query } : {}) });
  return answer.headers.ETag ?? '';
}

describe('ETag', () => {
  it('every 200 carries a strong ETag that changes with every write; records without a version are version 0', async () => {
    const first = await currentTag();
    expect(first).toMatch(/^"0\.[A-Za-z0-9_-]{10}"$/);
    const written = await write(alice, { n: 1 });
    expect(written.headers.ETag).toMatch(/^"1\./);
    const again = await write(alice, { n: 2 });
    expect(again.headers.ETag).toMatch(/^"2\./);
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBe(2);
  });
});

describe('If-Match', () => {
  it('with the current tag the write lands; with a stale tag it is a 412 carrying the current ETag, and nothing changes', async () => {
    const tag = await currentTag();
    const first = await write(alice, { by: 'first' }, tag);
    expect(first.status).toBe(200);
    const before = await harness.get(id);
    const stale = await write(alice, { by: 'stale' }, tag);
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({
      detail: 'The learning has changed since the version named in If-Match',
      error_code: 'PRECONDITION_FAILED',
    });
    expect(stale.headers.ETag).toBe(first.headers.ETag);
    expect(await harness.get(id)).toEqual(before);
    expect(harness.dynamoDbCalls()[0]).toBe('UpdateCommand');
  });

  it('a tag from another table never matches, even at the same version', async () => {
    await harness.put(record, 'analytics_learnings');
    const foreign = await currentTag(id, { db_id: 'analytics' });
    expect(foreign).toMatch(/^"0\./);
    expect(foreign).not.toBe(await currentTag());
    expect((await write(alice, { x: 1 }, foreign)).status).toBe(412);
    expect(
      (await write(alice, { x: 1 }, await currentTag(id, { db_id: 'analytics' }), id, { db_id: 'analytics' })).status,
    ).toBe(200);
  });

  it('a list of tags matches any of them; weak tags never match', async () => {
    const tag = await currentTag();
    expect((await write(alice, { x: 1 }, `"other", ${tag}`)).status).toBe(200);
    const next = (await harness.get(id))?.[VERSION_ATTRIBUTE];
    expect(next).toBe(1);
    expect((await write(alice, { x: 2 }, `W/${await currentTag()}`)).status).toBe(412);
  });

  it("a chain of conditional writes: each answer's ETag is the If-Match of the next, through versions 1, 2, 3", async () => {
    let tag = await currentTag();
    for (const version of [1, 2, 3]) {
      const answer = await write(alice, { step: version }, tag);
      expect(answer.status).toBe(200);
      expect(answer.headers.ETag).toMatch(new RegExp(`^"${version}\\.`));
      tag = answer.headers.ETag ?? '';
    }
    expect((await write(alice, { step: 'stale' }, `"2.${tag.split('.')[1]}`)).status).toBe(412);
    expect(await harness.get(id)).toMatchObject({ content: { step: 3 }, [VERSION_ATTRIBUTE]: 3 });
  });

  it('a tag names a version only in its one spelling: leading zeros, signs, exponents and fractions never match', async () => {
    const at = async (version: number) => {
      await harness.put({ ...record, [VERSION_ATTRIBUTE]: version });
      return (await currentTag()).slice(1, -1).split('.')[1];
    };
    let hash = await at(1);
    for (const spelling of ['01', '+1', '1e0', '1.0', '0x1']) {
      expect((await write(alice, { x: spelling }, `"${spelling}.${hash}"`)).status, spelling).toBe(412);
    }
    hash = await at(1000);
    expect((await write(alice, { x: '1e3' }, `"1e3.${hash}"`)).status).toBe(412);
    expect((await write(alice, { x: 1000 }, `"1000.${hash}"`)).status).toBe(200);
    // Versions are counted in at most 15 digits: a tag with 16 names none.
    hash = await at(999_999_999_999_999);
    expect((await write(alice, { x: 15 }, `"999999999999999.${hash}"`)).status).toBe(200);
    expect((await write(alice, { x: 16 }, `"1000000000000000.${hash}"`)).status).toBe(412);
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBe(1_000_000_000_000_000);
  });

  it('list syntax: * with spaces, a leading comma, spaces before a comma, and up to 16 tags are all accepted', async () => {
    expect((await write(alice, { x: 1 }, ' * ')).status).toBe(200);
    expect((await write(alice, { x: 2 }, `, ${await currentTag()}`)).status).toBe(200);
    expect((await write(alice, { x: 3 }, `"other" \t, ${await currentTag()}`)).status).toBe(200);
    const fifteenOthers = Array.from({ length: 15 }, (_, n) => `"${n}.other"`);
    expect((await write(alice, { x: 4 }, [...fifteenOthers, await currentTag()].join(','))).status).toBe(200);
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBe(4);
  });

  it('a refused write is never taken for a retry of itself: the same changes, made again in a later second, with the tag they replaced: 412', async () => {
    const second = Math.floor(Date.now() / 1000) * 1000;
    vi.useFakeTimers({ toFake: ['Date'], now: second });
    try {
      const tag = await currentTag();
      expect((await write(alice, { same: 1 }, tag)).status).toBe(200);
      vi.setSystemTime(second + 5000);
      expect((await write(alice, { same: 1 }, tag)).status).toBe(412);
    } finally {
      vi.useRealTimers();
    }
  });

  it('nor is a write refused by If-None-Match, even with the very changes the record got this second', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Math.floor(Date.now() / 1000) * 1000 });
    try {
      const first = await write(alice, { same: 2 });
      const again = await harness.invoke({
        learningId: id,
        token: alice,
        body: { content: { same: 2 } },
        headers: { 'if-none-match': first.headers.ETag ?? '' },
      });
      expect(again.status).toBe(412);
    } finally {
      vi.useRealTimers();
    }
  });

  it('* means only that the record must exist', async () => {
    expect((await write(alice, { x: 1 }, '*')).status).toBe(200);
    expect((await write(alice, { x: 1 }, '*', uniqueId())).status).toBe(404);
  });

  it.each([
    'abc',
    '"unterminated',
    '"a" "b"',
    'W/abc',
    ',',
    '"bad\\"quote"',
    '"with space"',
    Array(17).fill('"t"').join(', '),
  ])('a malformed If-Match (%s) is a 422 and costs no call', async (header) => {
    const answer = await write(alice, { x: 1 }, header);
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      detail: 'If-Match must be * or a list of entity tags',
      error_code: 'VALIDATION_ERROR',
      errors: [{ path: 'header.if-match', message: 'malformed' }],
    });
    expect(harness.dynamoDbCalls()).toEqual([]);
  });

  it('an empty body with If-Match checks the tag and writes nothing', async () => {
    const tag = await currentTag();
    const ok = await harness.invoke({ learningId: id, token: alice, body: {}, headers: { 'if-match': tag } });
    expect(ok.status).toBe(200);
    expect(ok.headers.ETag).toBe(tag);
    await write(alice, { moved: true });
    const stale = await harness.invoke({ learningId: id, token: alice, body: {}, headers: { 'if-match': tag } });
    expect(stale.status).toBe(412);
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBe(1);
  });

  it('ownership answers first: a stale tag reveals nothing to a caller who may not change the record', async () => {
    const stale = '"99.AAAAAAAAAA"';
    expect((await write(bob, { x: 1 }, stale)).status).toBe(404);
    const shared = learning({ user_id: null });
    await harness.put(shared);
    const forbidden = await write(alice, { x: 1 }, stale, String(shared.learning_id));
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.ETag).toBeUndefined();
    expect((await write(alice, { x: 1 }, stale, uniqueId())).status).toBe(404);
    expect(await harness.get(id)).toEqual(record);
  });

  it('without If-Match the last writer wins, as in the reference', async () => {
    expect((await write(alice, { by: 1 })).status).toBe(200);
    expect((await write(alice, { by: 2 })).status).toBe(200);
    expect((await harness.get(id))?.content).toEqual({ by: 2 });
  });
});

describe('If-Match for an admin', () => {
  it('a stale tag is a 412 with the current ETag, also where DynamoDB does not return the old item', async () => {
    const stale = await currentTag();
    expect((await write(alice, { moved: true })).status).toBe(200);
    const answer = await write(admin, { by: 'admin' }, stale);
    expect(answer.status).toBe(412);
    expect(answer.headers.ETag).toMatch(/^"1\./);
    expect((await harness.get(id))?.content).toEqual({ moved: true });
  });
});

describe('If-None-Match', () => {
  const writeUnless = (token: string, ifNoneMatch: string, learningId = id, body: unknown = { content: { x: 1 } }) =>
    harness.invoke({ learningId, token, body, headers: { 'if-none-match': ifNoneMatch } });

  it('* on a record that exists: 412 with the current ETag, nothing written (this PATCH never creates)', async () => {
    const tag = await currentTag();
    const answer = await writeUnless(alice, '*');
    expect(answer.status).toBe(412);
    expect(answer.body.error_code).toBe('PRECONDITION_FAILED');
    expect(answer.headers.ETag).toBe(tag);
    expect(await harness.get(id)).toEqual(record);
    expect(harness.dynamoDbCalls()[0]).toBe('UpdateCommand');
    expect((await writeUnless(alice, '*', id, {})).status).toBe(412);
  });

  it('* on a record that does not exist: 404, nothing created', async () => {
    const missing = uniqueId();
    expect((await writeUnless(admin, '*', missing)).status).toBe(404);
    expect(await harness.get(missing)).toBeUndefined();
  });

  it('a tag the record has, strong or weak: 412; a tag it no longer has (or never had): the write lands', async () => {
    const tag = await currentTag();
    expect((await writeUnless(alice, tag)).status).toBe(412);
    expect((await writeUnless(alice, `"7.AAAAAAAAAA", W/${tag}`)).status).toBe(412);
    expect((await writeUnless(alice, tag, id, {})).status).toBe(412);
    expect(await harness.get(id)).toEqual(record);
    expect((await writeUnless(alice, '"7.AAAAAAAAAA"')).status).toBe(200);
    const moved = await writeUnless(alice, tag, id, { content: { x: 2 } });
    expect(moved.status).toBe(200);
    expect(moved.headers.ETag).toMatch(/^"2\./);
    expect((await writeUnless(alice, tag, id, {})).status).toBe(200);
  });

  it('ownership answers first: 404 for a stranger, 403 on a record with no owner', async () => {
    expect((await writeUnless(bob, '*')).status).toBe(404);
    const shared = learning({ user_id: null });
    await harness.put(shared);
    expect((await writeUnless(alice, '*', String(shared.learning_id))).status).toBe(403);
  });

  it('with If-Match * (spaces around it): If-None-Match alone decides', async () => {
    const answer = await harness.invoke({
      learningId: id,
      token: alice,
      body: { content: { x: 1 } },
      headers: { 'if-match': ' * ', 'if-none-match': '"9.AAAAAAAAAA"' },
    });
    expect(answer.status).toBe(200);
  });

  it('with If-Match: both must hold', async () => {
    const tag = await currentTag();
    const both = (ifNoneMatch: string) =>
      harness.invoke({
        learningId: id,
        token: alice,
        body: { content: { x: 1 } },
        headers: { 'if-match': tag, 'if-none-match': ifNoneMatch },
      });
    expect((await both(tag)).status).toBe(412);
    expect((await both('"9.AAAAAAAAAA"')).status).toBe(200);
  });

  it.each(['abc', '"unterminated', ', ', '* , "a"'])(
    'a malformed If-None-Match (%s) is a 422 and costs no call',
    async (header) => {
      const answer = await writeUnless(alice, header);
      expect(answer.status).toBe(422);
      expect(answer.body.detail).toBe('If-None-Match must be * or a list of entity tags');
      expect(harness.dynamoDbCalls()).toEqual([]);
    },
  );
});
