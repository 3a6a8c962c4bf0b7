// RFC 7396's examples (Appendix A) over HTTP: serverless-offline running the real serverless.yml and
// handler over dynalite, each example's original stored as content and its patch sent as
// application/merge-patch+json; then each one level down, where the patches that are not objects apply too.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../../dev/local-dynamodb.ts';
import { type RunningOffline, startOffline } from '../../dev/offline.ts';
import { DEV_JWT_SECRET, signToken } from '../../dev/tokens.ts';
import { documentClientFor, learning } from '../support/harness.ts';

// [original, patch, result]: RFC 7396 Appendix A, in its order. A result of undefined: the patch is not an
// object, which content (always an object) refuses.
const APPENDIX_A: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [
    ['a', 'b'],
    ['c', 'd'],
    ['c', 'd'],
  ],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

let dynamoDb: LocalDynamoDb;
let offline: RunningOffline;
let alice: string;
const documents = () => documentClientFor(dynamoDb.endpoint);

beforeAll(async () => {
  dynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  offline = await startOffline({
    DYNAMODB_ENDPOINT: dynamoDb.endpoint,
    JWT_ALGORITHMS: 'HS256',
    JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
    LOG_REQUESTS: 'false',
  });
  alice = await signToken({ sub: 'alice' });
}, 90_000);
afterAll(async () => {
  await offline?.stop();
  await dynamoDb?.close();
});

async function mergeInto(content: unknown, body: unknown) {
  const record = learning({ user_id: 'alice', content });
  await documents().send(new PutCommand({ TableName: 'agno_learnings', Item: record }));
  const id = String(record.learning_id);
  const response = await fetch(`${offline.baseUrl}/learnings/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify(body),
  });
  const { Item } = await documents().send(
    new GetCommand({ TableName: 'agno_learnings', Key: { learning_id: id }, ConsistentRead: true }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, stored: Item?.content };
}

describe('RFC 7396 Appendix A over HTTP', () => {
  it.each(APPENDIX_A)('content %j, patch %j: %j', async (original, patch, result) => {
    const answer = await mergeInto(original, { content: patch });
    if (typeof patch === 'object' && patch !== null && !Array.isArray(patch)) {
      expect(answer.status).toBe(200);
      expect(answer.body.content).toEqual(result);
      expect(answer.stored).toEqual(result);
    } else {
      expect(answer.status).toBe(422);
      expect(answer.body.detail).toBe(
        patch === null
          ? 'content cannot be null; omit the field to leave it unchanged'
          : 'content must be a JSON object',
      );
      expect(answer.stored).toEqual(original);
    }
  });

  it.each(APPENDIX_A)('one level down, content.doc %j, patch %j: %j', async (original, patch, result) => {
    const answer = await mergeInto({ doc: original, kept: true }, { content: { doc: patch } });
    expect(answer.status).toBe(200);
    // A result of null is the member removed.
    const expected = result === null ? { kept: true } : { doc: result, kept: true };
    expect(answer.body.content).toEqual(expected);
    expect(answer.stored).toEqual(expected);
  });
});
