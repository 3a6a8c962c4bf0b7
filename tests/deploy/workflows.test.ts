// The CI workflows, read as GitHub would: tests on pull requests, credentials only where a deploy needs
// them, the same packages to dev then prod, a smoke test after each, and an OIDC trust that matches the
// subjects the deploy jobs send.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  steps: { run?: string; uses?: string; with?: Record<string, string> }[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}
const read = (file: string) => ({
  text: readFileSync(file, 'utf8'),
  workflow: parse(readFileSync(file, 'utf8')) as Workflow,
});
const ci = read('.github/workflows/ci.yml');
const deploy = read('.github/workflows/deploy.yml');
const runs = (job: Job | undefined) => (job?.steps ?? []).map((step) => step.run ?? '').join('\n');

describe('the workflows', () => {
  it('pull requests run the README test command, the browser test and the deploy rehearsal, with no id-token anywhere', () => {
    expect(Object.keys(ci.workflow.on)).toEqual(['pull_request']);
    const [job] = Object.values(ci.workflow.jobs);
    expect(runs(job)).toContain('npm ci && npm test');
    expect(runs(job)).toContain('npm run test:browser');
    expect(runs(job)).toContain('npm run deploy:rehearsal');
    expect(ci.text).not.toContain('id-token');
  });

  it('on main, one job without id-token tests and packages both stages from the same bundle', () => {
    expect(deploy.workflow.on).toEqual({ push: { branches: ['main'] } });
    expect(deploy.workflow.permissions).toEqual({ contents: 'read' });
    const build = deploy.workflow.jobs.build;
    expect(build?.permissions).toEqual({ contents: 'read' });
    expect(runs(build)).toContain('npm ci && npm test');
    expect(runs(build)).toContain('sls package --stage dev --package artifacts/dev');
    expect(runs(build)).toContain('sls package --stage prod --package artifacts/prod');
  });

  it('deploys those packages to dev, smoke-tests, then to prod behind its environment, and smoke-tests', () => {
    const dev = deploy.workflow.jobs['deploy-dev'];
    const prod = deploy.workflow.jobs['deploy-prod'];
    expect([dev?.needs, dev?.environment, prod?.needs, prod?.environment]).toEqual([
      'build',
      'dev',
      'deploy-dev',
      'prod',
    ]);
    for (const [job, stage] of [
      [dev, 'dev'],
      [prod, 'prod'],
    ] as const) {
      expect(job?.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
      expect(runs(job)).toContain('npm ci --ignore-scripts');
      expect(runs(job)).not.toMatch(/npm test|sls package/);
      expect(runs(job)).toContain(`sls deploy --stage ${stage} --package artifacts/${stage}`);
      expect(runs(job)).toContain('node scripts/smoke.ts');
      expect(runs(job).indexOf('smoke')).toBeGreaterThan(runs(job).indexOf('sls deploy'));
    }
  });

  it('documents an OIDC trust whose subjects are the ones the deploy jobs send (their environments)', () => {
    for (const environment of ['dev', 'prod']) {
      expect(deploy.text).toContain(`repo:<owner>/<repo>:environment:${environment}`);
    }
    expect(deploy.text).not.toContain('refs/heads/main');
  });
});
