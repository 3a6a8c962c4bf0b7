// Warm latency, side by side: one invocation of the deployable bundle's handler against one raw
// conditional UpdateItem of the same item on the same dynalite, interleaved, in a warming container and in steady
// state. Then where the handler's time goes, stage by stage, and the DynamoDB calls each outcome costs. Reports
// over IPC.

import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { startAllOldProxy } from '../dev/all-old-proxy.ts';
import { httpEvent, lambdaContext } from '../dev/events.ts';
import { ensureLearningsTable } from '../dev/local-dynamodb.ts';
import { signToken } from '../dev/tokens.ts';
import { createTokenVerifier } from '../lib/auth.ts';
import { loadConfig } from '../lib/config.ts';
import { createDocumentClient } from '../lib/dynamodb.ts';
import type { parseJsonPatch } from '../lib/json-patch.ts';
import { LearningsRepository } from '../lib/learnings-repository.ts';
import type { idempotencyKey } from '../lib/write/idempotency.ts';
import type { jsonPatchPaths } from '../lib/write/json-patch.ts';
import type { mergePaths } from '../lib/write/merge-patch.ts';
import type { UpdateCommands, updateCommands, WriteAttempt } from '../lib/write/update-command.ts';
import type { setWholeValues } from '../lib/write/whole-replace.ts';
import {
  APPEND,
  appendEvent,
  BENCH_ENV,
  MERGE,
  mergeEvent,
  ownerEvent,
  pairedRatio,
  SECRET,
  summarize,
  TABLE,
  UPDATE,
  UPDATE_TEXT,
} from './common.ts';

const [bundlePath = '', warmBundlePath = '', endpoint = '', iterationsText = '3000'] = process.argv.slice(2);
const iterations = Number(iterationsText);
/** Invocations of each path before the steady-state figure is measured. */
const STEADY_AFTER = 6000;
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
await seed('lrn_merge', 'alice');
await seed('lrn_merge_raw', 'alice');
await seed('lrn_merge_branch', 'alice');
// The append row's records: each memory list grows by one small element per call, as much on either side.
const seedList = (id: string) =>
  setup.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({
        learning_id: id,
        user_id: 'alice',
        content: { memories: [] },
        created_at: now,
        updated_at: now,
      }),
    }),
  );
await seedList('lrn_append');
await seedList('lrn_append_raw');
await seedList('lrn_keyed');
await seedList('lrn_keyed_raw');

const token = await signToken({ sub: 'alice', secret: SECRET });
const config = loadConfig(process.env);
// The handler, and the floor: the very UpdateItem the handler must make for this request (same expression,
// condition, return values and item), sent with a client configured like the handler's, through the same
// bundled SDK code (bench/handler-with-floor.ts).
type WarmBundle = {
  handler: Handler;
  fixedShapeHandler: Handler;
  createDocumentClient: typeof createDocumentClient;
  updateCommands: typeof updateCommands;
  setWholeValues: typeof setWholeValues;
  mergePaths: typeof mergePaths;
  jsonPatchPaths: typeof jsonPatchPaths;
  idempotencyKey: typeof idempotencyKey;
  parseJsonPatch: typeof parseJsonPatch;
  UpdateCommand: typeof UpdateCommand;
};
const bundle = (await import(warmBundlePath)) as WarmBundle;
const { handler } = bundle;
const floorClient = bundle.createDocumentClient(config.dynamoDb);
// A fresh write id per call, as long as the handler's (a container's 11 characters and a count).
const floorWriteId = () => randomUUID().slice(0, 13);
const floorCommand = (extras: Partial<WriteAttempt> = {}) =>
  (
    bundle.updateCommands({
      table: TABLE,
      learningId: 'lrn_raw',
      changes: (expression) => bundle.setWholeValues(expression, UPDATE),
      principal: { userId: 'alice', scopes: ['learnings:write'], isAdmin: false },
      now: Math.floor(Date.now() / 1000),
      preconditions: undefined,
      writeId: floorWriteId(),
      key: undefined,
      ...extras,
    }) as UpdateCommands
  ).command;
const rawUpdate = () => floorClient.send(new bundle.UpdateCommand(floorCommand()));

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

// Interleaved rounds of two paths, alternating which goes first, so that neither always follows the other and
// drift of the machine falls on both alike. Only the two paths compared run: a third workload in between
// (another copy of the SDK, say) would leave both colder than any Lambda process ever is.
type Path = (event: unknown, context: unknown) => Promise<unknown>;
async function interleave(
  first: Path,
  second: () => Promise<unknown>,
  rounds: number,
  makeEvent: () => unknown = () => ownerEvent(token),
) {
  const samples: [number[], number[]] = [[], []];
  for (let i = 0; i < rounds; i++) {
    // Built outside the timed call, as API Gateway hands it over.
    const event = makeEvent();
    const context = lambdaContext();
    const runs = [
      async () => samples[0].push(await timed(() => first(event, context))),
      async () => samples[1].push(await timed(second)),
    ];
    for (let j = 0; j < runs.length; j++) await runs[(i + j) % runs.length]?.();
  }
  return samples;
}

