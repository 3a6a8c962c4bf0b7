// The handler takes Middy's plugin hooks, which the benchmark uses to time each stage of the real pipeline
// (bench/warm.ts labels the stages by their hooks' names): the stages run in this order, under these
// names, and the hooks change nothing of the answer.
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext } from '../../dev/events.ts';
import { signToken } from '../../dev/tokens.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { loadConfig } from '../../lib/config.ts';
import { TEST_ENV } from '../support/harness.ts';

const dynamoDb = mockClient(DynamoDBDocumentClient);
afterEach(() => dynamoDb.reset());
// The mock patches the client class itself: undone, so that no other file run in this worker sees it.
afterAll(() => dynamoDb.restore());
let alice: string;
beforeAll(async () => {
  alice = await signToken({ sub: 'alice' });
});

function recordedHandler() {
  const hooks: string[] = [];
  const handler = createUpdateLearningHandler(loadConfig(TEST_ENV), {
    plugin: {
      requestStart: () => hooks.push('start'),
      beforeMiddleware: (name: string) => hooks.push(name),
      afterMiddleware: (name: string) => hooks.push(`/${name}`),
      beforeHandler: () => hooks.push('handler'),
      afterHandler: () => hooks.push('/handler'),
      requestEnd: () => hooks.push('end'),
    },
  });
  return { handler, hooks };
}

const around = (...names: string[]) => names.flatMap((name) => [name, `/${name}`]);

describe("Middy's plugin hooks", () => {
  it('a 200: five steps before the handler (log start, token, body, parser, validation), one after (log)', async () => {
    const item = { learning_id: 'lrn_1', user_id: 'alice', content: { b: 2 }, etag_version: 1 };
    dynamoDb.on(UpdateCommand).resolves({ Attributes: item });
    const { handler, hooks } = recordedHandler();
    const result = (await handler(
      httpEvent({ learningId: 'lrn_1', token: alice, body: { content: { b: 2 } } }),
      lambdaContext(),
    )) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).content).toEqual({ b: 2 });
    expect(hooks).toEqual([
      'start',
      ...around(
        'requestLogBefore',
        'authenticateBefore',
        'requireJsonBodyBefore',
        'httpJsonBodyParserMiddlewareBefore',
        'validateRequestBefore',
      ),
      'handler',
      '/handler',
      ...around('requestLogAfter'),
      'end',
    ]);
  });

  it('a 401 stops at the token: no handler, the envelope answers, then the request log', async () => {
    const { handler, hooks } = recordedHandler();
    const result = (await handler(httpEvent({ learningId: 'lrn_1', body: { content: {} } }), lambdaContext())) as {
      statusCode: number;
    };
    expect(result.statusCode).toBe(401);
    // The token's hook throws, so only the onError hooks close: the error envelope's, then the request log's.
    expect(hooks).toEqual([
      'start',
      ...around('requestLogBefore'),
      'authenticateBefore',
      ...around('errorEnvelopeOnError', 'requestLogOnError'),
      'end',
    ]);
    expect(dynamoDb.calls()).toHaveLength(0);
  });
});
