// The real handler and SDK against a DynamoDB that throttles, hangs, resets or answers garbage; the
// Lambda deadline arriving first; and the request log, which never holds the token or the body.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpEvent, lambdaContext } from '../../dev/events.ts';
import type { FaultProxy } from '../../dev/fault-proxy.ts';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { loadConfig } from '../../lib/config.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { type Harness, learning, startHarness, TEST_ENV, withFaultProxy } from '../support/harness.ts';

let harness: Harness;
let proxy: FaultProxy;
let faulty: Harness;
let alice: string;
let id: string;

beforeAll(async () => {
  harness = await startHarness();
  ({ proxy, faulty } = await withFaultProxy(harness));
  alice = await signToken({ sub: 'alice' });
  const record = learning({ user_id: 'alice' });
  id = String(record.learning_id);
  await harness.put(record);
});
afterAll(async () => {
  await proxy.close();
  await harness.close();
});

describe('DynamoDB failing, through the real SDK', () => {
  it.each([
    ['throttles', 'throttle', 503],
    ['hangs', 'hang', 503],
    ['resets the connection', 'reset', 503],
    ['answers garbage', 'garbage', 500],
  ] as const)('DynamoDB %s: %s → the envelope, then the next request succeeds', async (_name, mode, status) => {
    proxy.mode = mode;
    const failed = await faulty.invoke({ learningId: id, token: alice, body: { content: { during: mode } } });
    expect(failed.status).toBe(status);
    if (status === 503) expect(failed.headers['Retry-After']).toBe('1');
    proxy.mode = 'pass';
    expect((await faulty.invoke({ learningId: id, token: alice, body: { content: { after: mode } } })).status).toBe(
      200,
    );
  });

  it.each<[string, boolean, Record<string, unknown>]>([
    ['with If-Match', true, { content: { lost: 1 } }],
    ['without If-Match', false, { content: { lost: 1 } }],
    ['with If-Match, metadata only', true, { metadata: { lost: 1 } }],
  ])(
    'an answer lost after the write committed (%s): the retry answers 200 with that write, made once',
    async (_name, conditional, body) => {
      const record = learning({ user_id: 'alice' });
      const lostId = String(record.learning_id);
      await harness.put(record);
      const headers: Record<string, string> = conditional ? { 'if-match': (await currentTag(lostId)) ?? '' } : {};
      proxy.requests.length = 0;
      proxy.next = ['lose-answer'];
      const answer = await faulty.invoke({ learningId: lostId, token: alice, body, headers });
      expect(proxy.requests[0]).toBe('lose-answer');
      expect(answer.status).toBe(200);
      const stored = await harness.get(lostId);
      for (const [field, value] of Object.entries(body)) {
        expect(answer.body[field]).toEqual(value);
        expect(stored?.[field]).toEqual(value);
      }
      if (conditional) {
        expect(answer.headers.ETag).toMatch(/^"1\./);
        expect(stored?.[VERSION_ATTRIBUTE]).toBe(1);
      }
    },
  );

  it.each([
    ['handed to another owner', { user_id: 'bob' }, [false, true]],
    // Another write replaces the write id: whether this one applied before it, nobody can tell.
    ['written over by an admin', { content: { by: 'admin' }, etag_version: 5, etag_write: 'admin' }, [false, true]],
  ])(
    'an answer lost after the write committed, the record then %s: 503 (the outcome is unknown), never a refusal',
    async (_name, change, conditional) => {
      const record = learning({ user_id: 'alice' });
      const lostId = String(record.learning_id);
      await harness.put(record);
      for (const withIfMatch of conditional) {
        const headers: Record<string, string> = withIfMatch ? { 'if-match': (await currentTag(lostId)) ?? '' } : {};
        proxy.next = ['lose-answer'];
        proxy.afterLoss = async () => {
          proxy.afterLoss = undefined;
          await harness.put({ ...(await harness.get(lostId)), ...change });
        };
        const answer = await faulty.invoke({
          learningId: lostId,
          token: alice,
          body: { content: { lost: 2 } },
          headers,
        });
        expect(answer.status).toBe(503);
        await harness.put(record);
      }
    },
  );

  it("an admin's answer lost after the write committed, the record then deleted: 503 (the outcome is unknown), never a 404", async () => {
    const record = learning({ user_id: 'alice' });
    const lostId = String(record.learning_id);
    await harness.put(record);
    proxy.next = ['lose-answer'];
    proxy.afterLoss = async () => {
      proxy.afterLoss = undefined;
      await harness.remove(lostId);
    };
    const admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
    const answer = await faulty.invoke({ learningId: lostId, token: admin, body: { content: { lost: 3 } } });
    expect(answer.status).toBe(503);
  });

  it('a lost answer is not confused with a different write: the same If-Match with other changes is a 412', async () => {
    const record = learning({ user_id: 'alice' });
    const otherId = String(record.learning_id);
    await harness.put(record);
    const tag = (await currentTag(otherId)) ?? '';
    const first = await faulty.invoke({
      learningId: otherId,
      token: alice,
      body: { content: { v: 1 } },
      headers: { 'if-match': tag },
    });
    expect(first.status).toBe(200);
    for (const body of [{ content: { v: 2 } }, { content: { v: 1 }, metadata: null }]) {
      const second = await faulty.invoke({ learningId: otherId, token: alice, body, headers: { 'if-match': tag } });
      expect(second.status).toBe(412);
    }
  });

  it("a DynamoDB that never answers, with the Lambda's deadline far off: the client's own deadline ends the call, 503", async () => {
    proxy.mode = 'hang';
    try {
      const hung = createUpdateLearningHandler(
        loadConfig({
          ...TEST_ENV,
          DYNAMODB_ENDPOINT: proxy.endpoint,
          DYNAMODB_REQUEST_TIMEOUT_MS: '200',
          DYNAMODB_MAX_ATTEMPTS: '1',
        }),
      );
      const started = Date.now();
      const result = (await hung(
        httpEvent({ learningId: id, token: alice, body: { content: {} } }),
        lambdaContext(),
      )) as APIGatewayProxyStructuredResultV2;
      expect(result.statusCode).toBe(503);
      // lambdaContext leaves 10 s: only the client's 200 ms deadline can have ended it this soon.
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      proxy.mode = 'pass';
    }
  });

  it('the Lambda deadline arriving before DynamoDB answers: 503 just before the timeout, never an escaped error', async () => {
    proxy.mode = 'hang';
    const slow = loadConfig({ ...TEST_ENV, DYNAMODB_ENDPOINT: proxy.endpoint, DYNAMODB_REQUEST_TIMEOUT_MS: '5000' });
    const handler = createUpdateLearningHandler(slow);
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 150 };
    const started = Date.now();
    const result = (await handler(
      httpEvent({ learningId: id, token: alice, body: { content: {} } }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? '{}').error_code).toBe('SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1000);
    proxy.mode = 'pass';
  });
});

async function currentTag(learningId: string): Promise<string | undefined> {
  return (await faulty.invoke({ learningId, token: alice, body: {} })).headers.ETag;
}

/** The request's log lines written to stdout while `requests` runs (stdout is captured meanwhile), parsed. */
async function requestLogLines(requests: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
  try {
    await requests();
  } finally {
    write.mockRestore();
  }
  return written
    .filter((line) => line.includes('"message":"update_learning'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const audited = (lines: Record<string, unknown>[]) => lines.filter((line) => line.message === 'update_learning');

/** The metric values an EMF line declares, by name, checked against CloudWatch's format. */
function emfMetrics(line: Record<string, unknown>): Record<string, unknown> {
  const aws = line._aws as {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  expect(typeof aws.Timestamp).toBe('number');
  const values: Record<string, unknown> = {};
  for (const directive of aws.CloudWatchMetrics) {
    expect(directive.Namespace).toBe('AgnoUpdateLearning');
    for (const dimensions of directive.Dimensions)
      for (const name of dimensions) expect(typeof line[name]).toBe('string');
    for (const { Name } of directive.Metrics) {
      expect(typeof line[Name], Name).toBe('number');
      values[Name] = line[Name];
    }
  }
  return values;
}

describe('the request log', () => {
  it('is one JSON line per request: who, which record and table, outcome, version, timing, trace; never the token or the body', async () => {
    const logged = harness.withEnv({ LOG_REQUESTS: 'all' });
    const secretContent = 'very-private-user-fact';
    process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    let lines: Record<string, unknown>[] = [];
    const started = performance.now();
    try {
      lines = await requestLogLines(async () => {
        await logged.invoke({ learningId: id, token: alice, body: { content: { secretContent } } });
        await logged.invoke({ learningId: id, token: `${alice}x`, body: { content: { secretContent } } });
        await logged.invoke({ learningId: id, token: alice, body: { content: null } });
        await logged.invoke({ learningId: id, token: alice, body: {}, headers: { 'if-match': '"99.AAAAAAAAAA"' } });
        await logged.invoke({ learningId: id, token: alice, body: {} });
      });
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }
    const elapsedMs = performance.now() - started;
    expect(lines).toHaveLength(5);
    expect(lines.map((entry) => [entry.status, entry.outcome, entry.level])).toEqual([
      [200, 'updated', 'INFO'],
      [401, 'UNAUTHENTICATED', 'WARN'],
      [422, 'VALIDATION_ERROR', 'WARN'],
      [412, 'PRECONDITION_FAILED', 'WARN'],
      [200, 'unchanged', 'INFO'],
    ]);
    for (const entry of lines) {
      expect(entry).toMatchObject({
        message: 'update_learning',
        service: 'agno-update-learning',
        learningId: id,
        requestId: 'aws-request-id',
        apiRequestId: 'request-id',
        traceId: '1-5759e988-bd862e3fe1be46a994272793',
      });
      expect(Date.parse(String(entry.timestamp))).toBeGreaterThan(0);
      expect(entry.latencyMs).toBeGreaterThan(0);
      expect(entry.latencyMs).toBeLessThan(elapsedMs);
      expect(typeof entry.coldStart).toBe('boolean');
      // Only a 5xx carries its cause.
      expect(entry.cause).toBeUndefined();
    }
    // A container's first request is its cold start; these follow others.
    expect(lines.map((entry) => entry.coldStart)).toEqual([false, false, false, false, false]);
    expect(lines[0]).toMatchObject({
      userId: 'alice',
      admin: false,
      table: 'agno_learnings',
      version: expect.any(Number),
    });
    expect(typeof lines[0]?.dynamoDbMs).toBe('number');
    expect(lines[1]?.dynamoDbMs).toBeUndefined();
    expect(lines[3]?.version).toBe(Number(String(lines[0]?.version)));
    for (const line of lines.map((entry) => JSON.stringify(entry))) {
      expect(line).not.toContain(alice.split('.')[2]);
      expect(line).not.toContain(secretContent);
    }
  });

  it("is written after the answer, off the caller's clock, and before the event loop would take the next event", async () => {
    const handler = createUpdateLearningHandler(harness.withEnv({ LOG_REQUESTS: 'all' }).config);
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      const answer = (await handler(
        httpEvent({ learningId: id, token: alice, body: { content: { deferred: true } } }),
        lambdaContext(),
      )) as APIGatewayProxyStructuredResultV2;
      expect(answer.statusCode).toBe(200);
      // The answer is back and nothing is written yet: Lambda's runtime sends it at this point.
      expect(written).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(written).toHaveLength(1);
      expect(JSON.parse(written[0] ?? '')).toMatchObject({ status: 200, outcome: 'updated', learningId: id });
    } finally {
      write.mockRestore();
    }
  });

  it("carries the request's metrics in CloudWatch's Embedded Metric Format: requests by outcome, latencies, cold start", async () => {
    const lines = await requestLogLines(async () => {
      await harness
        .withEnv({ LOG_REQUESTS: 'all' })
        .invoke({ learningId: id, token: alice, body: { content: { m: 1 } } });
    });
    const metrics = emfMetrics(lines[0] ?? {});
    expect(metrics).toMatchObject({ Requests: 1, ColdStart: expect.any(Number) });
    expect(metrics.DynamoDbLatency).toBeGreaterThan(0);
    expect(metrics.Latency).toBeGreaterThanOrEqual(Number(metrics.DynamoDbLatency));
    expect(lines[0]?.outcome).toBe('updated');
  });

  it('says a merge patch was a merge: the outcome merged, in the line and as the metric dimension', async () => {
    const lines = await requestLogLines(async () => {
      const answer = await harness.withEnv({ LOG_REQUESTS: 'all' }).invoke({
        learningId: id,
        token: alice,
        body: { content: { merged: { n: 1 } } },
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect(answer.status).toBe(200);
    });
    expect(lines.map((line) => [line.status, line.outcome, line.level])).toEqual([[200, 'merged', 'INFO']]);
    // outcome is the dimension of the Requests metric: emfMetrics checks that the line holds it.
    expect(emfMetrics(lines[0] ?? {})).toMatchObject({ Requests: 1 });
  });

  it.each([
    ['unset (the default): every request', '', [200, 401, 422], [200, 401, 422]],
    ['errors: refusals and failures, the rest their metrics only', 'errors', [401, 422], [200, 401, 422]],
    ['all', 'all', [200, 401, 422], [200, 401, 422]],
    ['none: nothing at all', 'none', [], []],
  ])('LOG_REQUESTS %s', async (_name, setting, auditedStatuses, metricStatuses) => {
    const logged = harness.withEnv({ LOG_REQUESTS: setting });
    const lines = await requestLogLines(async () => {
      expect((await logged.invoke({ learningId: id, token: alice, body: { content: { n: 1 } } })).status).toBe(200);
      expect((await logged.invoke({ learningId: id, token: `${alice}x`, body: { content: {} } })).status).toBe(401);
      expect((await logged.invoke({ learningId: id, token: alice, body: { content: null } })).status).toBe(422);
    });
    expect(audited(lines).map((line) => line.status)).toEqual(auditedStatuses);
    expect(lines.map((line) => emfMetrics(line).Requests)).toHaveLength(metricStatuses.length);
    for (const line of lines.filter((entry) => entry.message !== 'update_learning')) {
      expect(Object.keys(line)).not.toContain('userId');
    }
  });

  it("Lambda's application log level applies: below it, a request keeps only its metrics", async () => {
    const lines = await requestLogLines(async () => {
      const logged = harness.withEnv({ LOG_REQUESTS: 'all', AWS_LAMBDA_LOG_LEVEL: 'WARN' });
      await logged.invoke({ learningId: id, token: alice, body: { content: { n: 2 } } });
      await logged.invoke({ learningId: id, token: `${alice}x`, body: { content: {} } });
    });
    expect(lines.map((line) => [line.message, line.level])).toEqual([
      ['update_learning_metrics', 'INFO'],
      ['update_learning', 'WARN'],
    ]);
  });

  it('logs a 500 at error level with the cause, which the answer never shows', async () => {
    proxy.mode = 'garbage';
    const logged = faulty.withEnv({ LOG_REQUESTS: 'all' });
    let answer: Awaited<ReturnType<Harness['invoke']>> | undefined;
    const lines = await requestLogLines(async () => {
      try {
        answer = await logged.invoke({ learningId: id, token: alice, body: { content: {} } });
      } finally {
        proxy.mode = 'pass';
      }
    });
    expect(answer?.body).toEqual({ detail: 'Internal server error', error_code: 'INTERNAL_SERVER_ERROR' });
    const entry = lines[0] ?? {};
    expect(entry).toMatchObject({ level: 'ERROR', status: 500 });
    // The cause is what went wrong underneath, not the 500 it became nor the storage's wrapper of it.
    expect((entry.cause as { name?: string }).name).toMatch(/^(?!InternalServerError$|StorageError$)\w+$/);
  });

  it('logs a 503 with the cause DynamoDB gave, which the answer never shows', async () => {
    proxy.mode = 'throttle';
    const logged = faulty.withEnv({ LOG_REQUESTS: 'all' });
    const lines = await requestLogLines(async () => {
      try {
        await logged.invoke({ learningId: id, token: alice, body: { content: {} } });
      } finally {
        proxy.mode = 'pass';
      }
    });
    const entry = lines[0] ?? {};
    expect(entry).toMatchObject({ level: 'ERROR', status: 503 });
    expect((entry.cause as { name?: string }).name).toMatch(/Throughput|Throttl/);
  });
});
