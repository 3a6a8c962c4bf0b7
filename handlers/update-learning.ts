// PATCH /learnings/{learning_id}: the Lambda entry. The Middy pipeline, in order: request log (outermost, so
// that it sees every answer, the envelope's too), error envelope, authentication (401/403), JSON body (422),
// validation (422/413), then the use case, which writes with conditional DynamoDB UpdateItems: one for
// nearly every request.
// handler → lib/update-learning → lib/write/engine → lib/learnings-repository (docs/write-path.md).
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Principal } from '../lib/auth.ts';
import { type Config, invocationTraceHeader, loadConfig } from '../lib/config.ts';
import { answeredThrottles, createDocumentClient } from '../lib/dynamodb.ts';
import { toLearningResponse } from '../lib/learning.ts';
import { type LearningStore, LearningsRepository } from '../lib/learnings-repository.ts';
import { type BodyFormat, type UpdateLearningCommand, updateLearning } from '../lib/update-learning.ts';
import { authenticate } from './middleware/authenticate.ts';
import { errorEnvelope } from './middleware/error-envelope.ts';
import type { HttpEvent, HttpResult, RequestContext } from './middleware/http.ts';
import { jsonResponse } from './middleware/http.ts';
import { requestLog } from './middleware/request-log.ts';
import { requireJsonBody } from './middleware/require-json-body.ts';
import { validateRequest } from './middleware/validate-request.ts';

export interface UpdateLearningHandlerOptions {
  /** Instead of a repository over a client built from the configuration (tests, bench). */
  repository?: LearningStore;
  /**
   * Middy's plugin hooks and options: the hooks are called around each middleware hook (given its name)
   * and the handler, and the bench times each stage of this very pipeline with them.
   */
  plugin?: middy.PluginObject;
}

export function createUpdateLearningHandler(config: Config, options: UpdateLearningHandlerOptions = {}) {
  const learnings =
    options.repository ??
    new LearningsRepository(createDocumentClient(config.dynamoDb), {
      oldItemOnConditionFailure: config.dynamoDb.oldItemOnConditionFailure,
      writeClient: createDocumentClient(config.dynamoDb, answeredThrottles(config.dynamoDb.maxAttempts)),
    });
  const authentication = authenticate(config);
  const handler = middy<HttpEvent, HttpResult, Error, RequestContext>(options.plugin)
    // Outside the envelope: Middy calls onError hooks in the reverse order of use(), so the request log's
    // runs after the envelope's and logs the answer it made.
    .use(
      requestLog({
        log: config.logRequests,
        logLevel: config.logLevel,
        stage: config.stage,
        traceHeader: invocationTraceHeader,
      }),
    )
    .use(errorEnvelope())
    .use(authentication)
    .use(requireJsonBody())
    // requireJsonBody has checked the media type, charset and bytes, with the contract's answers.
    .use(httpJsonBodyParser({ disableContentTypeCheck: true }))
    .use(validateRequest(config))
    .handler(async (_event, context) => {
      // authenticate and validateRequest, which run first, set both or threw.
      const principal = context.principal as Principal;
      const command = context.command as UpdateLearningCommand;
      // Middy's abort signal is not passed on: its early timeout still answers 503 before the Lambda's
      // deadline, aborting cannot undo a write that already reached DynamoDB, and the client's own
      // deadlines end a hung call long before that timeout.
      context.timing = {};
      const result = await updateLearning(learnings, principal, command, context.timing);
      context.outcome = result.replayed ? 'replayed' : result.written ? WRITTEN[command.format] : 'unchanged';
      context.version = result.version;
      const replayed: Record<string, string> = result.replayed ? { 'Idempotent-Replayed': 'true' } : {};
      return jsonResponse(200, toLearningResponse(result.item), { ETag: result.etag, ...replayed });
    });
  // Settles once a remote JWKS is fetched (at once for other key sources); never rejects.
  return Object.assign(handler, { keysReady: authentication.keysReady });
}

/** The log's and metrics' outcome of a write, by body format. */
const WRITTEN: Record<BodyFormat, string> = { whole: 'updated', 'merge-patch': 'merged', 'json-patch': 'patched' };

export const handler = createUpdateLearningHandler(loadConfig(process.env));

// Lambda's init waits for a remote JWKS, so that no request waits for it: a container initialised ahead of
// traffic (provisioned concurrency, or one Lambda starts early) has the key set before its first request.
// A fetch that fails is left to the first token. A configured key or JWKS file is imported by the first
// token that needs it.
// `sls invoke local` loads the bundle with require(), which refuses a module that awaits at its top level:
// its build drops this labelled statement (dropLabels, esbuild.config.cjs).
// biome-ignore lint/suspicious/noConfusingLabels: the label is how that build finds the statement
KEYS_AT_INIT: await handler.keysReady;
