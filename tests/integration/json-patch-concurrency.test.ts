// Many agents editing one list at once (JSON Patch): each append is one UpdateItem that no other append
// conflicts with, and an edit or removal that tests the element's id at the index it read either applies
// to that very element or is refused with 409 and re-read. Run on dynalite only (vitest.config.ts: moto
// applies concurrent UpdateItems to one item without isolation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../dev/tokens.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
});
afterAll(() => harness.close());

const patch = (learningId: string, body: unknown) =>
  harness.invoke({ learningId, token: alice, body, headers: { 'content-type': 'application/json-patch+json' } });

async function stored(content: Record<string, unknown>): Promise<string> {
  const record = learning({ content });
  await harness.put(record);
  return String(record.learning_id);
}

type Memory = { id: string; content: string };

describe('many agents on one list', () => {
  it('40 agents each append one memory at once: all 200, each exactly once, versions 1..40, 40 UpdateItems', async () => {
    const id = await stored({ memories: [] });
    const agents = Array.from({ length: 40 }, (_, index) => `m-${index}`);
    const answers = await Promise.all(
      agents.map((memory) =>
        patch(id, [{ op: 'add', path: '/content/memories/-', value: { id: memory, content: `said ${memory}` } }]),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(agents.map(() => 200));
    const versions = answers
      .map((answer) => Number(/^"(\d+)\./.exec(answer.headers.ETag ?? '')?.[1]))
      .sort((a, b) => a - b);
    expect(versions).toEqual(agents.map((_, index) => index + 1));
    expect(harness.dynamoDbCalls().filter((call) => call === 'UpdateCommand')).toHaveLength(40);
    expect(harness.dynamoDbCalls().filter((call) => call !== 'UpdateCommand')).toEqual([]);
    const { memories } = ((await harness.get(id))?.content ?? {}) as { memories: Memory[] };
    expect(memories.map((memory) => memory.id).sort()).toEqual([...agents].sort());
  });

  it('appends racing with removals that test the id at the index they read: no append lost, only the tested removed', async () => {
    const initial = Array.from({ length: 10 }, (_, index) => ({ id: `old-${index}`, content: 'x' }));
    const id = await stored({ memories: initial });
    const toRemove = ['old-1', 'old-4', 'old-7', 'old-8'];
    const removeById = async (memoryId: string): Promise<number> => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const { memories } = ((await harness.get(id))?.content ?? {}) as { memories: Memory[] };
        const index = memories.findIndex((memory) => memory.id === memoryId);
        const answer = await patch(id, [
          { op: 'test', path: `/content/memories/${index}/id`, value: memoryId },
          { op: 'remove', path: `/content/memories/${index}` },
        ]);
        if (answer.status !== 409) return answer.status;
      }
      return 409;
    };
    const appends = Array.from({ length: 20 }, (_, index) => `new-${index}`);
    const statuses = await Promise.all([
      ...appends.map((memoryId) =>
        patch(id, [{ op: 'add', path: '/content/memories/-', value: { id: memoryId, content: 'y' } }]).then(
          (answer) => answer.status,
        ),
      ),
      ...toRemove.map(removeById),
    ]);
    expect(statuses).toEqual([...appends, ...toRemove].map(() => 200));
    const { memories } = ((await harness.get(id))?.content ?? {}) as { memories: Memory[] };
    const kept = initial.map((memory) => memory.id).filter((memoryId) => !toRemove.includes(memoryId));
    expect(memories.map((memory) => memory.id).sort()).toEqual([...kept, ...appends].sort());
  });
});
