// A JSON Patch whose DynamoDB answer is lost after it committed: an append is not idempotent, so it must
// never be applied twice. It is sent once (no SDK retry) and conditioned on the record not holding the
// request's write id; an attempt without an answer is settled by reading the record: the record that holds
// the id holds this write, and one that does not may have lost it to a later write (503, never again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy } from '../../dev/fault-proxy.ts';
import { signToken } from '../../dev/tokens.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { type Harness, learning, startHarness, withFaultProxy } from '../support/harness.ts';

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

const patch = (learningId: string, body: unknown, headers: Record<string, string> = {}) =>
  faulty.invoke({
    learningId,
    token: alice,
    body,
    headers: { 'content-type': 'application/json-patch+json', ...headers },
  });

async function stored(content: Record<string, unknown>): Promise<string> {
  const record = learning({ user_id: 'alice', content });
  await harness.put(record);
  return String(record.learning_id);
}

const append = [{ op: 'add', path: '/content/memories/-', value: { id: 'm1' } }];

describe('an answer lost after an append committed', () => {
  it('another append landing before anything is sent again: never appended twice; 503, the outcome unknown', async () => {
    const id = await stored({ memories: [] });
    proxy.next = ['lose-answer'];
    proxy.afterLoss = async () => {
      proxy.afterLoss = undefined;
      const other = await harness.invoke({
        learningId: id,
        token: alice,
        body: [{ op: 'add', path: '/content/memories/-', value: { id: 'm2' } }],
        headers: { 'content-type': 'application/json-patch+json' },
      });
      expect(other.status).toBe(200);
    };
    const answer = await patch(id, append);
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect((await harness.get(id))?.content).toEqual({ memories: [{ id: 'm1' }, { id: 'm2' }] });
  });

  it.each([
    ['without If-Match', false],
    ['with If-Match', true],
  ])('%s: the retry answers 200 with that append, appended once', async (_name, conditional) => {
    const id = await stored({ memories: [] });
    const headers: Record<string, string> = conditional
      ? { 'if-match': String((await patch(id, [])).headers.ETag) }
      : {};
    proxy.requests.length = 0;
    proxy.next = ['lose-answer'];
    const answer = await patch(id, append, headers);
    expect(proxy.requests).toContain('lose-answer');
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual({ memories: [{ id: 'm1' }] });
    const item = await harness.get(id);
    expect(item?.content).toEqual({ memories: [{ id: 'm1' }] });
    expect(item?.[VERSION_ATTRIBUTE]).toBe(1);
  });

  it('a later write that leaves the write id in place does not make the retry append again', async () => {
    const id = await stored({ memories: [] });
    proxy.next = ['lose-answer'];
    proxy.afterLoss = async () => {
      proxy.afterLoss = undefined;
      const item = await harness.get(id);
      await harness.put({ ...item, content: { memories: [{ id: 'm1' }], other: true }, [VERSION_ATTRIBUTE]: 5 });
    };
    const answer = await patch(id, append);
    expect(answer.status).toBe(200);
    expect((await harness.get(id))?.content).toEqual({ memories: [{ id: 'm1' }], other: true });
    expect(answer.headers.ETag).toMatch(/^"5\./);
  });
});
