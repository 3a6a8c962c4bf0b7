// The soak: the real HTTP stack (serverless-offline running the deployable bundle) over dynalite behind a
// fault proxy, many concurrent clients for a bounded number of requests, records handed over and deleted
// mid-run, DynamoDB throttling, hanging and losing answers after commit. A third of the records are shared
// memories: most writes to them are merge patches, each client (an agent) setting or removing keys of its
// own under content.m. Every request and answer is recorded, and the history is checked at the end against
// what must always hold. The kinds of request are in writers/, the invariants in invariants/.
import { injectFaults } from './faults.ts';
import type { History, Invariant } from './history.ts';
import { heapUsedAfterGc } from './inspector.ts';
import { checkHistory } from './invariants/index.ts';
import { draws } from './random.ts';
import { SoakRecords } from './records.ts';
import { createTraffic, oneRequest, type Traffic } from './requests.ts';
import { startStack } from './stack.ts';

export interface SoakOptions {
  requests: number;
  clients: number;
  records: number;
  /** Inject DynamoDB faults (throttling bursts, hung calls, answers lost after commit). */
  faults: boolean;
  seed: number;
  progress?: (line: string) => void;
}

export const SOAK_DEFAULTS: SoakOptions = { requests: 20_000, clients: 64, records: 48, faults: true, seed: 1 };

export interface SoakReport {
  history: History;
  invariants: Invariant[];
  seconds: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const draw = draws(options.seed);
  const stack = await startStack();
  const records = new SoakRecords(stack.direct, options.seed, draw);
  for (let index = 0; index < options.records; index++) await records.create();
  const traffic = createTraffic(draw, records, stack);
  const started = performance.now();
  const faults = injectFaults(stack.proxy, draw.next, options.faults);
  try {
    const { heapAfterWarmUp } = await runClients(traffic, options, stack.inspectorUrl);
    const seconds = (performance.now() - started) / 1000;
    await faults.stop();
    const heap =
      stack.inspectorUrl === undefined || heapAfterWarmUp === undefined
        ? undefined
        : { afterWarmUp: await heapAfterWarmUp, atEnd: await heapUsedAfterGc(stack.inspectorUrl) };
    const final = await records.finalStates();
    const history: History = {
      exchanges: traffic.exchanges,
      chaos: records.chaos,
      faultedAt: [...stack.proxy.faultedAt],
      final,
      heap,
    };
    return { history, invariants: checkHistory(history), seconds };
  } finally {
    faults.halt();
    await stack.stop();
  }
}

/**
 * The clients, each sending one request after another until the run has issued them all; a change to the
 * table every 1/60 of the run, and the service's heap measured once a tenth of it is done (warm-up).
 */
async function runClients(
  traffic: Traffic,
  { requests, clients, progress = () => undefined }: SoakOptions,
  inspectorUrl: string | undefined,
): Promise<{ heapAfterWarmUp: Promise<number> | undefined }> {
  let heapAfterWarmUp: Promise<number> | undefined;
  const warmUp = Math.ceil(requests / 10);
  const chaosEvery = Math.max(1, Math.floor(requests / 60));
  const client = async (index: number) => {
    while (traffic.issued < requests) {
      const count = ++traffic.issued;
      if (count === warmUp && inspectorUrl !== undefined) heapAfterWarmUp = heapUsedAfterGc(inspectorUrl);
      if (count % chaosEvery === 0) await traffic.records.disturb();
      await oneRequest(traffic, index);
      if (count % 5000 === 0) progress(`${count} requests…`);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  return { heapAfterWarmUp };
}
