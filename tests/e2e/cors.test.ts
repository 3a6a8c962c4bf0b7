// CORS over HTTP, as a browser meets it, and the smoke check a deploy runs: serverless-offline running the real serverless.yml, behind the
// local stand-in for API Gateway's CORS (dev/api-gateway-cors.ts) configured by the same settings the
// deployed API gets (deploy/cors.cjs).
import { execFile } from 'node:child_process';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsSettings } from '../../deploy/cors.cjs';
import { type CorsFront, startCorsFront } from '../../dev/api-gateway-cors.ts';
import { type FaultProxy, startFaultProxy } from '../../dev/fault-proxy.ts';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../../dev/local-dynamodb.ts';
import { type RunningOffline, startOffline } from '../../dev/offline.ts';
import { DEV_JWT_SECRET, signToken } from '../../dev/tokens.ts';
import { loadConfig } from '../../lib/config.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { learning } from '../support/harness.ts';

const ALLOWED = 'https://admin.example.com';
const OTHER = 'https://evil.example';
let dynamoDb: LocalDynamoDb;
let proxy: FaultProxy;
let offline: RunningOffline;
let front: CorsFront;
let closed: CorsFront;
let alice: string;

beforeAll(async () => {
  dynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  proxy = await startFaultProxy(dynamoDb.endpoint);
  offline = await startOffline({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    JWT_ALGORITHMS: 'HS256',
    JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
    DYNAMODB_MAX_ATTEMPTS: '1',
    LOG_REQUESTS: 'none',
    CORS_ALLOWED_ORIGINS: `${ALLOWED},http://localhost:3001`,
  });
  front = await startCorsFront(offline.baseUrl, corsSettings(`${ALLOWED},http://localhost:3001`));
  closed = await startCorsFront(offline.baseUrl, corsSettings(''));
  alice = await signToken({ sub: 'alice' });
}, 90_000);
afterAll(async () => {
  await front?.close();
  await closed?.close();
  await offline?.stop();
  await proxy?.close();
  await dynamoDb?.close();
});

/** A record of Alice's, stored directly. */
async function aliceRecord(): Promise<Record<string, unknown>> {
  const record = learning({ user_id: 'alice' });
  const config = loadConfig({
    JWT_ALGORITHMS: 'HS256',
    JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
    DYNAMODB_ENDPOINT: dynamoDb.endpoint,
  });
  await createDocumentClient(config.dynamoDb).send(new PutCommand({ TableName: 'agno_learnings', Item: record }));
  return record;
}

const preflight = (base: string, origin: string) =>
  fetch(`${base}/learnings/lrn_1`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'authorization,content-type,if-match',
    },
  });

const patch = (base: string, origin: string, id: string, token: string | null = alice, body = '{"content":{}}') =>
  fetch(`${base}/learnings/${id}`, {
    method: 'PATCH',
    headers: {
      origin,
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body,
  });

describe('a preflight', () => {
  it('from an allowed origin: 2xx with the configured methods, headers and max age', async () => {
    const answer = await preflight(front.baseUrl, ALLOWED);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(answer.headers.get('access-control-allow-methods')).toBe('PATCH');
    expect(answer.headers.get('access-control-allow-headers')?.split(',')).toEqual([
      'authorization',
      'content-type',
      'idempotency-key',
      'if-match',
      'if-none-match',
    ]);
    expect(answer.headers.get('access-control-max-age')).toBe('600');
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('from any other origin, or with no origins configured: no Access-Control-Allow-Origin', async () => {
    for (const [base, origin] of [
      [front.baseUrl, OTHER],
      [front.baseUrl, 'https://admin.example.com.evil.example'],
      [closed.baseUrl, ALLOWED],
    ] as const) {
      const answer = await preflight(base, origin);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(answer.headers.get('access-control-allow-methods')).toBeNull();
    }
  });
});

describe('the PATCH answers', () => {
  it('for an allowed origin carry its origin and expose ETag, Idempotent-Replayed, Retry-After and WWW-Authenticate: 200, 4xx and 5xx alike', async () => {
    const record = await aliceRecord();
    const id = String(record.learning_id);
    const answers = [
      await patch(front.baseUrl, ALLOWED, id),
      await patch(front.baseUrl, ALLOWED, id, null),
      await patch(front.baseUrl, ALLOWED, 'lrn_missing'),
      await patch(front.baseUrl, ALLOWED, id, alice, '{"content":'),
    ];
    proxy.mode = 'throttle';
    answers.push(await patch(front.baseUrl, ALLOWED, id));
    proxy.mode = 'pass';
    expect(answers.map((answer) => answer.status)).toEqual([200, 401, 404, 422, 503]);
    for (const answer of answers) {
      expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(answer.headers.get('access-control-expose-headers')?.split(',')).toEqual([
        'etag',
        'idempotent-replayed',
        'retry-after',
        'www-authenticate',
      ]);
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    }
    expect(answers[0]?.headers.get('etag')).toMatch(/^"1\./);
  });

  it('for another origin carry no CORS header at all, whatever serverless-offline alone answers', async () => {
    for (const base of [front.baseUrl, closed.baseUrl]) {
      const answer = await patch(base, base === front.baseUrl ? OTHER : ALLOWED, 'lrn_missing');
      expect(answer.status).toBe(404);
      expect([...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('npm run smoke', () => {
  const smoke = (...args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(process.execPath, ['scripts/smoke.ts', ...args], (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (error.code as number | null), output: stdout + stderr }),
      );
    });

  it('passes against the running API: 401 envelope, preflight from a configured origin, an empty-body PATCH', async () => {
    const record = await aliceRecord();
    const run = await smoke(
      front.baseUrl,
      '--token',
      alice,
      '--learning-id',
      String(record.learning_id),
      '--origin',
      ALLOWED,
    );
    expect(run.output).toContain('smoke: all checks passed');
    expect(run.output.match(/^ok {2}/gm)).toHaveLength(3);
    expect(run.code).toBe(0);
  });

  it('fails, naming the check, when the API does not behave', async () => {
    const run = await smoke(front.baseUrl, '--origin', OTHER, '--token', `${alice}x`);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`FAIL  CORS preflight from ${OTHER}`);
    expect(run.output).toContain('FAIL  an empty-body PATCH with the token');
    expect(run.output).toContain('smoke: 2 check(s) failed');
  });
});
