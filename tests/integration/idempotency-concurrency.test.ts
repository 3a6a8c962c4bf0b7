// Idempotency-Key under concurrency: the key and the write are one conditional UpdateItem, so of requests
// racing with one key exactly one applies, and keyed agents appending at once each append once. Run on
// dynalite only (vitest.config.ts: moto applies concurrent UpdateItems to one item without isolation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../dev/tokens.ts';
import { KEY_ATTRIBUTE_PREFIX, VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
});
afterAll(() => harness.close());

const append = (learningId: string, memory: string, key: string) =>
  harness.invoke({
    learningId,
    token: alice,
    body: [{ op: 'add', path: '/content/memories/-', value: memory }],
    headers: { 'content-type': 'application/json-patch+json', 'idempotency-key': key },
  });

async function stored(): Promise<string> {
  const record = learning({ user_id: 'alice', content: { memories: [] } });
  await harness.put(record);
  return String(record.learning_id);
}

describe('requests racing with one key', () => {
  it('20 at once: all 200, exactly one applied, the others its replays', async () => {
    const id = await stored();
    const answers = await Promise.all(Array.from({ length: 20 }, () => append(id, 'once', 'same-key')));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const replayed = answers.filter((answer) => answer.headers['Idempotent-Replayed'] === 'true');
    expect(replayed).toHaveLength(19);
    const item = await harness.get(id);
    expect(item?.content).toEqual({ memories: ['once'] });
    expect(item?.[VERSION_ATTRIBUTE]).toBe(1);
  });
});

describe('keyed agents appending at once', () => {
  it('40 agents, each its own key: each element once, versions 1..40, 40 UpdateItems', async () => {
    const id = await stored();
    const memories = Array.from({ length: 40 }, (_, index) => `m-${index}`);
    const answers = await Promise.all(memories.map((memory) => append(id, memory, `key-${memory}`)));
    expect(answers.map((answer) => answer.status)).toEqual(memories.map(() => 200));
    expect(answers.some((answer) => answer.headers['Idempotent-Replayed'] !== undefined)).toBe(false);
    // Each request clears the record of calls as it starts, all before any call: the calls of all 40.
    expect(harness.dynamoDbCalls()).toEqual(memories.map(() => 'UpdateCommand'));
    const item = await harness.get(id);
    const { memories: appended = [] } = (item?.content ?? {}) as { memories?: string[] };
    expect([...appended].sort()).toEqual([...memories].sort());
    expect(item?.[VERSION_ATTRIBUTE]).toBe(40);
    expect(Object.keys(item ?? {}).filter((name) => name.startsWith(KEY_ATTRIBUTE_PREFIX))).toHaveLength(40);
  });
});
