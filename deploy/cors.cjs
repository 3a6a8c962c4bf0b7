// CORS of the HTTP API, from the corsAllowedOrigins param (comma-separated origins; blank: no browser
// access). The same settings configure API Gateway (serverless.yml: provider.httpApi.cors) and the local
// stand-in for it under `npm start` (dev/api-gateway-cors.ts), so that a browser meets one behaviour.
// Bearer tokens, not cookies: no credentials mode.
const { commaList } = require('./params.cjs');

const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match'];
const ALLOWED_METHODS = ['PATCH'];
const EXPOSED_HEADERS = ['ETag', 'Idempotent-Replayed', 'Retry-After', 'WWW-Authenticate'];
// Seconds a browser may reuse a preflight's answer.
const MAX_AGE = 600;

/** The settings for a comma-separated list of origins; undefined when the list is blank. */
function corsSettings(originsText) {
  const origins = commaList(originsText);
  if (origins.length === 0) return undefined;
  for (const origin of origins) {
    const exact = origin === '*' || (URL.canParse(origin) && new URL(origin).origin === origin);
    if (!exact) throw new Error(`corsAllowedOrigins: '${origin}' is not an origin (scheme://host[:port], no path)`);
  }
  return {
    allowedOrigins: origins,
    allowedHeaders: ALLOWED_HEADERS,
    allowedMethods: ALLOWED_METHODS,
    exposedResponseHeaders: EXPOSED_HEADERS,
    allowCredentials: false,
    maxAge: MAX_AGE,
  };
}

module.exports = { corsSettings };
// serverless.yml: ${file(./deploy/cors.cjs):httpApiCors}. false: no CORS configuration, no browser access.
module.exports.httpApiCors = async ({ resolveVariable }) =>
  corsSettings(await resolveVariable('param:corsAllowedOrigins')) ?? false;
