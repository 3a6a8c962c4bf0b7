// The request log middleware, apart from the error envelope it runs around: one line per request, whoever
// answered it (the handler, or the envelope for a refusal or a failure), with the answer's status and
// outcome, written once the answer is back; its options in place of the environment; the cold start.
// (faults-and-logs.test.ts checks the lines against DynamoDB; log.test.ts the line's exact format.)
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpEvent, lambdaContext, type RequestSpec } from '../../dev/events.ts';
import { signToken } from '../../dev/tokens.ts';
import { errorEnvelope } from '../../handlers/middleware/error-envelope.ts';
import type { HttpEvent, HttpResult, RequestContext } from '../../handlers/middleware/http.ts';
import { type RequestLogOptions, requestLog } from '../../handlers/middleware/request-log.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { loadConfig } from '../../lib/config.ts';
import {
  InternalServerError,
  PreconditionFailedError,
  ServiceUnavailableError,
  UnauthenticatedError,
} from '../../lib/errors.ts';
import { TEST_ENV } from '../support/harness.ts';

const dynamoDb = mockClient(DynamoDBDocumentClient);
afterEach(() => dynamoDb.reset());
// The mock patches the client class itself: undone, so that no other file run in this worker sees it.
afterAll(() => dynamoDb.restore());
let alice: string;
beforeAll(async () => {
  alice = await signToken({ sub: 'alice' });
});

