// The stack the examples over HTTP run on: serverless-offline with the real serverless.yml and handler over
// a dynalite of its own. patchInto stores a learning of Alice's with the given content, sends one PATCH
// with the given media type, and answers the status, the body and the content stored after it.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../../dev/local-dynamodb.ts';
import { type RunningOffline, startOffline } from '../../dev/offline.ts';
import { DEV_JWT_SECRET, signToken } from '../../dev/tokens.ts';
import { documentClientFor, learning } from './harness.ts';

export interface OfflinePatchStack {
  patchInto(
    content: unknown,
    body: unknown,
    contentType: string,
  ): Promise<{ status: number; body: Record<string, unknown>; stored: unknown }>;
  stop(): Promise<void>;
}

export async function startOfflinePatchStack(): Promise<OfflinePatchStack> {
  const dynamoDb: LocalDynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  const offline: RunningOffline = await startOffline({
    DYNAMODB_ENDPOINT: dynamoDb.endpoint,
    JWT_ALGORITHMS: 'HS256',
    JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
    LOG_REQUESTS: 'false',
  });
  const alice = await signToken({ sub: 'alice' });
  const documents = documentClientFor(dynamoDb.endpoint);
  return {
    patchInto: async (content, body, contentType) => {
      const record = learning({ user_id: 'alice', content });
      await documents.send(new PutCommand({ TableName: 'agno_learnings', Item: record }));
      const id = String(record.learning_id);
      const response = await fetch(`${offline.baseUrl}/learnings/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${alice}`, 'content-type': contentType },
        body: JSON.stringify(body),
      });
      const { Item } = await documents.send(
        new GetCommand({ TableName: 'agno_learnings', Key: { learning_id: id }, ConsistentRead: true }),
      );
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
        stored: Item?.content,
      };
    },
    stop: async () => {
      await offline.stop();
      await dynamoDb.close();
    },
  };
}
