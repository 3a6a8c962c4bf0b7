// The real handler over a real local DynamoDB started by the test run, on a free port: dynalite, or moto's
// server when DYNAMODB_BACKEND=moto (the vitest project "moto" runs the integration suite so).
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { vi } from 'vitest';
import { httpEvent, lambdaContext, type RequestSpec } from '../../dev/events.ts';
import { type FaultProxy, startFaultProxy } from '../../dev/fault-proxy.ts';
import {
  ensureLearningsTable,
  type LocalDynamoDb,
  localClient,
  startDynalite,
  startMoto,
} from '../../dev/local-dynamodb.ts';
import { DEV_JWT_SECRET } from '../../dev/tokens.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { type Config, loadConfig } from '../../lib/config.ts';
import { answeredThrottles, createDocumentClient } from '../../lib/dynamodb.ts';
import { LearningsRepository } from '../../lib/learnings-repository.ts';
import { assertMatchesContract } from './contract.ts';

export const TEST_ENV = {
  JWT_ALGORITHMS: 'HS256',
  JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
  LOG_REQUESTS: 'false',
  LEARNINGS_DATABASES: JSON.stringify({ analytics: ['analytics_learnings', 'archived_learnings'] }),
};

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  raw: string;
}

export interface Harness {
  config: Config;
  /** DynamoDB calls made by the handler since the last reset. */
  dynamoDbCalls(): string[];
  invoke(spec: RequestSpec): Promise<HttpAnswer>;
  invokeEvent(event: APIGatewayProxyEventV2): Promise<HttpAnswer>;
  put(item: Record<string, unknown>, table?: string): Promise<void>;
  get(learningId: string, table?: string): Promise<Record<string, unknown> | undefined>;
  remove(learningId: string, table?: string): Promise<void>;
  /** Builds another handler on the same DynamoDB with other settings. */
  withEnv(env: Record<string, string>): Harness;
  close(): Promise<void>;
}

export const BACKEND = process.env.DYNAMODB_BACKEND === 'moto' ? 'moto' : 'dynalite';

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dynamoDb = BACKEND === 'moto' ? await startMoto() : await startDynalite();
  const setupClient = localClient(dynamoDb.endpoint);
  for (const table of ['agno_learnings', 'analytics_learnings', 'archived_learnings']) {
    await ensureLearningsTable(setupClient, table);
  }
  // moto returns the old item on a failed condition, as DynamoDB does: the handler is told so, and
  // classifies every refusal from it, with no second call.
  return harnessOn(dynamoDb, BACKEND === 'moto' ? { DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: 'true', ...env } : env);
}

function harnessOn(dynamoDb: LocalDynamoDb, env: Record<string, string>): Harness {
  const config = loadConfig({ ...TEST_ENV, DYNAMODB_ENDPOINT: dynamoDb.endpoint, ...env });
  const documentClient = createDocumentClient(config.dynamoDb);
  const writeClient = createDocumentClient(config.dynamoDb, answeredThrottles(config.dynamoDb.maxAttempts));
  const sends = [vi.spyOn(documentClient, 'send'), vi.spyOn(writeClient, 'send')];
  const repository = new LearningsRepository(documentClient, {
    oldItemOnConditionFailure: config.dynamoDb.oldItemOnConditionFailure,
    writeClient,
  });
  const handler = createUpdateLearningHandler(config, { repository });
  const testClient = createDocumentClient(config.dynamoDb);
  const invokeEvent = async (event: APIGatewayProxyEventV2): Promise<HttpAnswer> => {
    for (const send of sends) send.mockClear();
    const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    // As Lambda's runtime does once the answer is sent: the event loop runs, and the request's log line
    // (written after the answer) is out before the next request.
    await new Promise((resolve) => setImmediate(resolve));
    const raw = result.body ?? '';
    const answer = {
      status: result.statusCode ?? 0,
      headers: (result.headers ?? {}) as Record<string, string>,
      body: raw === '' ? {} : JSON.parse(raw),
      raw,
    };
    // Every answer an integration test sees is one the published contract documents.
    assertMatchesContract(answer.status, answer.headers, answer.body);
    return answer;
  };
  return {
    config,
    // Both clients' calls, in the order they were made.
    dynamoDbCalls: () =>
      sends
        .flatMap((send) =>
          send.mock.calls.map(([command], index) => [send.mock.invocationCallOrder[index] ?? 0, command] as const),
        )
        .sort(([a], [b]) => a - b)
        .map(([, command]) => command.constructor.name),
    invoke: (spec) => invokeEvent(httpEvent(spec)),
    invokeEvent,
    put: async (item, table = 'agno_learnings') => {
      await testClient.send(new PutCommand({ TableName: table, Item: item }));
    },
    get: async (learningId, table = 'agno_learnings') => {
      const { Item } = await testClient.send(
        new GetCommand({ TableName: table, Key: { learning_id: learningId }, ConsistentRead: true }),
      );
      return Item;
    },
    remove: async (learningId, table = 'agno_learnings') => {
      await testClient.send(new DeleteCommand({ TableName: table, Key: { learning_id: learningId } }));
    },
    withEnv: (overrides) => harnessOn(dynamoDb, { ...env, ...overrides }),
    close: () => dynamoDb.close(),
  };
}

/** A document client on a local DynamoDB, configured as the handler's, for a test to put and read items. */
export function documentClientFor(endpoint: string) {
  return createDocumentClient(loadConfig({ ...TEST_ENV, DYNAMODB_ENDPOINT: endpoint }).dynamoDb);
}

/**
 * The harness's handler once more, its DynamoDB behind a fault proxy, with short deadlines and two attempts
 * per call, so that an injected fault costs a test little.
 */
export async function withFaultProxy(harness: Harness): Promise<{ proxy: FaultProxy; faulty: Harness }> {
  const proxy = await startFaultProxy(String(harness.config.dynamoDb.endpoint));
  const faulty = harness.withEnv({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    DYNAMODB_CONNECT_TIMEOUT_MS: '200',
    DYNAMODB_REQUEST_TIMEOUT_MS: '300',
    DYNAMODB_MAX_ATTEMPTS: '2',
  });
  return { proxy, faulty };
}

let sequence = 0;
/** A fresh learning id per test, so tests never see each other's records. */
export function uniqueId(prefix = 'lrn'): string {
  sequence += 1;
  return `${prefix}_${process.pid}_${sequence}_${Math.random().toString(36).slice(2, 8)}`;
}

export function learning(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    learning_id: uniqueId(),
    learning_type: 'user_profile',
    namespace: 'user',
    user_id: 'alice',
    agent_id: 'agent-1',
    workflow_id: 'wf-1',
    content: { name: 'Alice', tags: ['a', 'b'] },
    metadata: { source: 'test' },
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
    ...overrides,
  };
}
