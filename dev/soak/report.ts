import { type Exchange, logicalWrites, mib } from './history.ts';
import type { SoakReport } from './runner.ts';
import { WRITERS } from './writers/index.ts';

/** The run as a table: requests, statuses, rate, latency, faults, heap, and each invariant. */
export function soakTable({ history, invariants, seconds }: SoakReport): string {
  const { exchanges } = history;
  const rows: [string, string][] = [
    ['requests', String(exchanges.length)],
    ...statusRows(exchanges),
    ...WRITERS.flatMap(({ tally }): [string, string][] => {
      if (tally === undefined) return [];
      // A write sent again with its key counts once, acknowledged when any of its sendings was.
      const writes = logicalWrites(exchanges).filter(([first]) => first !== undefined && tally.counts(first));
      const acknowledged = writes.filter((sent) => sent.some((e) => e.status === 200)).length;
      return [[`${tally.label} (acknowledged)`, `${writes.length} (${acknowledged})`]];
    }),
    ['keyed writes (sent again / replayed)', keyedWrites(exchanges)],
    ['per second', (exchanges.length / seconds).toFixed(0)],
    ['latency p50 / p99', latencies(exchanges)],
    ['DynamoDB calls faulted', String(history.faultedAt.length)],
    [
      'records handed over / deleted',
      `${history.chaos.filter((c) => c.kind === 'handover').length} / ${history.chaos.filter((c) => c.kind === 'delete').length}`,
    ],
    [
      'service heap after GC (warm-up → end)',
      history.heap === undefined ? 'not measured' : `${mib(history.heap.afterWarmUp)} → ${mib(history.heap.atEnd)}`,
    ],
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  const lines = rows.map(([name, value]) => `${name.padEnd(width)}${value}`);
  lines.push('', 'invariants');
  for (const { name, violations } of invariants) {
    lines.push(`  ${violations.length === 0 ? 'held  ' : `BROKEN (${violations.length})`}  ${name}`);
    for (const violation of violations.slice(0, 5)) lines.push(`      ${violation}`);
  }
  return lines.join('\n');
}

/** How many writes carried a key, how many of them were sent again, and how many answers were replays. */
function keyedWrites(exchanges: Exchange[]): string {
  const keyed = logicalWrites(exchanges).filter(([first]) => first?.key !== undefined);
  const sentAgain = keyed.filter((sent) => sent.length > 1).length;
  const replays = exchanges.filter((e) => e.replayed === true).length;
  return `${keyed.length} (${sentAgain} / ${replays})`;
}

function statusRows(exchanges: Exchange[]): [string, string][] {
  const byStatus = new Map<number, number>();
  for (const e of exchanges) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  return [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]): [string, string] => [`  ${status === 0 ? 'no answer' : status}`, String(count)]);
}

function latencies(exchanges: Exchange[]): string {
  const sorted = exchanges.map((e) => e.end - e.start).sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return `${percentile(0.5).toFixed(1)} ms / ${percentile(0.99).toFixed(1)} ms`;
}
