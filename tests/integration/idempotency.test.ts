// Idempotency-Key: a retry of a write already made is answered with the record as it stands, never applied
// again; the key lives in the record, written by the same conditional UpdateItem as the change.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { KEY_ATTRIBUTE_PREFIX, VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { idempotencyKey, KEY_WINDOW_SECONDS, TRIM_AT } from '../../lib/write/idempotency.ts';
import { BACKEND, type Harness, learning, startHarness } from '../support/harness.ts';

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

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';

const send = (learningId: string, body: unknown, headers: Record<string, string>, token = alice) =>
  harness.invoke({ learningId, token, body, headers });

const append = (memory: string) => [{ op: 'add', path: '/content/memories/-', value: { id: memory } }];

async function stored(fields: Record<string, unknown> = {}): Promise<string> {
  const record = learning({ user_id: 'alice', content: { memories: [] }, ...fields });
  await harness.put(record);
  return String(record.learning_id);
}

const versionOf = (etag: string | undefined) => Number(/^"(\d+)\./.exec(etag ?? '')?.[1]);

describe('a key sent again with the same body', () => {
  it.each([
    ['an append', JSON_PATCH, append('m1'), { memories: [{ id: 'm1' }] }],
    ['a merge patch', MERGE_PATCH, { content: { facts: { a: 1 } } }, { memories: [], facts: { a: 1 } }],
    ['a whole replace', 'application/json', { content: { replaced: true } }, { replaced: true }],
  ])(
    '%s: applied once; the retry answers 200 with the record as it stands, replayed',
    async (_name, type, body, content) => {
      const id = await stored();
      const headers = { 'content-type': type, 'idempotency-key': 'write-1' };
      const first = await send(id, body, headers);
      expect(first.status).toBe(200);
      expect(first.headers['Idempotent-Replayed']).toBeUndefined();
      expect(first.body.content).toEqual(content);
      // Another write lands in between: the replay answers the record as it now stands.
      expect((await send(id, { metadata: { later: true } }, { 'content-type': 'application/json' })).status).toBe(200);
      const retry = await send(id, body, headers);
      expect(retry.status).toBe(200);
      expect(retry.headers['Idempotent-Replayed']).toBe('true');
      expect(retry.body.content).toEqual(content);
      expect(retry.body.metadata).toEqual({ later: true });
      expect(Object.keys(retry.body).filter((name) => name.startsWith('etag_'))).toEqual([]);
      expect(versionOf(retry.headers.ETag)).toBe(2);
      const item = await harness.get(id);
      expect(item?.content).toEqual(content);
      expect(item?.[VERSION_ATTRIBUTE]).toBe(2);
    },
  );

  it('the same JSON in another member order and spacing is the same body; a replay answers before If-Match', async () => {
    const id = await stored();
    const headers = { 'content-type': MERGE_PATCH, 'idempotency-key': 'order' };
    const first = await send(id, { content: { a: 1, b: { c: 2, d: 3 } }, metadata: { m: 1 } }, headers);
    expect(first.status).toBe(200);
    const retry = await harness.invoke({
      learningId: id,
      token: alice,
      headers: { ...headers, 'if-match': '"0.AAAAAAAAAA"' },
      body: ' {"metadata" : {"m":1}, "content":{"b":{"d":3,"c":2},"a":1}} ',
    });
    expect(retry.status).toBe(200);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
  });

  it('a keyed write is one UpdateItem, and so is its replay (dynalite, which returns no old item on a failed condition, adds a read)', async () => {
    const id = await stored();
    const headers = { 'content-type': JSON_PATCH, 'idempotency-key': 'calls' };
    await send(id, append('m1'), headers);
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand']);
    await send(id, append('m2'), { 'content-type': JSON_PATCH, 'idempotency-key': 'calls-2' });
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand']);
    await send(id, append('m1'), headers);
    expect(harness.dynamoDbCalls()).toEqual(BACKEND === 'moto' ? ['UpdateCommand'] : ['UpdateCommand', 'GetCommand']);
  });
});

describe('a key sent again with a patch that must read the record first', () => {
  it('a move (applied to the stored item) answers its replay, not 409: the source is gone by now', async () => {
    const id = await stored({ content: { draft: 'x' } });
    const headers = { 'content-type': JSON_PATCH, 'idempotency-key': 'move' };
    const body = [{ op: 'move', from: '/content/draft', path: '/content/final' }];
    expect((await send(id, body, headers)).status).toBe(200);
    const retry = await send(id, body, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(retry.body.content).toEqual({ final: 'x' });
  });

  it('a merge too large for one expression, sent again with its now stale If-Match: the replay, not 412', async () => {
    const id = await stored({ content: {} });
    const tag = (await send(id, {}, { 'content-type': 'application/json' })).headers.ETag ?? '';
    const patch = { content: Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`k${index}`, index])) };
    const headers = { 'content-type': MERGE_PATCH, 'idempotency-key': 'large', 'if-match': tag };
    expect((await send(id, patch, headers)).status).toBe(200);
    const retry = await send(id, patch, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBe(1);
  });
});

