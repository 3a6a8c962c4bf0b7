// DynamoDB proper returns the old item when a condition fails; dynalite does not. Here dynalite answers
// through a proxy that adds it, as DynamoDB does, so the real SDK parses a real ALL_OLD answer: every
// outcome costs exactly one call at the wire, and the old item is read correctly.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountingProxy, startAllOldProxy } from '../../dev/all-old-proxy.ts';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { type Harness, learning, startHarness, uniqueId } from '../support/harness.ts';

let harness: Harness;
let proper: Harness;
let proxy: CountingProxy;
let alice: string;
let admin: string;

beforeAll(async () => {
  harness = await startHarness();
  proxy = await startAllOldProxy(String(harness.config.dynamoDb.endpoint));
  proper = harness.withEnv({ DYNAMODB_ENDPOINT: proxy.endpoint, DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: 'true' });
  alice = await signToken({ sub: 'alice' });
  admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
});
afterAll(async () => {
  proxy.close();
  await harness.close();
});

async function invoke(learningId: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  proxy.calls.length = 0;
  const answer = await proper.invoke({ learningId, token, body, headers });
  return { ...answer, calls: [...proxy.calls] };
}

describe('one call per outcome on DynamoDB proper', () => {
  it.each([
    ['200 owner', { user_id: 'alice' }, 200],
    ['403 no owner (NULL)', { user_id: null }, 403],
    ['403 no owner (absent)', { user_id: undefined }, 403],
    ["404 another user's", { user_id: 'bob' }, 404],
  ])('%s: one UpdateItem', async (_name, owner, status) => {
    const record = learning(owner);
    if (owner.user_id === undefined) delete record.user_id;
    await harness.put(record);
    const answer = await invoke(String(record.learning_id), alice, { content: { x: 1 } });
    expect(answer.status).toBe(status);
    expect(answer.calls).toEqual(['UpdateItem']);
  });

  it('404 for a record that does not exist: one UpdateItem, for an admin and a non-admin', async () => {
    for (const token of [alice, admin]) {
      const answer = await invoke(uniqueId(), token, { content: {} });
      expect(answer.status).toBe(404);
      expect(answer.calls).toEqual(['UpdateItem']);
    }
  });

  it('a stale If-Match: 412 with the ETag of the old item DynamoDB returned, one call', async () => {
    const record = learning({
      user_id: 'alice',
      etag_version: 4,
      content: { big: NumberValue.from('12345678901234567890') },
    });
    await harness.put(record);
    const answer = await invoke(String(record.learning_id), alice, { content: {} }, { 'if-match': '"1.AAAAAAAAAA"' });
    expect(answer.status).toBe(412);
    expect(answer.headers.ETag).toMatch(/^"4\./);
    expect(answer.calls).toEqual(['UpdateItem']);
  });

  it('an empty body: one GetItem', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const answer = await invoke(String(record.learning_id), alice, {});
    expect(answer.status).toBe(200);
    expect(answer.calls).toEqual(['GetItem']);
  });
});
