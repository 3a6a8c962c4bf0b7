// `npm run bench`: the figures of the performance targets, each beside its floor, measured side by side in
// one run on this machine, plus references (the fixed shape alone, a JWKS first request) and where the
// handler's time goes. A benchmark, not a test: it prints numbers and asserts nothing.
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { BENCH_ENV, pairedRatio, type Summary, summarize } from './common.ts';

const { esbuildOptions } = createRequire(import.meta.url)('../esbuild.config.cjs') as { esbuildOptions: BuildOptions };
const out = resolve('bench/.out');
mkdirSync(out, { recursive: true });
const handlerBundle = `${out}/update-learning.mjs`;
const floorBundle = `${out}/sdk-only.mjs`;
const warmBundle = `${out}/handler-with-floor.mjs`;
const quick = process.argv.includes('--quick');

// 1. Size: the deployable bundle and the SDK-only floor, built with the same options (and the bundle the warm
// figure is measured with, bench/handler-with-floor.ts).
for (const [entry, outfile] of [
  ['handlers/update-learning.ts', handlerBundle],
  ['bench/sdk-only.ts', floorBundle],
  ['bench/handler-with-floor.ts', warmBundle],
] as const) {
  await build({ ...esbuildOptions, entryPoints: [entry], outfile, logLevel: 'error' });
}
const size = { handler: statSync(handlerBundle).size, floor: statSync(floorBundle).size };

