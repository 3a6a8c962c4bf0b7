// The soak's entry points: runSoak (runner.ts), the table of a run, and the checker of a history.
export type { ChaosEvent, Exchange, History, Invariant, StoredState } from './history.ts';
export { checkHistory } from './invariants/index.ts';
export { soakTable } from './report.ts';
export { runSoak, SOAK_DEFAULTS, type SoakOptions, type SoakReport } from './runner.ts';
