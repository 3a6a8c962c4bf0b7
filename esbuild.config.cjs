// esbuild options of the deployable bundle, shared by serverless-esbuild (sls package / offline) and
// the benchmark, so that what is measured is what is deployed.
// - One minified ESM file, AWS SDK included: it imports cold faster than the same code resolving the SDK
//   from node_modules (as with the runtime's own SDK); figures in bench/README.md.
// - No source maps: they cost init time and memory on every cold start.
// - `module` entry points first, so that the SDK's ES modules tree-shake.
// - The SDK still holds CommonJS that requires Node built-ins; the banner gives it a `require`.
const esbuildOptions = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  sourcemap: false,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  banner: {
    js: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);",
  },
};

// serverless-esbuild reads only this file when it is configured (custom.esbuild.config), so its own
// options live here too: nothing left out of the bundle, and an .mjs file, which Lambda loads as ESM.
// `sls invoke local` loads only .js/.cjs handlers, with require(): for it the bundle is .js, which this
// repository's package.json ("type": "module") marks as ESM, and it leaves out the handler's top-level
// await (the statement labelled KEYS_AT_INIT), which require() refuses; the keys are then got on demand.
// ESBUILD_WORK_FOLDER lets concurrent runs (tests starting serverless-offline beside a package step)
// build in folders of their own.
module.exports = (serverless) => {
  const invokeLocal = serverless?.processedInput?.commands?.join(' ') === 'invoke local';
  return {
    ...esbuildOptions,
    outputFileExtension: invokeLocal ? '.js' : '.mjs',
    dropLabels: invokeLocal ? ['KEYS_AT_INIT'] : [],
    exclude: [],
    outputWorkFolder: process.env.ESBUILD_WORK_FOLDER ?? '.esbuild',
  };
};
module.exports.esbuildOptions = esbuildOptions;