// A warming container, its first 300 requests: keep-alive sockets open and the key imported, but most of the
// handler's code not yet optimised. V8 compiles a function with TurboFan only after about 3,000 calls
// (--invocation-count-for-turbofan), and the handler's own functions run once per request, while the SDK's run
// many times per request: during a container's first few thousand requests the handler runs in V8's lower tiers.
const WARMING = 300;
const [warmingHandler, warmingRaw] = await interleave(handler, rawUpdate, WARMING);
// Steady state, as a container serving steady traffic runs: past the TurboFan threshold and V8's wait after the
// last inline-cache change (--minimum-invocations-after-ic-update=500), with room to spare.
await interleave(handler, rawUpdate, STEADY_AFTER - WARMING);
const [handlerSamples, rawSamples] = await interleave(handler, rawUpdate, iterations);

// The fixed shape alone (bench/fixed-shape.ts), in steady state too, beside the floor: the part of the warm gap
// that any handler of this shape pays, whatever it does. Warmed up on its own first.
const shape = bundle.fixedShapeHandler;
for (let i = 0; i < STEADY_AFTER; i++) await shape(ownerEvent(token, 'lrn_raw'), lambdaContext());
const [shapeSamples, shapeRaw] = await interleave(shape, rawUpdate, iterations);

// A merge patch whose shape the record takes, beside its floor: the one UpdateItem the handler makes for it
// (the same paths, conditions and write id), warmed up as the whole write was.
const mergeFloor = {
  learningId: 'lrn_merge_raw',
  changes: (expression: Parameters<typeof mergePaths>[1]) => bundle.mergePaths(MERGE, expression, undefined),
  writeId: '0000000000000',
};
const rawMerge = () => floorClient.send(new bundle.UpdateCommand(floorCommand(mergeFloor)));
const merged = () => mergeEvent(token, 'lrn_merge');
await interleave(handler, rawMerge, STEADY_AFTER, merged);
const [mergeSamples, mergeRaw] = await interleave(handler, rawMerge, iterations, merged);

// An append (JSON Patch), beside its floor: the one UpdateItem the handler makes for it (the same list_append,
// conditions and a fresh write id, which the handler draws for each request too).
const appendOperations = bundle.parseJsonPatch(APPEND);
const rawAppend = () =>
  floorClient.send(
    new bundle.UpdateCommand(
      floorCommand({
        learningId: 'lrn_append_raw',
        changes: (expression) => bundle.jsonPatchPaths(appendOperations, expression),
        writeId: floorWriteId(),
      }),
    ),
  );
const appended = () => appendEvent(token, 'lrn_append');
// Both lists are emptied every 200 appends (outside the timed calls), so that what is timed is the append,
// not an item grown large.
async function appendRounds(
  [mine, raw]: [string, string],
  floorCall: () => Promise<unknown>,
  event: () => ReturnType<typeof appendEvent>,
  rounds: number,
): Promise<[number[], number[]]> {
  const samples: [number[], number[]] = [[], []];
  for (let done = 0; done < rounds; done += 200) {
    await Promise.all([seedList(mine), seedList(raw)]);
    const [handlerTimes, floorTimes] = await interleave(handler, floorCall, Math.min(200, rounds - done), event);
    samples[0].push(...handlerTimes);
    samples[1].push(...floorTimes);
  }
  return samples;
}
const appendRecords: [string, string] = ['lrn_append', 'lrn_append_raw'];
await appendRounds(appendRecords, rawAppend, appended, STEADY_AFTER);
const [appendSamples, appendRaw] = await appendRounds(appendRecords, rawAppend, appended, iterations);

// The same append with an Idempotency-Key, a fresh one per call as an agent sends them, beside its floor:
// the UpdateItem the handler makes for it, with the key's condition and entry. Both records gain one entry
// per call, and are seeded anew with their lists.
let keys = 0;
const rawKeyedAppend = () =>
  floorClient.send(
    new bundle.UpdateCommand(
      floorCommand({
        learningId: 'lrn_keyed_raw',
        changes: (expression) => bundle.jsonPatchPaths(appendOperations, expression),
        writeId: floorWriteId(),
        key: bundle.idempotencyKey('alice', `raw-${keys++}`, 'json-patch', APPEND),
      }),
    ),
  );
