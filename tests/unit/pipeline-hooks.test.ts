// The handler takes Middy's plugin hooks, which the benchmark uses to time each stage of the real pipeline
// (bench/warm.ts labels the stages by position): the stages run in the order the labels say, and the hooks
// change nothing of the answer.
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext } from '../../dev/events.ts';
import { signToken } from '../../dev/tokens.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { loadConfig } from '../../lib/config.ts';
import { TEST_ENV } from '../support/harness.ts';

const dynamoDb = mockClient(DynamoDBDocumentClient);
afterEach(() => dynamoDb.reset());
let alice: string;
beforeAll(async () => {
  alice = await signToken({ sub: 'alice' });
});

function recordedHandler() {
  const hooks: string[] = [];
  const handler = createUpdateLearningHandler(loadConfig(TEST_ENV), undefined, {
    requestStart: () => hooks.push('start'),
    beforeMiddleware: () => hooks.push('middleware'),
    afterMiddleware: () => hooks.push('/middleware'),
    beforeHandler: () => hooks.push('handler'),
    afterHandler: () => hooks.push('/handler'),
    requestEnd: () => hooks.push('end'),
  });
  return { handler, hooks };
}

const middlewares = (count: number) => Array.from({ length: count }, () => ['middleware', '/middleware']).flat();

describe("Middy's plugin hooks", () => {
  it('a 200: five steps before the handler (envelope, token, body, parser, validation), one after (log)', async () => {
    const item = { learning_id: 'lrn_1', user_id: 'alice', content: { b: 2 }, etag_version: 1 };
    dynamoDb.on(UpdateCommand).resolves({ Attributes: item });
    const { handler, hooks } = recordedHandler();
    const result = (await handler(
      httpEvent({ learningId: 'lrn_1', token: alice, body: { content: { b: 2 } } }),
      lambdaContext(),
    )) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).content).toEqual({ b: 2 });
    expect(hooks).toEqual(['start', ...middlewares(5), 'handler', '/handler', ...middlewares(1), 'end']);
  });

  it('a 401 stops at the token: no handler, and the envelope answers', async () => {
    const { handler, hooks } = recordedHandler();
    const result = (await handler(httpEvent({ learningId: 'lrn_1', body: { content: {} } }), lambdaContext())) as {
      statusCode: number;
    };
    expect(result.statusCode).toBe(401);
    expect(hooks).toEqual(['start', 'middleware', '/middleware', 'middleware', 'middleware', '/middleware', 'end']);
    expect(dynamoDb.calls()).toHaveLength(0);
  });
});
