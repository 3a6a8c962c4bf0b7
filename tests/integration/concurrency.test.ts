// Many writers on one record at once, and a record given away or deleted while writes race: the one
// conditional UpdateItem keeps every write whole and lets no forbidden write land.
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';

let harness: Harness;
let alice: string;
let admin: string;
let strangers: string[];

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
  admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
  strangers = await Promise.all(Array.from({ length: 15 }, (_, i) => signToken({ sub: `stranger-${i}` })));
});
afterAll(() => harness.close());

const write = (id: string, token: string, writer: string) =>
  harness.invoke({
    learningId: id,
    token,
    body: { content: { writer, filler: 'x'.repeat(2000) }, metadata: { writer } },
  });

describe('racing writers', () => {
  it('two writers with the same If-Match tag: exactly one wins, the other gets 412, the record holds the winner', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const tag = (await harness.invoke({ learningId: id, token: alice, body: {} })).headers.ETag ?? '';
    const conditional = (writer: string) =>
      harness.invoke({ learningId: id, token: alice, body: { content: { writer } }, headers: { 'if-match': tag } });
    const answers = await Promise.all([conditional('A'), conditional('B')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
    const winner = answers.find((answer) => answer.status === 200);
    expect((await harness.get(id))?.content).toEqual(winner?.body.content);
  });

  it('owners, strangers and an admin at once: every owner and admin write lands whole, no stranger write does', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const writes = [
      ...Array.from({ length: 15 }, (_, i) => write(id, alice, `owner-${i}`)),
      ...strangers.map((token, i) => write(id, token, `stranger-${i}`)),
      ...Array.from({ length: 5 }, (_, i) => write(id, admin, `admin-${i}`)),
    ];
    const answers = await Promise.all(writes);
    expect(answers.slice(0, 15).every((answer) => answer.status === 200)).toBe(true);
    expect(answers.slice(15, 30).every((answer) => answer.status === 404)).toBe(true);
    expect(answers.slice(30).every((answer) => answer.status === 200)).toBe(true);
    const stored = await harness.get(id);
    const writer = (stored?.metadata as { writer?: string } | undefined)?.writer ?? '';
    expect(writer).toMatch(/^(owner|admin)-\d+$/);
    expect(stored?.content).toEqual({ writer, filler: 'x'.repeat(2000) });
    expect(stored?.user_id).toBe('alice');
    expect(stored?.[VERSION_ATTRIBUTE]).toBe(20);
  });

  it("a record given to another owner mid-race: none of the old owner's writes lands after the change", async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const direct = createDocumentClient(harness.config.dynamoDb);
    const giveAway = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await direct.send(
        new UpdateCommand({
          TableName: 'agno_learnings',
          Key: { learning_id: id },
          UpdateExpression: 'SET user_id = :bob, content = :content',
          ExpressionAttributeValues: { ':bob': 'bob', ':content': { writer: 'handover' } },
        }),
      );
    };
    const [answers] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, (_, i) => write(id, alice, `alice-${i}`))),
      giveAway(),
    ]);
    const stored = await harness.get(id);
    expect(stored?.user_id).toBe('bob');
    // Every write the handler let through happened before the handover, which overwrote content.
    expect(stored?.content).toEqual({ writer: 'handover' });
    expect(answers.every((answer) => answer.status === 200 || answer.status === 404)).toBe(true);
  });

  it('a record deleted mid-race is never resurrected', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const direct = createDocumentClient(harness.config.dynamoDb);
    const remove = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await direct.send(new DeleteCommand({ TableName: 'agno_learnings', Key: { learning_id: id } }));
    };
    const [answers] = await Promise.all([
      Promise.all([
        ...Array.from({ length: 30 }, (_, i) => write(id, alice, `alice-${i}`)),
        ...Array.from({ length: 10 }, (_, i) => write(id, admin, `admin-${i}`)),
      ]),
      remove(),
    ]);
    const after = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => write(id, alice, `late-${i}`)),
      ...Array.from({ length: 5 }, (_, i) => write(id, admin, `late-admin-${i}`)),
    ]);
    expect(await harness.get(id)).toBeUndefined();
    expect(answers.every((answer) => answer.status === 200 || answer.status === 404)).toBe(true);
    // Writes after the delete reach DynamoDB and are refused there: nothing is created.
    expect(after.every((answer) => answer.status === 404)).toBe(true);
  });
});
