// The two bundles the serverless CLI builds from esbuild.config.cjs: the deployed one waits for its token
// verification keys at init (a top-level await), which `sls invoke local` could not load, since it loads the
// handler with require(); the one built for `sls invoke local` leaves that await out.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const serverlessOptions = require('../../esbuild.config.cjs') as (serverless: unknown) => BuildOptions & {
  exclude?: unknown;
  outputFileExtension?: string;
  outputWorkFolder?: string;
};
const work = await mkdtemp(join(tmpdir(), 'bundles-test-'));
afterAll(() => rm(work, { recursive: true, force: true }));

/** The handler bundled as serverless-esbuild does for these CLI commands (its own options left out). */
async function bundleFor(commands: string[]): Promise<string> {
  const { exclude, outputFileExtension, outputWorkFolder, ...options } = serverlessOptions({
    processedInput: { commands },
  });
  const outfile = join(work, `${commands.join('-')}.mjs`);
  await build({ ...options, entryPoints: ['handlers/update-learning.ts'], outfile, logLevel: 'error' });
  return outfile;
}

it('the bundle for `sls invoke local` loads with require(); the deployed one awaits its keys at init', async () => {
  const local = await bundleFor(['invoke', 'local']);
  const deployed = await bundleFor(['package']);
  expect((require(local) as { handler: unknown }).handler).toBeTypeOf('function');
  expect(() => require(deployed)).toThrow(expect.objectContaining({ code: 'ERR_REQUIRE_ASYNC_MODULE' }));
  expect(((await import(deployed)) as { handler: unknown }).handler).toBeTypeOf('function');
});
