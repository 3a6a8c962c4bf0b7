// A write whose DynamoDB answer is lost after it committed, while another agent's write lands before the
// service can look again: applied exactly once, for each body format. Without a key the service cannot
// tell whether it applied (503, never applied again); with a key it finds the key's entry, and the agent's
// retry with that key, after a 503 or no answer at all, is answered without being applied again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext } from '../../dev/events.ts';
import type { FaultProxy } from '../../dev/fault-proxy.ts';
import { signToken } from '../../dev/tokens.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { type Harness, learning, startHarness, withFaultProxy } from '../support/harness.ts';

let harness: Harness;
let proxy: FaultProxy;
let faulty: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  harness = await startHarness();
  ({ proxy, faulty } = await withFaultProxy(harness));
  alice = await signToken({ sub: 'alice' });
  // An admin: another agent writing the same record.
  bob = await signToken({ sub: 'bob', scopes: ['agent_os:admin'] });
});
afterAll(async () => {
  await proxy.close();
  await harness.close();
});

interface Format {
  type: string;
  mine: unknown;
  other: unknown;
  /** The content once both writes applied, each once: this request's first, then the other's. */
  both: Record<string, unknown>;
}

// Each format's write and another agent's, both on content.memories (an append) or content.owner.
const FORMATS: [string, Format][] = [
  [
    'an append',
    {
      type: 'application/json-patch+json',
      mine: [{ op: 'add', path: '/content/memories/-', value: 'mine' }],
      other: [{ op: 'add', path: '/content/memories/-', value: 'other' }],
      both: { memories: ['mine', 'other'] },
    },
  ],
  [
    'a merge patch',
    {
      type: 'application/merge-patch+json',
      mine: { content: { owner: 'mine', mine: 1 } },
      other: { content: { owner: 'other' } },
      both: { memories: [], owner: 'other', mine: 1 },
    },
  ],
  [
    'a whole replace',
    {
      type: 'application/json',
      mine: { content: { owner: 'mine' } },
      other: { metadata: { by: 'other' } },
      both: { owner: 'mine' },
    },
  ],
];

async function stored(): Promise<string> {
  const record = learning({ user_id: 'alice', content: { memories: [] } });
  await harness.put(record);
  return String(record.learning_id);
}

const write = (target: Harness, id: string, format: Format, key?: string) =>
  target.invoke({
    learningId: id,
    token: alice,
    body: format.mine,
    headers: { 'content-type': format.type, ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });

/** The next write's answer is lost after it committed; another agent's write lands before anything else. */
function loseAnswerThenOtherWrite(id: string, format: Format): void {
  proxy.next = ['lose-answer'];
  proxy.afterLoss = async () => {
    proxy.afterLoss = undefined;
    const other = await harness.invoke({
      learningId: id,
      token: bob,
      body: format.other,
      headers: { 'content-type': format.type },
    });
    expect(other.status).toBe(200);
  };
}

async function expectAppliedOnce(id: string, format: Format): Promise<void> {
  const item = await harness.get(id);
  expect(item?.content).toEqual(format.both);
  expect(item?.[VERSION_ATTRIBUTE]).toBe(2);
}

describe.each(FORMATS)('%s whose answer is lost, another write landing before the service looks again', (_, format) => {
  it('without a key: 503 (applied or not, nobody can tell), and applied once', async () => {
    const id = await stored();
    loseAnswerThenOtherWrite(id, format);
    const answer = await write(faulty, id, format);
    expect(answer.status).toBe(503);
    await expectAppliedOnce(id, format);
  });

  it('with a key: 200 (its entry says it applied), as a replay since the record moved on; so is the agent retrying it anyway', async () => {
    const id = await stored();
    loseAnswerThenOtherWrite(id, format);
    const answer = await write(faulty, id, format, 'lost-1');
    expect(answer.status).toBe(200);
    // The record as it stands, which holds the other write too: not what this write made.
    expect(answer.headers['Idempotent-Replayed']).toBe('true');
    expect(answer.body.content).toEqual(format.both);
    const retry = await write(harness, id, format, 'lost-1');
    expect(retry.status).toBe(200);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(retry.headers.ETag).toMatch(/^"2\./);
    await expectAppliedOnce(id, format);
  });

  it('with a key, the service answering 503 (its read fails too): the agent retries with the key, applied once', async () => {
    const id = await stored();
    loseAnswerThenOtherWrite(id, format);
    // The read that would settle the lost answer is reset, on both of its attempts.
    proxy.next.push('reset', 'reset');
    expect((await write(faulty, id, format, 'lost-2')).status).toBe(503);
    const retry = await write(harness, id, format, 'lost-2');
    expect(retry.status).toBe(200);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    await expectAppliedOnce(id, format);
  });

  it('with a key, DynamoDB never reached (503): the retry with the key applies it, once', async () => {
    const id = await stored();
    // The write, then both attempts of the read that would settle it.
    proxy.next = ['reset', 'reset', 'reset'];
    expect((await write(faulty, id, format, 'unreached')).status).toBe(503);
    const retry = await write(harness, id, format, 'unreached');
    expect(retry.status).toBe(200);
    expect(retry.headers['Idempotent-Replayed']).toBeUndefined();
    const again = await write(harness, id, format, 'unreached');
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect((await harness.get(id))?.[VERSION_ATTRIBUTE]).toBe(1);
  });
});

describe('the handler as deployed (its own clients, built from the configuration)', () => {
  it('never has the SDK send a write again: a merge whose answer is lost, another write landing, is a 503, merged once', async () => {
    const deployed = createUpdateLearningHandler(faulty.config);
    const [, format] = FORMATS[1] as [string, Format];
    const id = await stored();
    loseAnswerThenOtherWrite(id, format);
    const event = httpEvent({
      learningId: id,
      token: alice,
      body: format.mine,
      headers: { 'content-type': format.type },
    });
    const answer = (await deployed(event, lambdaContext())) as { statusCode: number };
    expect(answer.statusCode).toBe(503);
    await expectAppliedOnce(id, format);
  });
});

describe('the read client, unlike the write client', () => {
  it('retries a call whose connection was reset, as the SDK does: a read is safe to send again', async () => {
    const id = await stored();
    proxy.requests.length = 0;
    proxy.next = ['reset'];
    const answer = await faulty.invoke({ learningId: id, token: alice, body: {} });
    expect(proxy.requests.slice(0, 2)).toEqual(['reset', 'pass']);
    expect(answer.status).toBe(200);
  });
});
