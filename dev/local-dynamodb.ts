// An embedded DynamoDB (dynalite) and the learnings table, for `npm start`, the tests and the benchmark;
// and moto's DynamoDB server, a second, independent implementation the integration suite also runs on.
import { spawn, spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { freePort, listen } from './ports.ts';

export interface LocalDynamoDb {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1; port 0 picks a free one. With `path`, data survives restarts; `portName`
 * labels the port in the failure when it is taken.
 */
export async function startDynalite(
  options: { port?: number; path?: string; portName?: string } = {},
): Promise<LocalDynamoDb> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await listen(server, options.port ?? 0, options.portName);
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const MOTO_INSTALL_HINT = "moto's server: pip install 'moto[server]' (it provides moto_server)";

/** Whether moto's DynamoDB server can be started on this machine. */
export function motoAvailable(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts moto's server on 127.0.0.1 (a free port). Unlike dynalite it returns the old item on a failed
 * condition, as DynamoDB does, so the one-round-trip paths run on it for real.
 */
export async function startMoto(): Promise<LocalDynamoDb> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', detached: true });
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}; ${MOTO_INSTALL_HINT}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error('moto_server did not answer within 30 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { endpoint, close: stop };
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Creates the table (partition key learning_id, on demand) unless it exists. */
export async function ensureLearningsTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'learning_id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'learning_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
