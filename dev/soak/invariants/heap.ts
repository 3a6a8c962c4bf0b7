import { type InvariantCheck, mib } from '../history.ts';

const HEAP_GROWTH_ALLOWED = 1.1;
const HEAP_SLACK_BYTES = 4 * 1024 * 1024;

/** Judged only when the run measured the service's heap. */
export const heapDoesNotGrow: InvariantCheck = {
  name: `the service's heap does not grow (after GC, at most ×${HEAP_GROWTH_ALLOWED} + 4 MiB)`,
  appliesTo: ({ heap }) => heap !== undefined,
  violations: ({ heap }) => {
    if (heap === undefined) return [];
    const { afterWarmUp, atEnd } = heap;
    return atEnd > afterWarmUp * HEAP_GROWTH_ALLOWED + HEAP_SLACK_BYTES
      ? [`${mib(afterWarmUp)} after warm-up, ${mib(atEnd)} at the end`]
      : [];
  },
};
