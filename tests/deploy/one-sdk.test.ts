// The deployable bundle holds exactly one copy of each AWS SDK package. Two copies of one package break
// what crosses between them: lib-dynamodb's NumberValue and util-dynamodb's are compared with instanceof,
// and a number read back by one copy would be written by the other as a map. npm dedupes the copies only
// while the clients, lib-dynamodb and util-dynamodb ask for compatible versions: package.json keeps them in
// step, and this test says when they drift.
import { createRequire } from 'node:module';
import { type BuildOptions, build } from 'esbuild';
import { expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { esbuildOptions } = require('../../esbuild.config.cjs') as { esbuildOptions: BuildOptions };

/** Each package in the bundle's inputs, with the folders its files came from (one per copy). */
function packageCopies(inputs: readonly string[]): Map<string, Set<string>> {
  const copies = new Map<string, Set<string>>();
  for (const input of inputs) {
    const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match === null) continue;
    const [, folder, name] = match as unknown as [string, string, string];
    const folders = copies.get(name) ?? new Set<string>();
    folders.add(`${folder}${name}`);
    copies.set(name, folders);
  }
  return copies;
}

it('finds a second copy of a package where there is one', () => {
  const copies = packageCopies([
    'node_modules/@aws-sdk/util-dynamodb/dist-es/index.js',
    'node_modules/@aws-sdk/lib-dynamodb/node_modules/@aws-sdk/util-dynamodb/dist-es/index.js',
    'node_modules/@aws-sdk/lib-dynamodb/dist-es/index.js',
    'lib/dynamodb.ts',
  ]);
  expect(copies.get('@aws-sdk/util-dynamodb')?.size).toBe(2);
  expect(copies.get('@aws-sdk/lib-dynamodb')?.size).toBe(1);
});

it('the deployable bundle holds one copy of each @aws-sdk and @smithy package', async () => {
  const { metafile } = await build({
    ...esbuildOptions,
    entryPoints: ['handlers/update-learning.ts'],
    write: false,
    outdir: 'unused',
    metafile: true,
    logLevel: 'error',
  });
  const copies = packageCopies(Object.keys(metafile.inputs));
  const sdk = [...copies].filter(([name]) => name.startsWith('@aws-sdk/') || name.startsWith('@smithy/'));
  expect(sdk.map(([name]) => name)).toEqual(
    expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb']),
  );
  expect(sdk.filter(([, folders]) => folders.size > 1).map(([name, folders]) => [name, [...folders]])).toEqual([]);
});
