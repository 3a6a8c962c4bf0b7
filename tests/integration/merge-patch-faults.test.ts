// A merge patch whose DynamoDB answer is lost: the write is never sent again once it may have applied. The
// record read after it holds the request's write id (this write: 200), or is still at the one version
// If-Match names (not applied: written now), or neither (503: applied or not, nobody can tell).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy } from '../../dev/fault-proxy.ts';
import { signToken } from '../../dev/tokens.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { BACKEND, type Harness, learning, startHarness, withFaultProxy } from '../support/harness.ts';

let harness: Harness;
let proxy: FaultProxy;
let faulty: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness();
  ({ proxy, faulty } = await withFaultProxy(harness));
  alice = await signToken({ sub: 'alice' });
});
afterAll(async () => {
  await proxy.close();
  await harness.close();
});

const merge = (learningId: string, body: unknown, headers: Record<string, string> = {}) =>
  faulty.invoke({
    learningId,
    token: alice,
    body,
    headers: { 'content-type': 'application/merge-patch+json', ...headers },
  });

async function stored(content: Record<string, unknown>): Promise<{ id: string; tag: string }> {
  const record = learning({ user_id: 'alice', content });
  await harness.put(record);
  const id = String(record.learning_id);
  return { id, tag: (await merge(id, {})).headers.ETag ?? '' };
}

// The calls before the second write, which merges onto the old item: the path write that failed, and on
// dynalite the read of the old item.
const BEFORE_SECOND_WRITE: ('pass' | 'lose-answer')[] = BACKEND === 'moto' ? ['pass'] : ['pass', 'pass'];

describe('an answer lost after a merge committed', () => {
  it.each([
    ['through paths, with If-Match', { a: { c: 1 } }, [] as string[], true],
    ['through paths, without If-Match', { a: { c: 1 } }, [], false],
    ['a refusal lost, If-Match naming the version the record is still at', { a: 1 }, [], true],
    ['onto the old item, with If-Match', { a: 'not a map' }, BEFORE_SECOND_WRITE, true],
    ['onto the old item, without If-Match', { a: 'not a map' }, BEFORE_SECOND_WRITE, false],
  ])('%s: 200 with that merge, merged once', async (_name, content, before, conditional) => {
    const { id, tag } = await stored({ keep: true, ...content });
    proxy.requests.length = 0;
    proxy.next = [...(before as ('pass' | 'lose-answer')[]), 'lose-answer'];
    const answer = await merge(id, { content: { a: { b: 1 } } }, conditional ? { 'if-match': tag } : {});
    expect(proxy.requests).toContain('lose-answer');
    expect(answer.status).toBe(200);
    // RFC 7396: the patch's object merges into a map, and replaces anything else.
    const merged = { keep: true, a: { ...(typeof content.a === 'object' ? content.a : {}), b: 1 } };
    expect(answer.body.content).toEqual(merged);
    const item = await harness.get(id);
    expect(item?.content).toEqual(merged);
    expect(item?.[VERSION_ATTRIBUTE]).toBe(1);
    expect(answer.headers.ETag).toMatch(/^"1\./);
  });

  it('a refusal whose answer is lost (the paths met a value that is no map), without If-Match: 503, nothing written', async () => {
    const { id } = await stored({ keep: true, a: 1 });
    proxy.next = ['lose-answer'];
    const answer = await merge(id, { content: { a: { b: 1 } } });
    expect(answer.status).toBe(503);
    const item = await harness.get(id);
    expect(item?.content).toEqual({ keep: true, a: 1 });
    expect(item?.[VERSION_ATTRIBUTE]).toBeUndefined();
  });

  it('whole, a patch too large for one expression: the retry of the version-conditioned write answers 200 with it', async () => {
    const { id } = await stored({ keep: true });
    const patch = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`k${index}`, index]));
    // The read of the record, then the write whose answer is lost.
    proxy.next = ['pass', 'lose-answer'];
    const answer = await merge(id, { content: patch });
    expect(answer.status).toBe(200);
    expect(answer.headers.ETag).toMatch(/^"1\./);
    const item = await harness.get(id);
    expect(item?.[VERSION_ATTRIBUTE]).toBe(1);
    expect(item?.content).toEqual({ keep: true, ...patch });
  });

  it('whole, the record then written over by another that kept its write id: 200 with the record as it stands, merged once', async () => {
    const { id } = await stored({ keep: true });
    const patch = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`k${index}`, index]));
    proxy.next = ['pass', 'lose-answer'];
    proxy.afterLoss = async () => {
      proxy.afterLoss = undefined;
      // A whole write by another, at the next version: it leaves the merge's write id in the record.
      await harness.put({ ...(await harness.get(id)), content: { other: true }, [VERSION_ATTRIBUTE]: 2 });
    };
    const answer = await merge(id, { content: patch });
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual({ other: true });
    expect(answer.headers.ETag).toMatch(/^"2\./);
  });

  it('the record then handed to another owner: 503 (the outcome is unknown), never a refusal', async () => {
    for (const conditional of [true, false]) {
      const { id, tag } = await stored({ a: 1 });
      proxy.next = ['lose-answer'];
      proxy.afterLoss = async () => {
        proxy.afterLoss = undefined;
        await harness.put({ ...(await harness.get(id)), user_id: 'bob' });
      };
      const answer = await merge(id, { content: { b: 2 } }, conditional ? { 'if-match': tag } : {});
      expect(answer.status).toBe(503);
    }
  });

  it('the record then written by another merge (its own write id): 503 with or without If-Match, never merged again', async () => {
    for (const conditional of [true, false]) {
      const { id, tag } = await stored({ a: 1 });
      proxy.next = ['lose-answer'];
      proxy.afterLoss = async () => {
        proxy.afterLoss = undefined;
        const other = await harness.invoke({
          learningId: id,
          token: alice,
          body: { content: { b: 'other' } },
          headers: { 'content-type': 'application/merge-patch+json' },
        });
        expect(other.status).toBe(200);
      };
      expect((await merge(id, { content: { b: 2 } }, conditional ? { 'if-match': tag } : {})).status).toBe(503);
      const item = await harness.get(id);
      expect(item?.content).toEqual({ a: 1, b: 'other' });
      expect(item?.[VERSION_ATTRIBUTE]).toBe(2);
    }
  });

  it('is not confused with another merge: the same If-Match with a patch the record does not hold is a 412', async () => {
    const { id, tag } = await stored({ a: 1 });
    expect((await merge(id, { content: { b: 2 } }, { 'if-match': tag })).status).toBe(200);
    for (const patch of [{ content: { b: 3 } }, { content: { b: 2 }, metadata: { m: 1 } }, { content: { c: {} } }]) {
      expect((await merge(id, patch, { 'if-match': tag })).status).toBe(412);
    }
  });
});