describe('a key sent again with a patch whose paths do not match the record', () => {
  it('an index into a map, which dynalite refuses as an invalid path before the condition: the read answers the replay', async () => {
    const id = await stored({ content: { m: { 0: 'zero' } } });
    const headers = { 'content-type': JSON_PATCH, 'idempotency-key': 'map-index' };
    const body = [{ op: 'replace', path: '/content/m/0', value: 'replaced' }];
    expect((await send(id, body, headers)).status).toBe(200);
    const retry = await send(id, body, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBe(1);
  });
});

describe('the request log', () => {
  it('names a replay as its outcome, and a JSON Patch as patched', async () => {
    const logged = harness.withEnv({ LOG_REQUESTS: 'all' });
    const id = await stored();
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      for (let sent = 0; sent < 2; sent++) {
        await logged.invoke({
          learningId: id,
          token: alice,
          body: append('m1'),
          headers: { 'content-type': JSON_PATCH, 'idempotency-key': 'logged' },
        });
        // The line is written after the answer.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      write.mockRestore();
    }
    const outcomes = written
      .filter((line) => line.includes('"message":"update_learning"'))
      .map((line) => JSON.parse(line).outcome);
    expect(outcomes).toEqual(['patched', 'replayed']);
  });
});

describe('a key that is not a retry of the same request', () => {
  it('the same key with another body, or another media type: 422, nothing written', async () => {
    const id = await stored();
    const headers = { 'content-type': JSON_PATCH, 'idempotency-key': 'reused' };
    expect((await send(id, append('m1'), headers)).status).toBe(200);
    for (const [body, type] of [
      [append('m2'), JSON_PATCH],
      [{ content: { memories: [{ id: 'm1' }] } }, MERGE_PATCH],
    ] as const) {
      const answer = await send(id, body, { ...headers, 'content-type': type });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({
        detail: 'This Idempotency-Key was sent with another body',
        error_code: 'VALIDATION_ERROR',
        errors: [{ path: 'header.idempotency-key', message: 'already used with another body' }],
      });
    }
    const item = await harness.get(id);
    expect(item?.content).toEqual({ memories: [{ id: 'm1' }] });
    expect(item?.[VERSION_ATTRIBUTE]).toBe(1);
  });

  it("another caller's identical key is its own; a stranger's is refused as any request, learning nothing", async () => {
    const id = await stored();
    const headers = { 'content-type': JSON_PATCH, 'idempotency-key': 'shared-key' };
    expect((await send(id, append('m1'), headers)).status).toBe(200);
    const byAdmin = await send(id, append('m1'), headers, admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.headers['Idempotent-Replayed']).toBeUndefined();
    expect(byAdmin.body.content).toEqual({ memories: [{ id: 'm1' }, { id: 'm1' }] });
    const byStranger = await send(id, append('m1'), headers, bob);
    expect(byStranger.status).toBe(404);
    expect(byStranger.headers['Idempotent-Replayed']).toBeUndefined();
  });

  it('the same key on another record is applied there', async () => {
    const first = await stored();
    const second = await stored();
    const headers = { 'content-type': JSON_PATCH, 'idempotency-key': 'per-record' };
    expect((await send(first, append('m1'), headers)).status).toBe(200);
    const other = await send(second, append('m1'), headers);
    expect(other.headers['Idempotent-Replayed']).toBeUndefined();
    expect((await harness.get(second))?.content).toEqual({ memories: [{ id: 'm1' }] });
  });

  it('a key whose entry is older than the window is forgotten: the write applies again', async () => {
    const body = append('m1');
    const key = idempotencyKey('alice', 'old', 'json-patch', body);
    const old = Math.floor(Date.now() / 1000) - KEY_WINDOW_SECONDS - 5;
    const id = await stored({ [key.attribute]: `${old} ${key.fingerprint}` });
    const answer = await send(id, body, { 'content-type': JSON_PATCH, 'idempotency-key': 'old' });
    expect(answer.status).toBe(200);
    expect(answer.headers['Idempotent-Replayed']).toBeUndefined();
    expect((await harness.get(id))?.content).toEqual({ memories: [{ id: 'm1' }] });
  });

  it('without a key, the same body sent twice is written twice: nothing is remembered', async () => {
    const id = await stored();
    for (const type of [JSON_PATCH, MERGE_PATCH, 'application/json']) {
      const body = type === JSON_PATCH ? append('m1') : { content: { memories: [] } };
      const first = await send(id, body, { 'content-type': type });
      const second = await send(id, body, { 'content-type': type });
      expect(second.headers['Idempotent-Replayed']).toBeUndefined();
      expect(versionOf(second.headers.ETag)).toBe(versionOf(first.headers.ETag) + 1);
    }
    const entries = Object.keys((await harness.get(id)) ?? {}).filter((name) => name.startsWith(KEY_ATTRIBUTE_PREFIX));
    expect(entries).toEqual([]);
  });

  it('{} with a key reads the record and records no key', async () => {
    const id = await stored();
    const answer = await send(id, {}, { 'content-type': 'application/json', 'idempotency-key': 'read' });
    expect(answer.status).toBe(200);
    expect(Object.keys((await harness.get(id)) ?? {}).filter((name) => name.startsWith(KEY_ATTRIBUTE_PREFIX))).toEqual(
      [],
    );
  });
});

describe('the header itself', () => {
  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
    ['a control character', 'a\u0001b'],
    ['a leading space', ' key'],
    ['a trailing space', 'key '],
  ])('%s: 422 before any DynamoDB call', async (_name, key) => {
    const id = await stored();
    const answer = await send(id, append('m1'), { 'content-type': JSON_PATCH, 'idempotency-key': key });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters',
      errors: [{ path: 'header.idempotency-key', message: 'malformed' }],
    });
    expect(harness.dynamoDbCalls()).toEqual([]);
  });

  it.each([
    ['255 characters', 'k'.repeat(255)],
    ['spaces inside and punctuation', 'agent 7: "append" #3 ~ {x}'],
    ['one character', '!'],
  ])('%s: accepted', async (_name, key) => {
    const id = await stored();
    const answer = await send(id, append('m1'), { 'content-type': JSON_PATCH, 'idempotency-key': key });
    expect(answer.status).toBe(200);
  });
});

describe("the record's entries", () => {
  it('are trimmed of the expired once 16 gather, by a keyed write; the version moves only for the write', async () => {
    const old = Math.floor(Date.now() / 1000) - KEY_WINDOW_SECONDS - 5;
    const expired = Object.fromEntries(
      Array.from({ length: TRIM_AT }, (_, index) => [`${KEY_ATTRIBUTE_PREFIX}e${index}`, `${old} f`]),
    );
    const id = await stored({ ...expired, [`${KEY_ATTRIBUTE_PREFIX}foreign`]: 42 });
    const answer = await send(id, append('m1'), { 'content-type': JSON_PATCH, 'idempotency-key': 'trim' });
    expect(answer.status).toBe(200);
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand', 'UpdateCommand']);
    const item = await harness.get(id);
    const key = idempotencyKey('alice', 'trim', 'json-patch', append('m1'));
    // What is no entry of this service's (a number) is left alone.
    const entries = Object.keys(item ?? {}).filter((name) => name.startsWith(KEY_ATTRIBUTE_PREFIX));
    expect(entries.sort()).toEqual([key.attribute, `${KEY_ATTRIBUTE_PREFIX}foreign`].sort());
    expect(item?.[VERSION_ATTRIBUTE]).toBe(1);
  });
});
