// How many cases a property test runs: its full count, or a share of it where PROPERTY_RUNS_SCALE says so
// (npm run mutation runs every test once per mutant, and a tenth of the cases reaches the same branches).
export function runs(full: number): number {
  const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? '1');
  return Math.max(20, Math.round(full * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
