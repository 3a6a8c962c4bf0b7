// Many agents merging into one record at once (JSON Merge Patch): every merge is its own atomic write, and
// none is lost, whether the stored shape takes the patch (one UpdateItem each) or a branch must be created
// first (set where the record holds no map, on the condition that it still holds none).
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

const merge = (learningId: string, body: unknown) =>
  harness.invoke({ learningId, token: alice, body, headers: { 'content-type': 'application/merge-patch+json' } });

async function stored(overrides: Record<string, unknown> = {}): Promise<string> {
  const record = learning(overrides);
  await harness.put(record);
  return String(record.learning_id);
}

describe('many agents on one record', () => {
  it('40 agents each merge their own key at once: all 200, every key kept, versions 1..40 once each', async () => {
    const id = await stored({ content: { facts: {} } });
    const agents = Array.from({ length: 40 }, (_, index) => `agent-${index}`);
    const answers = await Promise.all(
      agents.map((agent) => merge(id, { content: { facts: { [agent]: `fact of ${agent}` } } })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(agents.map(() => 200));
    const versions = answers
      .map((answer) => Number(/^"(\d+)\./.exec(answer.headers.ETag ?? '')?.[1]))
      .sort((a, b) => a - b);
    expect(versions).toEqual(agents.map((_, index) => index + 1));
    const { facts } = ((await harness.get(id))?.content ?? {}) as { facts: Record<string, string> };
    expect(Object.keys(facts).sort()).toEqual([...agents].sort());
  });

  it('10 agents merge into a branch none of them finds: the first creates it, the others merge into it; none is lost', async () => {
    const id = await stored({ content: { name: 'Alice' } });
    const agents = Array.from({ length: 10 }, (_, index) => `agent-${index}`);
    const answers = await Promise.all(agents.map((agent) => merge(id, { content: { facts: { [agent]: true } } })));
    expect(answers.map((answer) => answer.status)).toEqual(agents.map(() => 200));
    const content = (await harness.get(id))?.content as { name: string; facts: Record<string, boolean> };
    expect(content.name).toBe('Alice');
    expect(Object.keys(content.facts).sort()).toEqual([...agents].sort());
  });
});