const keyedAppended = () => appendEvent(token, 'lrn_keyed', `agent-${keys++}`);
const keyedRecords: [string, string] = ['lrn_keyed', 'lrn_keyed_raw'];
await appendRounds(keyedRecords, rawKeyedAppend, keyedAppended, STEADY_AFTER);
const [keyedSamples, keyedRaw] = await appendRounds(keyedRecords, rawKeyedAppend, keyedAppended, iterations);

// The same call through the SDK loaded from node_modules, unbundled, as the runtime's own SDK would be: the
// floor of the stage-by-stage run below (whose handler is built from the source modules), and a reference.
const unbundledClient = createDocumentClient(config.dynamoDb);
const unbundledUpdate = () => unbundledClient.send(new UpdateCommand(floorCommand()));

// Where the time goes, inside the real pipeline: the same handler built from the source modules the bundle is
// made of, timed by Middy's plugin hooks around each middleware and the handler, and by a wrapper around the
// DynamoDB client's send. Micro-benchmarks of each stage in a loop of its own add up to a fraction of the
// gap side by side with real I/O: the same code runs slower between I/O events (cold caches), so each stage is
// measured where it runs.
// Each middleware hook of the pipeline by its function's name (Middy's plugin hooks are given it). A hook not
// listed here is measured all the same, under its own name.
const STAGE_LABELS: Record<string, string> = {
  requestLogBefore: 'pipeline start (request log)',
  authenticateBefore: 'token verification (seen before: cache)',
  requireJsonBodyBefore: 'Content-Type, charset, body presence, nesting',
  httpJsonBodyParserMiddlewareBefore: 'JSON body parsing (Middy parser)',
  validateRequestBefore: 'validation (Zod, DynamoDB limits, If-Match)',
  requestLogAfter: 'request log: scheduled (its line is written after the answer)',
};
type Timeline = {
  /** Each hook: its name, its time, and whether it ran after the handler. */
  stages: [string, number, boolean][];
  dynamoDb: number;
  handler: number;
  handled: boolean;
  started: number;
  mark: number;
};
const timeline: Timeline = { stages: [], dynamoDb: 0, handler: 0, handled: false, started: 0, mark: 0 };
const stageSamples = new Map<string, number[]>();
const record = (name: string, value: number) => {
  const samples = stageSamples.get(name) ?? [];
  samples.push(value);
  stageSamples.set(name, samples);
};
const timedClient = createDocumentClient(config.dynamoDb);
const send = timedClient.send.bind(timedClient) as (command: unknown) => Promise<unknown>;
Object.assign(timedClient, {
  send: async (command: unknown) => {
    const started = performance.now();
    try {
      return await send(command);
    } finally {
      timeline.dynamoDb = performance.now() - started;
    }
  },
});
// Imported once the environment is set: the module builds its default handler from it when loaded.
const { createUpdateLearningHandler } = await import('../handlers/update-learning.ts');
const profiled = createUpdateLearningHandler(config, {
  repository: new LearningsRepository(timedClient, {
    oldItemOnConditionFailure: config.dynamoDb.oldItemOnConditionFailure,
    writeClient: timedClient,
  }),
  plugin: {
    requestStart: () => {
      timeline.stages = [];
      timeline.handled = false;
      timeline.started = performance.now();
    },
    beforeMiddleware: () => {
      timeline.mark = performance.now();
    },
    afterMiddleware: (name: string) => {
      timeline.stages.push([name, performance.now() - timeline.mark, timeline.handled]);
    },
    beforeHandler: () => {
      timeline.mark = performance.now();
    },
    afterHandler: () => {
      timeline.handler = performance.now() - timeline.mark;
      timeline.handled = true;
    },
  },
}) as unknown as Handler;
let measuring = false;
const profiledRun = async (event: unknown, context: unknown) => {
  await profiled(event, context);
  const total = performance.now() - timeline.started;
  // The request's log line, built and written once the answer is back (as Lambda's runtime lets it run after
  // sending the answer): not in the latency, but CPU the container still spends before its next request.
  const answered = performance.now();
  await new Promise((resolve) => setImmediate(resolve));
  const afterAnswer = performance.now() - answered;
  if (!measuring) return;
  const label = (name: string) => STAGE_LABELS[name] ?? `${name} (a hook not labelled in bench/warm.ts)`;
  for (const [name, value, after] of timeline.stages) if (!after) record(label(name), value);
  record('use case and response, around the call', timeline.handler - timeline.dynamoDb);
  record('DynamoDB UpdateItem (marshalling, round trip, unmarshalling)', timeline.dynamoDb);
  for (const [name, value, after] of timeline.stages) if (after) record(label(name), value);
  const staged = timeline.stages.reduce((sum, [, value]) => sum + value, 0) + timeline.handler;
  record("Middy's own work between stages", total - staged);
  record('whole invocation', total);
  record("after the answer: the request's log line (not in the latency)", afterAnswer);
};
// Beside the floor through the same (unbundled) SDK code the source modules load.
await interleave(profiledRun, unbundledUpdate, STEADY_AFTER);
measuring = true;
const [, profiledFloor] = await interleave(profiledRun, unbundledUpdate, iterations);
const stages: Record<string, number> = {};
for (const [name, samples] of stageSamples) stages[name] = summarize(samples).median;
stages['the floor, side by side'] = summarize(profiledFloor).median;
// A token seen for the first time: its HS256 signature checked (once per token and container, then cached).
const verify = createTokenVerifier(config.jwt);
const freshTokens = await Promise.all(
  Array.from({ length: 2000 }, (_, i) => signToken({ sub: 'alice', secret: SECRET, extraClaims: { jti: `s${i}` } })),
);
for (const fresh of freshTokens.slice(0, 500)) await verify(fresh);
const firstSight: number[] = [];
for (const fresh of freshTokens.slice(500)) firstSight.push(await timed(async () => verify(fresh)));
const firstSightMedian = summarize(firstSight).median;

