// What the soak runs against: dynalite behind a fault proxy, serverless-offline running the deployable bundle
// over the proxy (with its inspector open, to measure its heap), a direct client for changes behind the
// service's back, and a token for each user and for an admin.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../lib/config.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { etagScope } from '../../lib/etag.ts';
import { type FaultProxy, startFaultProxy } from '../fault-proxy.ts';
import { ensureLearningsTable, localClient, startDynalite } from '../local-dynamodb.ts';
import { startOffline } from '../offline.ts';
import { ADMIN_SCOPE, DEV_JWT_SECRET, signToken } from '../tokens.ts';
import { USERS } from './records.ts';

export interface SoakStack {
  /** Straight to dynalite, past the proxy and the service. */
  direct: DynamoDBDocumentClient;
  proxy: FaultProxy;
  baseUrl: string;
  /** The service process's inspector, when its output named it. */
  inspectorUrl: string | undefined;
  /** A bearer token for each user, and for 'admin'. */
  tokens: Map<string, string>;
  /** The ETag scope of the service's table. */
  scope: string;
  stop(): Promise<void>;
}

export async function startStack(): Promise<SoakStack> {
  const dynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  const proxy = await startFaultProxy(dynamoDb.endpoint);
  const direct = createDocumentClient(
    loadConfig({ JWT_ALGORITHMS: 'HS256', JWT_VERIFICATION_KEY: DEV_JWT_SECRET, DYNAMODB_ENDPOINT: dynamoDb.endpoint })
      .dynamoDb,
  );
  const offline = await startOffline({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    JWT_ALGORITHMS: 'HS256',
    JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
    // Shorter than the defaults, so that a hung call costs the run less; long enough that a busy machine's
    // first requests (a cold container, 64 at once) do not time out.
    DYNAMODB_CONNECT_TIMEOUT_MS: '1000',
    DYNAMODB_REQUEST_TIMEOUT_MS: '800',
    DYNAMODB_MAX_ATTEMPTS: '3',
    LOG_REQUESTS: 'none',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim(),
  });
  const inspectorUrl = /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(offline.output())?.[0];
  const tokens = new Map<string, string>();
  for (const user of USERS) tokens.set(user, await signToken({ sub: user }));
  tokens.set('admin', await signToken({ sub: 'admin', scopes: [ADMIN_SCOPE] }));
  const stop = async () => {
    await offline.stop();
    await proxy.close();
    await dynamoDb.close();
  };
  return {
    direct,
    proxy,
    baseUrl: offline.baseUrl,
    inspectorUrl,
    tokens,
    scope: etagScope(undefined, 'agno_learnings'),
    stop,
  };
}
