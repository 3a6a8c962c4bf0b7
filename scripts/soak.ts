// npm run soak [-- --requests N --clients N --records N --seed N --no-faults]: the soak of dev/soak/ at
// the given size (defaults: 20,000 requests from 64 clients), its table, and exit 1 if any invariant broke.
import { parseArgs } from 'node:util';
import { runSoak, SOAK_DEFAULTS, soakTable } from '../dev/soak/index.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string' },
    clients: { type: 'string' },
    records: { type: 'string' },
    seed: { type: 'string' },
    'no-faults': { type: 'boolean', default: false },
  },
});
const whole = (name: string, raw: string | undefined, fallback: number) => {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1`);
  return value;
};
const options = {
  requests: whole('requests', values.requests, SOAK_DEFAULTS.requests),
  clients: whole('clients', values.clients, SOAK_DEFAULTS.clients),
  records: whole('records', values.records, SOAK_DEFAULTS.records),
  seed: whole('seed', values.seed, SOAK_DEFAULTS.seed),
  faults: !values['no-faults'],
  progress: (line: string) => console.error(line),
};
console.log(
  `Soak: ${options.requests} requests from ${options.clients} clients on ${options.records} records, ` +
    `${options.faults ? 'with' : 'without'} injected DynamoDB faults, seed ${options.seed}\n`,
);
const report = await runSoak(options);
console.log(soakTable(report));
const broken = report.invariants.filter((invariant) => invariant.violations.length > 0);
console.log(broken.length === 0 ? '\nAll invariants held.' : `\n${broken.length} invariant(s) broken.`);
process.exitCode = broken.length === 0 ? 0 : 1;