// For reference, both warm by now: the floor's call through the bundled SDK against the unbundled one.
const [unbundledSamples, bundledSamples] = await interleave(unbundledUpdate, rawUpdate, Math.min(iterations, 1000));

// Round trips, counted at the wire, against dynalite made to answer like DynamoDB proper.
const proxy = await startAllOldProxy(endpoint);
Object.assign(process.env, { DYNAMODB_ENDPOINT: proxy.endpoint, DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: 'true' });
const counted = ((await import(`${bundlePath}?round-trips`)) as { handler: Handler }).handler;
const bob = await signToken({ sub: 'bob', secret: SECRET });
// [outcome, event, DynamoDB calls expected]
const cases: [string, ReturnType<typeof httpEvent>, number][] = [
  ['200 owner update', ownerEvent(token), 1],
  ['200 merge patch, shape takes it', mergeEvent(token, 'lrn_merge'), 1],
  ['200 merge patch, a new branch', mergeEvent(token, 'lrn_merge_branch', { content: { notes: { topic: 'x' } } }), 2],
  ['200 JSON Patch append', appendEvent(token, 'lrn_append'), 1],
  ['200 JSON Patch append with an Idempotency-Key', appendEvent(token, 'lrn_keyed', 'counted'), 1],
  ['200 its replay (Idempotent-Replayed)', appendEvent(token, 'lrn_keyed', 'counted'), 1],
  ['200 empty body {}', ownerEvent(token, 'lrn_bench', '{}'), 1],
  ['403 record with no owner', ownerEvent(token, 'lrn_shared'), 1],
  ["404 another user's record", ownerEvent(bob), 1],
  ['404 no such record', ownerEvent(token, 'lrn_missing'), 1],
  ['401 no token', httpEvent({ learningId: 'lrn_bench', body: UPDATE_TEXT }), 0],
  ['413 too large', ownerEvent(token, 'lrn_bench', JSON.stringify({ content: { blob: 'x'.repeat(410_000) } })), 0],
  ['422 invalid body', ownerEvent(token, 'lrn_bench', '{"user_id":"bob"}'), 0],
];
const roundTrips: { outcome: string; status: number; calls: string[]; expected: number }[] = [];
for (const [outcome, event, expected] of cases) {
  proxy.calls.length = 0;
  const { statusCode } = await counted(event, lambdaContext());
  roundTrips.push({ outcome, status: statusCode, calls: [...proxy.calls], expected });
}
proxy.close();

process.send?.({
  handler: summarize(handlerSamples),
  raw: summarize(rawSamples),
  pairedRatio: pairedRatio(handlerSamples, rawSamples),
  unbundled: { unbundled: summarize(unbundledSamples), bundled: summarize(bundledSamples) },
  warming: { handler: summarize(warmingHandler), raw: summarize(warmingRaw), calls: WARMING },
  fixedShape: { shape: summarize(shapeSamples), raw: summarize(shapeRaw) },
  merge: {
    handler: summarize(mergeSamples),
    raw: summarize(mergeRaw),
    pairedRatio: pairedRatio(mergeSamples, mergeRaw),
  },
  append: {
    handler: summarize(appendSamples),
    raw: summarize(appendRaw),
    pairedRatio: pairedRatio(appendSamples, appendRaw),
  },
  keyedAppend: {
    handler: summarize(keyedSamples),
    raw: summarize(keyedRaw),
    pairedRatio: pairedRatio(keyedSamples, keyedRaw),
  },
  steadyAfter: STEADY_AFTER,
  stages,
  firstSightMedian,
  roundTrips,
});
process.exit(0);
