// Warm latency, side by side: one invocation of the deployable bundle's handler against one raw
// conditional UpdateItem of the same item on the same dynalite, interleaved. Then where the handler's
// time goes, stage by stage, and the DynamoDB calls each outcome costs. Reports over IPC.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { createTokenVerifier } from '../lib/auth.ts';
import { loadConfig } from '../lib/config.ts';
import { createDocumentClient } from '../lib/dynamodb.ts';
import { attributeSize } from '../lib/dynamodb-values.ts';
import { buildUpdateCommand } from '../lib/learnings-repository.ts';
import { parseOrThrow, updateLearningRequestSchema } from '../lib/schemas.ts';
import { ensureLearningsTable } from '../scripts/local-dynamodb.ts';
import { signToken } from '../scripts/tokens.ts';
import { startAllOldProxy } from '../tests/support/all-old-proxy.ts';
import { httpEvent, lambdaContext } from '../tests/support/events.ts';
import { BENCH_ENV, ownerEvent, SECRET, summarize, TABLE, UPDATE, UPDATE_TEXT } from './common.ts';

const [bundlePath = '', floorPath = '', endpoint = '', iterationsText = '3000'] = process.argv.slice(2);
const iterations = Number(iterationsText);
Object.assign(process.env, BENCH_ENV, { DYNAMODB_ENDPOINT: endpoint });
type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number }>;

const setup = new DynamoDBClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
await ensureLearningsTable(setup, TABLE);
const now = Math.floor(Date.now() / 1000);
const seed = async (id: string, owner: string | null) =>
  setup.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({
        learning_id: id,
        learning_type: 'user_profile',
        namespace: 'user',
        user_id: owner,
        ...UPDATE,
        created_at: now,
        updated_at: now,
      }),
    }),
  );
await seed('lrn_bench', 'alice');
await seed('lrn_raw', 'alice');
await seed('lrn_shared', null);

const token = await signToken({ sub: 'alice', secret: SECRET });
const { handler } = (await import(bundlePath)) as { handler: Handler };
const config = loadConfig(process.env);
// The floor: the very UpdateItem the handler must make for this request (same expression, condition,
// return values and item), sent with a client configured like the handler's, from the same bundled SDK.
type FloorModule = {
  createDocumentClient: typeof createDocumentClient;
  buildUpdateCommand: typeof buildUpdateCommand;
  UpdateCommand: typeof UpdateCommand;
};
const floor = (await import(floorPath)) as FloorModule;
const floorClient = floor.createDocumentClient(config.dynamoDb);
const floorCommand = () =>
  floor.buildUpdateCommand({
    table: TABLE,
    learningId: 'lrn_raw',
    changes: UPDATE,
    principal: { userId: 'alice', scopes: ['learnings:write'], isAdmin: false },
    now: Math.floor(Date.now() / 1000),
    precondition: undefined,
  });
const rawUpdate = () => floorClient.send(new floor.UpdateCommand(floorCommand()));
// For reference: the same call through the SDK loaded from node_modules, unbundled.
const unbundledClient = createDocumentClient(config.dynamoDb);
const unbundledUpdate = () => unbundledClient.send(new UpdateCommand(floorCommand()));

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

// Warm up both paths (JIT, keep-alive sockets, key import), then interleave, alternating which goes first.
for (let i = 0; i < 300; i++) {
  await handler(ownerEvent(token), lambdaContext());
  await rawUpdate();
  await unbundledUpdate();
}
const handlerSamples: number[] = [];
const rawSamples: number[] = [];
const unbundledSamples: number[] = [];
for (let i = 0; i < iterations; i++) {
  const event = ownerEvent(token);
  const context = lambdaContext();
  const runs = [
    async () => handlerSamples.push(await timed(() => handler(event, context))),
    async () => rawSamples.push(await timed(rawUpdate)),
    async () => unbundledSamples.push(await timed(unbundledUpdate)),
  ];
  // Rotate which goes first, so that no path always follows the same one.
  for (let j = 0; j < runs.length; j++) await runs[(i + j) % runs.length]?.();
}

// Stage by stage, with the source modules the bundle is built from.
async function stage(run: () => unknown, count = 3000): Promise<number> {
  for (let i = 0; i < 200; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return summarize(samples).median;
}
const verify = createTokenVerifier(config.jwt);
const parser = httpJsonBodyParser();
const body = JSON.parse(UPDATE_TEXT) as Record<string, unknown>;
const freshTokens = await Promise.all(
  Array.from({ length: 3200 }, (_, i) => signToken({ sub: 'alice', secret: SECRET, extraClaims: { jti: `s${i}` } })),
);
let fresh = 0;
const stages = {
  'token verification, first sight (HS256)': await stage(() => verify(freshTokens[fresh++ % freshTokens.length] ?? '')),
  'token verification, seen before': await stage(() => verify(token)),
  'body parsing (Middy JSON parser)': await stage(() =>
    parser.before?.({ event: httpEvent({ body: UPDATE_TEXT }) } as never),
  ),
  'validation (Zod + DynamoDB limits)': await stage(() => {
    const { body: valid } = parseOrThrow(updateLearningRequestSchema, {
      path: { learning_id: 'lrn_bench' },
      query: {},
      body,
    });
    attributeSize('content', valid.content, 'content');
    attributeSize('metadata', valid.metadata, 'metadata');
  }),
  'marshalling (update request)': await stage(() => {
    const input = buildUpdateCommand({
      table: TABLE,
      learningId: 'lrn_bench',
      changes: body,
      principal: { userId: 'alice', scopes: [], isAdmin: false },
      now,
      precondition: undefined,
    });
    marshall(input.ExpressionAttributeValues, { removeUndefinedValues: false });
  }),
  'DynamoDB UpdateItem round trip': summarize(rawSamples).median,
  'whole handler invocation': summarize(handlerSamples).median,
};

// Round trips, counted at the wire, against dynalite made to answer like DynamoDB proper.
const proxy = await startAllOldProxy(endpoint);
Object.assign(process.env, { DYNAMODB_ENDPOINT: proxy.endpoint, DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: 'true' });
const counted = ((await import(`${bundlePath}?round-trips`)) as { handler: Handler }).handler;
const bob = await signToken({ sub: 'bob', secret: SECRET });
const cases: [string, ReturnType<typeof httpEvent>][] = [
  ['200 owner update', ownerEvent(token)],
  ['200 empty body {}', ownerEvent(token, 'lrn_bench', '{}')],
  ['403 record with no owner', ownerEvent(token, 'lrn_shared')],
  ["404 another user's record", ownerEvent(bob)],
  ['404 no such record', ownerEvent(token, 'lrn_missing')],
  ['401 no token', httpEvent({ learningId: 'lrn_bench', body: UPDATE_TEXT })],
  ['413 too large', ownerEvent(token, 'lrn_bench', JSON.stringify({ content: { blob: 'x'.repeat(410_000) } }))],
  ['422 invalid body', ownerEvent(token, 'lrn_bench', '{"user_id":"bob"}')],
];
const roundTrips: { outcome: string; status: number; calls: string[] }[] = [];
for (const [outcome, event] of cases) {
  proxy.calls.length = 0;
  const { statusCode } = await counted(event, lambdaContext());
  roundTrips.push({ outcome, status: statusCode, calls: [...proxy.calls] });
}
proxy.close();

process.send?.({
  handler: summarize(handlerSamples),
  raw: summarize(rawSamples),
  unbundled: summarize(unbundledSamples),
  stages,
  roundTrips,
});
process.exit(0);
