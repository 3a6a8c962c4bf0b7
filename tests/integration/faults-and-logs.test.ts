// The real handler and SDK against a DynamoDB that throttles, hangs, resets or answers garbage; the
// Lambda deadline arriving first; and the request log, which never holds the token or the body.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpEvent, lambdaContext } from '../../dev/events.ts';
import { type FaultProxy, startFaultProxy } from '../../dev/fault-proxy.ts';
import { signToken } from '../../dev/tokens.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { loadConfig } from '../../lib/config.ts';
import { VERSION_ATTRIBUTE } from '../../lib/etag.ts';
import { type Harness, learning, startHarness, TEST_ENV } from '../support/harness.ts';

let harness: Harness;
let proxy: FaultProxy;
let faulty: Harness;
let alice: string;
let id: string;

beforeAll(async () => {
  harness = await startHarness();
  proxy = await startFaultProxy(String(harness.config.dynamoDb.endpoint));
  faulty = harness.withEnv({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    DYNAMODB_CONNECT_TIMEOUT_MS: '200',
    DYNAMODB_REQUEST_TIMEOUT_MS: '300',
    DYNAMODB_MAX_ATTEMPTS: '2',
  });
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

  it.each([
    ['with If-Match', true],
    ['without If-Match', false],
  ])(
    'an answer lost after the write committed (%s): the retry answers 200 with that write, made once',
    async (_name, conditional) => {
      const record = learning({ user_id: 'alice' });
      const lostId = String(record.learning_id);
      await harness.put(record);
      const headers: Record<string, string> = conditional ? { 'if-match': (await currentTag(lostId)) ?? '' } : {};
      proxy.requests.length = 0;
      proxy.next = ['lose-answer'];
      const answer = await faulty.invoke({ learningId: lostId, token: alice, body: { content: { lost: 1 } }, headers });
      expect(proxy.requests[0]).toBe('lose-answer');
      expect(answer.status).toBe(200);
      expect(answer.body.content).toEqual({ lost: 1 });
      const stored = await harness.get(lostId);
      expect(stored?.content).toEqual({ lost: 1 });
      if (conditional) {
        expect(answer.headers.ETag).toMatch(/^"1\./);
        expect(stored?.[VERSION_ATTRIBUTE]).toBe(1);
      }
    },
  );

  it.each([
    ['handed to another owner', { user_id: 'bob' }, [false, true]],
    // Without If-Match the retry simply writes again, last writer wins: a 200.
    ['written over by an admin', { content: { by: 'admin' }, etag_version: 5 }, [true]],
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

/** The request-log lines written to stdout while `requests` runs (stdout is captured meanwhile). */
async function requestLogLines(requests: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
  try {
    await requests();
  } finally {
    write.mockRestore();
  }
  return written.filter((line) => line.includes('update_learning'));
}

describe('the request log', () => {
  it('is one JSON line per request with id, outcome, status and latency; never the token or the body', async () => {
    const logged = harness.withEnv({ LOG_REQUESTS: 'true' });
    const secretContent = 'very-private-user-fact';
    const lines = await requestLogLines(async () => {
      await logged.invoke({ learningId: id, token: alice, body: { content: { secretContent } } });
      await logged.invoke({ learningId: id, token: `${alice}x`, body: { content: { secretContent } } });
      await logged.invoke({ learningId: id, token: alice, body: { content: null } });
    });
    expect(lines).toHaveLength(3);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((entry) => [entry.status, entry.outcome])).toEqual([
      [200, 'updated'],
      [401, 'UNAUTHENTICATED'],
      [422, 'VALIDATION_ERROR'],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        level: 'info',
        message: 'update_learning',
        learningId: id,
        requestId: 'aws-request-id',
      });
      expect(typeof entry.latencyMs).toBe('number');
    }
    expect(entries[0]?.userId).toBe('alice');
    for (const line of lines) {
      expect(line).not.toContain(alice.split('.')[2]);
      expect(line).not.toContain(secretContent);
    }
  });

  it.each([
    ['unset (the default): refusals and failures only', '', [401, 422]],
    ['errors', 'errors', [401, 422]],
    ['all', 'all', [200, 401, 422]],
    ['none', 'none', []],
  ])('LOG_REQUESTS %s', async (_name, setting, statuses) => {
    const logged = harness.withEnv({ LOG_REQUESTS: setting });
    const lines = await requestLogLines(async () => {
      expect((await logged.invoke({ learningId: id, token: alice, body: { content: { n: 1 } } })).status).toBe(200);
      expect((await logged.invoke({ learningId: id, token: `${alice}x`, body: { content: {} } })).status).toBe(401);
      expect((await logged.invoke({ learningId: id, token: alice, body: { content: null } })).status).toBe(422);
    });
    expect(lines.map((line) => JSON.parse(line).status)).toEqual(statuses);
  });

  it('logs a 500 at error level with the cause, which the answer never shows', async () => {
    proxy.mode = 'garbage';
    const logged = faulty.withEnv({ LOG_REQUESTS: 'true' });
    let answer: Awaited<ReturnType<Harness['invoke']>> | undefined;
    const lines = await requestLogLines(async () => {
      try {
        answer = await logged.invoke({ learningId: id, token: alice, body: { content: {} } });
      } finally {
        proxy.mode = 'pass';
      }
    });
    expect(answer?.body).toEqual({ detail: 'Internal server error', error_code: 'INTERNAL_SERVER_ERROR' });
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry).toMatchObject({ level: 'error', status: 500 });
    expect(entry.cause.name).toBeTruthy();
  });
});
