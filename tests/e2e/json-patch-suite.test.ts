// The JSON Patch community test suite (json-patch-test-suite) over HTTP: serverless-offline running the real
// serverless.yml and handler over dynalite, each case's document stored under a key of content and its patch
// sent as application/json-patch+json, every pointer moved under /content/doc. A case with an error must be
// refused (409 when it cannot apply, 422 when it is malformed) and leave the record as it was; any other
// must store and answer the expected document.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../../dev/local-dynamodb.ts';
import { type RunningOffline, startOffline } from '../../dev/offline.ts';
import { DEV_JWT_SECRET, signToken } from '../../dev/tokens.ts';
import { documentClientFor, learning } from '../support/harness.ts';
import { enabledSuiteCases, prefixPointers } from '../support/json-patch-suite.ts';

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

async function patchInto(content: unknown, body: unknown) {
  const record = learning({ user_id: 'alice', content });
  await documents().send(new PutCommand({ TableName: 'agno_learnings', Item: record }));
  const id = String(record.learning_id);
  const response = await fetch(`${offline.baseUrl}/learnings/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json-patch+json' },
    body: JSON.stringify(body),
  });
  const { Item } = await documents().send(
    new GetCommand({ TableName: 'agno_learnings', Key: { learning_id: id }, ConsistentRead: true }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, stored: Item?.content };
}

describe('the community suite over HTTP, each document at content.doc', () => {
  it.each(enabledSuiteCases)('$name', async ({ testCase }) => {
    const content = { doc: testCase.doc, kept: true };
    const answer = await patchInto(content, prefixPointers(testCase.patch, '/content/doc'));
    if (testCase.error !== undefined) {
      expect([409, 422]).toContain(answer.status);
      expect(answer.stored).toEqual(content);
      return;
    }
    const expected = { doc: 'expected' in testCase ? testCase.expected : testCase.doc, kept: true };
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual(expected);
    expect(answer.stored).toEqual(expected);
  });
});
