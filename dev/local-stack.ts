// The whole local stack of `npm start`, also started by the browser test: DynamoDB (dynalite, unless
// DYNAMODB_ENDPOINT names one), the tables and demo data, serverless-offline with the real serverless.yml
// behind the local stand-in for API Gateway's CORS, and the API page on its own origin.
import { mkdirSync } from 'node:fs';
import { corsSettings } from '../deploy/cors.cjs';
import { type Config, loadConfig, namesKeySource } from '../lib/config.ts';
import { startApiDocs } from './api-docs.ts';
import { startCorsFront } from './api-gateway-cors.ts';
import { seedDemoLearnings } from './demo-data.ts';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from './local-dynamodb.ts';
import { startOffline } from './offline.ts';
import { ensurePortFree } from './ports.ts';
import { ADMIN_SCOPE, DEV_JWT_SECRET, signToken, WRITE_SCOPE } from './tokens.ts';

export interface LocalStackOptions {
  /** The API's port (PORT, default 3000) and the API page's (DOCS_PORT, default 3001). */
  port: number;
  docsPort: number;
  /** Where dynalite keeps its data (and on which port: DYNALITE_PORT), so that it survives restarts; else in memory. */
  dynalite?: { path: string; port: number };
  env: Record<string, string | undefined>;
  /** serverless-offline's output, as it comes. */
  output?: (chunk: string) => void;
}

export interface LocalStack {
  apiUrl: string;
  docsUrl: string;
  dynamoDbEndpoint: string;
  config: Config;
  /** Demo tokens by user (alice, bob, admin), when tokens are verified with a secret this stack knows. */
  tokens: Record<string, string> | undefined;
  /** Whether the tokens are signed with the public development secret. */
  devSecret: boolean;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  // A taken port is refused before anything is started, so that a failed start leaves nothing running.
  await ensurePortFree(options.port, 'PORT');
  await ensurePortFree(options.docsPort, 'DOCS_PORT');
  const env = { ...options.env };
  // Local mode signs and verifies with a development HS256 secret unless a key source is configured.
  if (!namesKeySource(env)) {
    env.JWT_ALGORITHMS = 'HS256';
    env.JWT_VERIFICATION_KEY = DEV_JWT_SECRET;
  }
  const docsOrigin = `http://localhost:${options.docsPort}`;
  // The API page's origin may call the API unless the origins are configured otherwise.
  env.CORS_ALLOWED_ORIGINS ??= docsOrigin;
  let dynamoDb: LocalDynamoDb | undefined;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
    await dynamoDb?.close();
  };
  try {
    if (env.DYNAMODB_ENDPOINT === undefined) {
      if (options.dynalite !== undefined) mkdirSync(options.dynalite.path, { recursive: true });
      dynamoDb = await startDynalite({ ...options.dynalite, portName: 'DYNALITE_PORT' });
      env.DYNAMODB_ENDPOINT = dynamoDb.endpoint;
    }
    const config = loadConfig(env);
    const client = localClient(env.DYNAMODB_ENDPOINT);
    for (const table of new Set([config.defaultTable, ...[...config.databases.values()].flat()])) {
      await ensureLearningsTable(client, table);
    }
    await seedDemoLearnings(client, config.defaultTable);

    const offline = await startOffline(definedOnly(env), options.output);
    stops.push(() => offline.stop());
    const front = await startCorsFront(offline.baseUrl, corsSettings(env.CORS_ALLOWED_ORIGINS), options.port);
    stops.push(() => front.close());
    const apiUrl = `http://localhost:${new URL(front.baseUrl).port}`;
    const { keySource, algorithms } = config.jwt;
    let tokens: Record<string, string> | undefined;
    if (keySource.kind === 'secret') {
      const secret = new TextDecoder().decode(keySource.secret);
      const header = { alg: algorithms[0] };
      tokens = {
        alice: await signToken({ sub: 'alice', scopes: [WRITE_SCOPE], secret, header }),
        bob: await signToken({ sub: 'bob', scopes: [WRITE_SCOPE], secret, header }),
        admin: await signToken({ sub: 'admin', scopes: [WRITE_SCOPE, ADMIN_SCOPE], secret, header }),
      };
    }
    const docs = await startApiDocs(apiUrl, tokens ?? {}, options.docsPort);
    stops.push(() => docs.close());
    return {
      apiUrl,
      docsUrl: docs.url,
      dynamoDbEndpoint: env.DYNAMODB_ENDPOINT,
      config,
      tokens,
      devSecret: keySource.kind === 'secret' && env.JWT_VERIFICATION_KEY === DEV_JWT_SECRET,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