type Invoke = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Each request's status as answered, and the lines written for it: none may be written before the answer is
 * back (the caller's clock), each once the event loop has turned (before Lambda takes the next event).
 */
async function linesOf(handler: Invoke, events: unknown[]): Promise<[number, Record<string, unknown>[]][]> {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
  const requests: [number, Record<string, unknown>[]][] = [];
  try {
    for (const event of events) {
      const answer = (await handler(event, lambdaContext())) as HttpResult;
      expect(written).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
      requests.push([Number(answer.statusCode), written.splice(0).map((line) => JSON.parse(line))]);
    }
  } finally {
    write.mockRestore();
  }
  return requests;
}

const request = (spec: Partial<RequestSpec> = {}) =>
  httpEvent({ learningId: 'lrn_1', token: alice, body: { content: { b: 2 } }, ...spec });

describe('through the real pipeline', () => {
  const handler = createUpdateLearningHandler(loadConfig({ ...TEST_ENV, LOG_REQUESTS: 'all' })) as Invoke;

  it('a refusal by authentication, by validation, or by the record: exactly one line, with its status and outcome', async () => {
    dynamoDb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    const requests = await linesOf(handler, [
      request({ token: null }),
      request({ token: `${alice}x` }),
      request({ body: { content: null } }),
      request({ body: '{"content":' }),
      request(),
    ]);
    expect(
      requests.map(([status, lines]) => [status, lines.map((line) => [line.status, line.outcome, line.level])]),
    ).toEqual([
      [401, [[401, 'UNAUTHENTICATED', 'WARN']]],
      [401, [[401, 'UNAUTHENTICATED', 'WARN']]],
      [422, [[422, 'VALIDATION_ERROR', 'WARN']]],
      [422, [[422, 'VALIDATION_ERROR', 'WARN']]],
      [404, [[404, 'NOT_FOUND', 'WARN']]],
    ]);
    // Refused before authentication said who: no user. Refused by the record: the user and table.
    expect(requests[0]?.[1][0]).not.toHaveProperty('userId');
    expect(requests[4]?.[1][0]).toMatchObject({
      userId: 'alice',
      table: 'agno_learnings',
      dynamoDbMs: expect.any(Number),
    });
  });

  it("a 200: exactly one line, with the outcome the handler set and the record's version", async () => {
    const item = { learning_id: 'lrn_1', user_id: 'alice', content: { b: 2 }, etag_version: 7 };
    dynamoDb.on(UpdateCommand).resolves({ Attributes: item });
    const [[status, lines] = [0, []]] = await linesOf(handler, [request()]);
    expect(status).toBe(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', status: 200, outcome: 'updated', version: 7, userId: 'alice' });
    expect(lines[0]).not.toHaveProperty('cause');
  });
});

/** The request log and the envelope alone, around a handler that answers or a step that throws. */
function pipeline(options: Partial<RequestLogOptions>, fail?: () => never, middleware = requestLog) {
  return middy<HttpEvent, HttpResult, Error, RequestContext>()
    .use(middleware({ log: 'all', logLevel: undefined, stage: 'local', traceHeader: () => undefined, ...options }))
    .use(errorEnvelope())
    .before(() => fail?.())
    .handler(async (_event, context) => {
      context.outcome = 'unchanged';
      context.version = 3;
      return { statusCode: 200, body: '{}' };
    }) as unknown as Invoke;
}

describe('the middleware alone', () => {
  // A fresh module: its cold start flag is a new container's.
  const freshRequestLog = async () => {
    vi.resetModules();
    return (await import('../../handlers/middleware/request-log.ts')).requestLog;
  };

  it("a container's first request is its cold start, and only that one", async () => {
    const handler = pipeline({}, undefined, await freshRequestLog());
    const requests = await linesOf(handler, [request(), request()]);
    expect(requests.map(([, lines]) => lines.map((line) => line.coldStart))).toEqual([[true], [false]]);
  });

  it('a cold start not logged (LOG_REQUESTS=none) is still spent: the next request logged was warm', async () => {
    const fresh = await freshRequestLog();
    expect(await linesOf(pipeline({ log: 'none' }, undefined, fresh), [request()])).toEqual([[200, []]]);
    const [[, lines = []] = [0, []]] = await linesOf(pipeline({}, undefined, fresh), [request()]);
    expect(lines.map((line) => line.coldStart)).toEqual([false]);
  });

  it('takes the log level and the trace header from its options, the header as the line is written', async () => {
    let traceHeader = 'Root=1-first;Sampled=1';
    const handler = pipeline({ logLevel: 'warn', traceHeader: () => traceHeader }, () => {
      throw new UnauthenticatedError('no');
    });
    const handled = (await handler(request(), lambdaContext())) as HttpResult;
    expect(handled.statusCode).toBe(401);
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      traceHeader = 'Parent=1;Root=1-second';
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      write.mockRestore();
    }
    expect(written.map((line) => JSON.parse(line))).toMatchObject([{ level: 'WARN', traceId: '1-second' }]);
    const quiet = pipeline({ logLevel: 'WARN', traceHeader: () => traceHeader });
    const [[, lines = []] = [0, []]] = await linesOf(quiet, [request()]);
    expect(lines.map((line) => [line.message, line.outcome])).toEqual([['update_learning_metrics', 'unchanged']]);
  });

  it.each([
    ['an unknown error: its own', () => new TypeError('boom'), 500, { name: 'TypeError', message: 'boom' }],
    [
      'a 5xx with a cause: the cause',
      () => new ServiceUnavailableError({ cause: new RangeError('throttled') }),
      503,
      { name: 'RangeError', message: 'throttled' },
    ],
    ['a 5xx without one: the 5xx', () => new InternalServerError(), 500, { name: 'InternalServerError' }],
    ['a 4xx: none', () => new UnauthenticatedError('no'), 401, undefined],
  ])('a failure answered by the envelope, its cause in the line: %s', async (_name, error, status, cause) => {
    const handler = pipeline({}, () => {
      throw error();
    });
    const [[answered, lines = []] = [0, []]] = await linesOf(handler, [request()]);
    expect(answered).toBe(status);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.status).toBe(status);
    if (cause === undefined) expect(lines[0]).not.toHaveProperty('cause');
    else expect(lines[0]?.cause).toMatchObject(cause);
  });

  it("a 412: the record's current version, which the envelope answered", async () => {
    const handler = pipeline({}, () => {
      throw new PreconditionFailedError('"9.x"', 9);
    });
    const [[status, lines = []] = [0, []]] = await linesOf(handler, [request()]);
    expect(status).toBe(412);
    expect(lines).toMatchObject([{ status: 412, outcome: 'PRECONDITION_FAILED', version: 9 }]);
  });
});