// DynamoDB for the first-request, warm and memory figures: dynalite in a process of its own.
const dynalite = spawn(process.execPath, ['bench/dynalite-server.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
const endpoint = await new Promise<string>((resolveEndpoint) =>
  dynalite.stdout?.once('data', (chunk: Buffer) => resolveEndpoint(chunk.toString().trim())),
);

// 2. Cold: a fresh Node process imports the bundle, alternating with the floor.
const coldRuns = quick ? 10 : 40;
const execNode = (code: string, env: NodeJS.ProcessEnv) =>
  promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { env });
/** `coldRuns` rounds of two fresh-process figures, one of each per round, the first of the pair alternating. */
async function alternating(first: () => Promise<number>, second: () => Promise<number>) {
  const firsts: number[] = [];
  const seconds: number[] = [];
  for (let i = 0; i < coldRuns; i++) {
    if (i % 2 === 0) {
      firsts.push(await first());
      seconds.push(await second());
    } else {
      seconds.push(await second());
      firsts.push(await first());
    }
  }
  return [firsts, seconds] as const;
}
const importTime = async (file: string) =>
  Number(
    (
      await execNode(
        `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));process.exit(0)`,
        { ...process.env, ...BENCH_ENV, DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' },
      )
    ).stdout,
  );
const [coldHandlerSamples, coldFloorSamples] = await alternating(
  () => importTime(handlerBundle),
  () => importTime(floorBundle),
);
const cold = { handler: coldHandlerSamples, floor: coldFloorSamples };

// 2b. The first request of a new container, what its caller waits for: a fresh process imports the bundle
// and makes its first call (an owner's update), against a fresh process that imports the SDK-only bundle
// and makes its first UpdateItem of the same item; alternating, as the import alone.
const { firstRequestSetup, jwksFirstRequestSetup, FIRST_REQUEST_FLOOR, FIRST_REQUEST_HANDLER } = await import(
  './first-request.ts'
);
const firstEnv = await firstRequestSetup(endpoint);
const firstTime = async (code: string, env: Record<string, string>) => {
  const { stderr } = await execNode(code, env);
  const time = /FIRST=([\d.]+)/.exec(stderr)?.[1];
  if (time === undefined) throw new Error(`a first-request process failed:\n${stderr}`);
  return Number(time);
};
const [firstHandlerSamples, firstFloorSamples] = await alternating(
  () => firstTime(FIRST_REQUEST_HANDLER(handlerBundle), firstEnv),
  () => firstTime(FIRST_REQUEST_FLOOR(floorBundle), firstEnv),
);
const firstRequest = { handler: firstHandlerSamples, floor: firstFloorSamples };

// 2c. The first request with an identity provider's key set (RS256): fetched from a JWKS endpoint that answers
// in 50 ms, from init on, against the same keys read from a file. (The endpoint runs in this process: the
// fresh processes run asynchronously, so that it can answer them.)
const JWKS_DELAY_MS = 50;
const jwks = await jwksFirstRequestSetup(firstEnv, `${out}/jwks.json`, JWKS_DELAY_MS);
const [fromUrlSamples, fromFileSamples] = await alternating(
  () => firstTime(FIRST_REQUEST_HANDLER(handlerBundle), jwks.fromUrl),
  () => firstTime(FIRST_REQUEST_HANDLER(handlerBundle), jwks.fromFile),
);
jwks.close();

// 3–5. Warm latency, stages and round trips; then memory: each in a process of its own, against the
// dynalite the first requests used.

function runChild<T>(script: string, args: string[], execArgv: string[] = []): Promise<T> {
  return new Promise((resolveResult, reject) => {
    // The handler's request log goes to /dev/null, as cheap as Lambda's log pipe; results come over IPC.
    const child: ChildProcess = fork(script, args, { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let answered = false;
    child.once('message', (message) => {
      answered = true;
      resolveResult(message as T);
    });
    child.once('exit', (code) => answered || reject(new Error(`${script} exited with ${code} before reporting`)));
  });
}
type WarmResult = {
  handler: Summary;
  raw: Summary;
  pairedRatio: number;
  unbundled: { unbundled: Summary; bundled: Summary };
  warming: { handler: Summary; raw: Summary; calls: number };
  fixedShape: { shape: Summary; raw: Summary };
  merge: { handler: Summary; raw: Summary; pairedRatio: number };
  append: { handler: Summary; raw: Summary; pairedRatio: number };
  keyedAppend: { handler: Summary; raw: Summary; pairedRatio: number };
  steadyAfter: number;
  stages: Record<string, number>;
  firstSightMedian: number;
  roundTrips: { outcome: string; status: number; calls: string[]; expected: number }[];
};
const warm = await runChild<WarmResult>('bench/warm.ts', [handlerBundle, warmBundle, endpoint, quick ? '500' : '3000']);
const memory = await runChild<{ after2k: number; after20k: number }>(
  'bench/memory.ts',
  [handlerBundle, endpoint],
  ['--expose-gc'],
);
dynalite.kill();

// Report.
const ms = (value: number) => `${value.toFixed(3)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const coldHandler = summarize(cold.handler);
const coldFloor = summarize(cold.floor);
const firstHandler = summarize(firstRequest.handler);
const firstFloor = summarize(firstRequest.floor);
const ratios = {
  warm: warm.handler.median / warm.raw.median,
  warming: warm.warming.handler.median / warm.warming.raw.median,
  cold: coldHandler.median / coldFloor.median,
  first: firstHandler.median / firstFloor.median,
};
const rows = [
  ['warm latency, median (steady state)', ms(warm.handler.median), ms(warm.raw.median), ratios.warm, 1.1],
  [
    `warm latency, median (a warming container: its first ${warm.warming.calls} requests)`,
    ms(warm.warming.handler.median),
    ms(warm.warming.raw.median),
    ratios.warming,
    1.1,
  ],
  [
    'warm latency, merge patch the record takes (steady state; floor: the same paths)',
    ms(warm.merge.handler.median),
    ms(warm.merge.raw.median),
    warm.merge.handler.median / warm.merge.raw.median,
    1.1,
  ],
  [
    'warm latency, JSON Patch append (steady state; floor: the same list_append)',
    ms(warm.append.handler.median),
    ms(warm.append.raw.median),
    warm.append.handler.median / warm.append.raw.median,
    1.1,
  ],
  [
    'warm latency, the append with an Idempotency-Key (floor: the same UpdateItem, key and entry included)',
    ms(warm.keyedAppend.handler.median),
    ms(warm.keyedAppend.raw.median),
    warm.keyedAppend.handler.median / warm.keyedAppend.raw.median,
    1.1,
  ],

  ['cold import, median', ms(coldHandler.median), ms(coldFloor.median), ratios.cold, 1.15],
  [
    'first request of a new process (import + first call)',
    ms(firstHandler.median),
    ms(firstFloor.median),
    ratios.first,
    1.2,
  ],
  ['bundle size', kib(size.handler), kib(size.floor), size.handler / size.floor, 1.25],
  ['heap after 20,000 / 2,000 calls', mib(memory.after20k), mib(memory.after2k), memory.after20k / memory.after2k, 1.1],
] as const;
const roundTripsOk = warm.roundTrips.every(({ calls, expected }) => calls.length === expected);

console.log(`\nUpdate Learning benchmark — node ${process.version}, ${quick ? 'quick' : 'full'} run\n`);
console.log('| figure | this service | floor | ratio | target | |');
console.log('|---|---|---|---|---|---|');
for (const [figure, mine, floor, ratio, target] of rows) {
  console.log(
    `| ${figure} | ${mine} | ${floor} | ${ratio.toFixed(3)} | ≤ ${target.toFixed(2)} | ${ratio <= target ? 'ok' : 'OVER'} |`,
  );
}
console.log(
  `| DynamoDB calls per request | see below | 1 for 200/403/404 and an append (a merge patch: 2 when the shape does not take it), 0 for 401/413/422 | | | ${roundTripsOk ? 'ok' : 'OVER'} |`,
);
// What a key costs in all (its condition, its entry in the item, its hashes): no target, since a key is the
// client's choice of a dearer write; the keyed row above guards the service's own work for it.
console.log(
  `\nThe keyed append against the unkeyed append's floor: ${ms(warm.keyedAppend.handler.median)} against ${ms(warm.append.raw.median)}, ${(warm.keyedAppend.handler.median / warm.append.raw.median).toFixed(3)}.`,
);
// Both ratios of medians beside the medians of paired ratios: far apart, they tell of a machine that was not
// steady during the run (load coming or going, or heavy enough to skew each series its own way).
const paired = {
  warm: warm.pairedRatio,
  cold: pairedRatio(cold.handler, cold.floor),
  merge: warm.merge.pairedRatio,
  append: warm.append.pairedRatio,
  keyedAppend: warm.keyedAppend.pairedRatio,
};
const drift = Math.max(Math.abs(paired.warm - ratios.warm), Math.abs(paired.cold - ratios.cold));
console.log(
  `\nThe median of the ratios of pairs measured back to back: warm ${paired.warm.toFixed(3)}, merge patch ${paired.merge.toFixed(3)}, append ${paired.append.toFixed(3)}, keyed append ${paired.keyedAppend.toFixed(3)}, cold ${paired.cold.toFixed(3)}.${drift > 0.03 ? " They differ from the ratios of medians above by more than 0.03: the machine was not steady during this run, and its figures are not worth comparing with another run's. Rerun it on a quiet machine." : ''}`,
);
console.log(
  `\nWarm latency in steady state is measured once V8 has optimised the handler (after ${warm.steadyAfter.toLocaleString('en')} invocations; TurboFan compiles a function after about 3,000 calls); a warming container's, over its first ${warm.warming.calls} requests.`,
);
console.log(
  `\nThe fixed shape alone (bench/fixed-shape.ts: Middy, its JSON body parser, a Zod parse and a JSON answer around the floor's UpdateItem; no token, ownership, limits, ETag or log), steady state: ${ms(warm.fixedShape.shape.median)} against ${ms(warm.fixedShape.raw.median)} (ratio ${(warm.fixedShape.shape.median / warm.fixedShape.raw.median).toFixed(3)}), what any handler of this shape pays. The service's own work, the handler's warm ratio less the shape's: ${(ratios.warm - warm.fixedShape.shape.median / warm.fixedShape.raw.median).toFixed(3)} (target ≤ 0.04).`,
);
const fromUrl = summarize(fromUrlSamples).median;
const fromFile = summarize(fromFileSamples).median;
console.log(
  `\nFirst request with an identity provider's key set (RS256), fresh processes: ${ms(fromUrl)} with the keys fetched, from init on, from a JWKS endpoint answering in ${JWKS_DELAY_MS} ms; ${ms(fromFile)} with the same keys from a file (at hand from the start); the first caller waits ${ms(fromUrl - fromFile)} for the key set.`,
);
console.log(
  `\nThe warm floor is the handler's own UpdateItem through the same bundled SDK; side by side with the same call through the SDK loaded unbundled from node_modules, as the runtime's own SDK would be, the bundled SDK takes ${ms(warm.unbundled.bundled.median)} against ${ms(warm.unbundled.unbundled.median)} (bundled/unbundled ${(warm.unbundled.bundled.median / warm.unbundled.unbundled.median).toFixed(3)}).`,
);
console.log(
  `\np99: warm ${ms(warm.handler.p99)} (floor ${ms(warm.raw.p99)}), cold ${ms(coldHandler.p99)} (floor ${ms(coldFloor.p99)}); ${warm.handler.count} warm pairs, ${coldRuns} cold pairs`,
);
console.log('\nDynamoDB calls by outcome (counted at the wire; dynalite made to return ALL_OLD like DynamoDB proper):');
for (const { outcome, status, calls } of warm.roundTrips)
  console.log(`  ${outcome.padEnd(28)} → ${status}: ${calls.length} ${calls.length ? `(${calls.join(', ')})` : ''}`);
console.log(
  "\nWhere a warm invocation spends its time, steady state, measured inside the pipeline (medians, µs; each stage timed by Middy's hooks, side by side with the floor):",
);
for (const [name, value] of Object.entries(warm.stages))
  console.log(`  ${name.padEnd(62)} ${(value * 1000).toFixed(1).padStart(8)}`);
console.log(
  `A token seen for the first time in a container costs ${(warm.firstSightMedian * 1000).toFixed(1)} µs more (its HS256 signature checked, then cached).`,
);
