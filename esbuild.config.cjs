// esbuild options of the deployable bundle, shared by serverless-esbuild (sls package / offline) and
// the benchmark, so that what is measured is what is deployed.
// - One minified ESM file, AWS SDK included: importing it cold takes ~106 ms against ~160 ms for the
//   same code resolving the SDK from node_modules (as with the runtime's own SDK), measured by `npm run bench`.
// - No source maps: they cost init time and memory on every cold start.
// - `module` entry points first, so that the SDK's ES modules tree-shake.
// - The SDK still holds CommonJS that requires Node built-ins; the banner gives it a `require`.
const esbuildOptions = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  banner: {
    js: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);",
  },
};

// serverless-esbuild reads only this file when it is configured (custom.esbuild.config), so its own
// options live here too: an .mjs file, so Lambda loads it as ESM, and nothing left out of the bundle.
module.exports = () => ({ ...esbuildOptions, outputFileExtension: '.mjs', exclude: [] });
module.exports.esbuildOptions = esbuildOptions;
