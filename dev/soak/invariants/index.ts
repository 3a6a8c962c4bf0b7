// The soak's invariants, checked in this order. Adding one: a module beside these, exporting an
// InvariantCheck (history.ts), and its entry here.
import type { History, Invariant, InvariantCheck } from '../history.ts';
import { answersInContract } from './contract.ts';
import { failuresOnlyFromFaults } from './faults.ts';
import { finalStateFollowsAcknowledged } from './final-state.ts';
import { heapDoesNotGrow } from './heap.ts';
import { ifMatchChain } from './if-match-chain.ts';
import { listElementsKept } from './list-elements.ts';
import { mergeKeysKept } from './merge-keys.ts';
import { noWriteAppliedTwice } from './no-write-applied-twice.ts';
import { ownersAndLiveRecordsOnly } from './ownership.ts';
import { refusedWritesChangeNothing } from './refused-writes.ts';
import { oneContentPerVersion } from './versions.ts';

export const INVARIANTS: readonly InvariantCheck[] = [
  answersInContract,
  failuresOnlyFromFaults,
  ownersAndLiveRecordsOnly,
  ifMatchChain,
  oneContentPerVersion,
  refusedWritesChangeNothing,
  finalStateFollowsAcknowledged,
  mergeKeysKept,
  listElementsKept,
  noWriteAppliedTwice,
  heapDoesNotGrow,
];

/** The invariants of the run, each with the ways the history breaks it (empty: held). */
export function checkHistory(history: History, invariants: readonly InvariantCheck[] = INVARIANTS): Invariant[] {
  return invariants
    .filter((invariant) => invariant.appliesTo?.(history) ?? true)
    .map(({ name, violations }) => ({ name, violations: violations(history) }));
}
