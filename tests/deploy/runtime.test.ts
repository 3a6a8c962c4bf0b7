// One Node.js major everywhere: the Lambda runtime, the node the scripts and tests run on (the `node`
// devDependency), the bundle's syntax target, CI's setup-node and the package's engines. A runtime moved
// in one place alone would test on one Node and run on another.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const MAJOR = '24';

it(`is Node.js ${MAJOR} in every place that names it`, () => {
  expect(readFileSync('serverless.yml', 'utf8')).toMatch(new RegExp(`^  runtime: nodejs${MAJOR}\\.x$`, 'm'));
  expect(pkg.devDependencies.node.split('.')[0]).toBe(MAJOR);
  expect(process.versions.node.split('.')[0]).toBe(MAJOR);
  expect(pkg.engines.node).toBe(`>=${MAJOR}`);
  expect(require('../../esbuild.config.cjs').esbuildOptions.target).toBe(`node${MAJOR}`);
  for (const workflow of ['.github/workflows/ci.yml', '.github/workflows/deploy.yml']) {
    const versions = [...readFileSync(workflow, 'utf8').matchAll(/node-version: (\S+)/g)].map((match) => match[1]);
    expect(versions.length, workflow).toBeGreaterThan(0);
    expect(new Set(versions), workflow).toEqual(new Set([MAJOR]));
  }
});
