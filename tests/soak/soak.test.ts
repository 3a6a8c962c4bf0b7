// A short run of `npm run soak` (dev/soak/): the real HTTP stack, concurrent clients, records handed over
// and deleted mid-run, injected DynamoDB faults, merge patches on shared records, keyed writes sent again;
// every invariant must hold.
import { expect, it } from 'vitest';
import { runSoak, soakTable } from '../../dev/soak/index.ts';

it('a short soak holds every invariant, with each kind of answer and fault exercised', async () => {
  const report = await runSoak({ requests: 1500, clients: 16, records: 24, faults: true, seed: 7 });
  const table = soakTable(report);
  for (const invariant of report.invariants) expect(invariant.violations, `${invariant.name}\n${table}`).toEqual([]);
  const statuses = new Set(report.history.exchanges.map((exchange) => exchange.status));
  for (const status of [200, 403, 404, 412]) expect(statuses, table).toContain(status);
  // A keyed write sent again is one request: its later sendings are exchanges beyond the count.
  const firstSendings = report.history.exchanges.filter((exchange) => (exchange.attempt ?? 1) === 1);
  expect(firstSendings).toHaveLength(1500);
  expect(firstSendings.filter((exchange) => exchange.key !== undefined).length, table).toBeGreaterThan(300);
  expect(report.history.faultedAt.length).toBeGreaterThan(10);
  expect(report.history.chaos.some((event) => event.kind === 'handover')).toBe(true);
  expect(report.history.heap).toBeDefined();
  const merges = report.history.exchanges.filter((exchange) => exchange.merge !== undefined);
  expect(merges.filter((exchange) => exchange.status === 200).length, table).toBeGreaterThan(100);
  expect(merges.some((exchange) => exchange.merge?.value === null && exchange.status === 200)).toBe(true);
}, 180_000);
