// PATCH /learnings/{learning_id}: the Lambda entry. The Middy pipeline, in order: error envelope (outermost),
// authentication (401/403), JSON body (422), validation (422/413), then the use case, which makes the one
// conditional DynamoDB UpdateItem. handler → lib/update-learning → lib/learnings-repository.
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { type Config, loadConfig } from '../lib/config.ts';
import { createDocumentClient } from '../lib/dynamodb.ts';
import { toLearningResponse } from '../lib/learning.ts';
import { LearningsRepository } from '../lib/learnings-repository.ts';
import { updateLearning } from '../lib/update-learning.ts';
import { authenticate } from './middleware/authenticate.ts';
import { errorEnvelope } from './middleware/error-envelope.ts';
import type { HttpEvent, HttpResult, RequestContext } from './middleware/http.ts';
import { jsonResponse } from './middleware/http.ts';
import { requireJsonBody } from './middleware/require-json-body.ts';
import { validateRequest } from './middleware/validate-request.ts';

export interface UpdateLearningHandlerOptions {
  /** Instead of a repository over a client built from the configuration (tests, bench). */
  repository?: LearningsRepository;
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
    });
  const authentication = authenticate(config);
  const handler = middy<HttpEvent, HttpResult, Error, RequestContext>(options.plugin)
    .use(errorEnvelope({ log: config.logRequests, logLevel: config.logLevel }))
    .use(authentication)
    .use(requireJsonBody())
    // requireJsonBody has checked the media type, charset and bytes, with the contract's answers.
    .use(httpJsonBodyParser({ disableContentTypeCheck: true }))
    .use(validateRequest(config))
    .handler(async (_event, context) => {
      const { principal, command } = context;
      // authenticate and validateRequest set both or threw: this guards only a pipeline edited out of order.
      // Stryker disable ConditionalExpression,LogicalOperator,StringLiteral,CallExpression: unreachable, as above
      /* v8 ignore next 2 */
      if (principal === undefined || command === undefined)
        throw new Error('pipeline ran the handler unauthenticated or unvalidated');
      // Stryker restore ConditionalExpression,LogicalOperator,StringLiteral,CallExpression
      // Middy's abort signal is not passed on: its early timeout still answers 503 before the Lambda's
      // deadline, aborting cannot undo a write that already reached DynamoDB, and the client's own
      // deadlines end a hung call long before that timeout.
      context.timing = {};
      const result = await updateLearning(learnings, principal, command, context.timing);
      context.outcome = !result.written ? 'unchanged' : command.merge === true ? 'merged' : 'updated';
      context.version = result.version;
      return jsonResponse(200, toLearningResponse(result.item), { ETag: result.etag });
    });
  // Settles once the token verification keys are ready; never rejects (what failed is done on demand).
  return Object.assign(handler, { keysReady: authentication.keysReady });
}

export const handler = createUpdateLearningHandler(loadConfig(process.env));

// Lambda's init waits for the token verification keys (a remote JWKS fetched, the configured key imported),
// so that no request waits for them: a container initialised ahead of traffic (provisioned concurrency, or
// one Lambda starts early) has them before its first request. A fetch that fails is left to the first token.
// `sls invoke local` loads the bundle with require(), which refuses a module that awaits at its top level:
// its build drops this labelled statement (dropLabels, esbuild.config.cjs).
// biome-ignore lint/suspicious/noConfusingLabels: the label is how that build finds the statement
KEYS_AT_INIT: await handler.keysReady;
