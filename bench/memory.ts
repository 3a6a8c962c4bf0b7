// Heap after 2,000 and after 20,000 invocations of the deployable bundle in one process: a handler that
// keeps anything per request grows between the two. Run with --expose-gc; reports over IPC.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { lambdaContext } from '../dev/events.ts';
import { ensureLearningsTable } from '../dev/local-dynamodb.ts';
import { signToken } from '../dev/tokens.ts';
import { BENCH_ENV, ownerEvent, SECRET, TABLE, UPDATE } from './common.ts';

const [bundlePath = '', endpoint = ''] = process.argv.slice(2);
Object.assign(process.env, BENCH_ENV, { DYNAMODB_ENDPOINT: endpoint });
const setup = new DynamoDBClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
await ensureLearningsTable(setup, TABLE);
await setup.send(
  new PutItemCommand({ TableName: TABLE, Item: marshall({ learning_id: 'lrn_memory', user_id: 'alice', ...UPDATE }) }),
);
const { handler } = (await import(bundlePath)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
// Fresh tokens now and then, as real callers send: a per-token cache would show up as growth.
const tokens = await Promise.all(
  Array.from({ length: 50 }, (_, i) => signToken({ sub: 'alice', secret: SECRET, extraClaims: { jti: `t${i}` } })),
);

const heapAfterGc = () => {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};
let done = 0;
const runUntil = async (total: number) => {
  for (; done < total; done++)
    await handler(ownerEvent(tokens[done % tokens.length] ?? '', 'lrn_memory'), lambdaContext());
};
await runUntil(2000);
const after2k = heapAfterGc();
await runUntil(20_000);
const after20k = heapAfterGc();
process.send?.({ after2k, after20k });
process.exit(0);
