// The outermost middleware writes each request's one log line (lib/log.ts), whoever answered it: the
// handler or the error envelope. LOG_REQUESTS picks which requests get the whole line: all (the default),
// errors (refusals and failures; the rest write their metrics alone), or none. Its onError runs after the
// envelope's (handlers/update-learning.ts says why) and reads the answer and context.answeredError.
import type { MiddlewareObj } from '@middy/core';
import type { RequestLogging } from '../../lib/config.ts';
import type { AppError } from '../../lib/errors.ts';
import { createRequestLogger, traceRoot } from '../../lib/log.ts';
import type { HttpEvent, HttpResult, PipelineRequest, RequestContext } from './http.ts';

export interface RequestLogOptions {
  /** LOG_REQUESTS: which requests get their whole line. */
  log: RequestLogging;
  /** Lambda's application log level (AWS_LAMBDA_LOG_LEVEL), fixed for a container: a line below it keeps its metrics. */
  logLevel: string | undefined;
  /** The stage deployed (STAGE), the metrics' stage dimension. */
  stage: string;
  /** The X-Ray trace header of the invocation (_X_AMZN_TRACE_ID), read as its line is written. */
  traceHeader: () => string | undefined;
}

// The first request of a container is its cold start.
let coldStart = true;

/** What the line takes of the answer as it is given; the rest is read from the request as the line is written. */
interface Answer {
  status: number;
  outcome: string;
  cause: unknown;
  coldStart: boolean;
  answeredAt: number;
}

export function requestLog(options: RequestLogOptions): MiddlewareObj<HttpEvent, HttpResult, Error, RequestContext> {
  const logRequest = createRequestLogger(options.logLevel, options.stage);
  const writeLine = (request: PipelineRequest, answer: Answer) => {
    const { event, context } = request;
    const { status, cause } = answer;
    logRequest(
      {
        requestId: context.awsRequestId,
        apiRequestId: event.requestContext?.requestId,
        traceId: traceRoot(options.traceHeader()),
        coldStart: answer.coldStart,
        learningId: event.pathParameters?.learning_id,
        dbId: event.queryStringParameters?.db_id,
        table: context.command?.table,
        userId: context.principal?.userId,
        admin: context.principal?.isAdmin,
        status,
        outcome: answer.outcome,
        version: context.version,
        latencyMs: milliseconds(answer.answeredAt - (context.startedAt ?? answer.answeredAt)),
        dynamoDbMs: context.timing?.dynamoDbMs === undefined ? undefined : milliseconds(context.timing.dynamoDbMs),
        cause: cause instanceof Error ? { name: cause.name, message: cause.message } : undefined,
      },
      // Every answer but a 200 is a refusal or a failure.
      options.log === 'all' || status !== 200,
    );
  };
  const log = (request: PipelineRequest, outcome: string, cause?: unknown) => {
    const wasCold = coldStart;
    coldStart = false;
    if (options.log === 'none') return;
    // The line is built and written once the answer is on its way, not on the caller's clock: Lambda's Node
    // runtime sends an async handler's answer as its promise settles, then lets the event loop run before it
    // asks for the next event (and _X_AMZN_TRACE_ID still names this invocation's trace until then).
    setImmediate(writeLine, request, {
      status: statusOf(request),
      outcome,
      cause,
      coldStart: wasCold,
      answeredAt: performance.now(),
    });
  };
  const requestLogBefore = (request: PipelineRequest) => {
    request.context.startedAt = performance.now();
  };
  const requestLogAfter = (request: PipelineRequest) => {
    // Only answers the handler gave reach here: its one answer, a 200 with the outcome set.
    log(request, request.context.outcome as string);
  };
  const requestLogOnError = (request: PipelineRequest) => {
    // errorEnvelope, used inside this middleware, has answered every failure by now.
    const answered = request.context.answeredError as AppError;
    request.context.version = answered.version;
    log(request, answered.errorCode, answered.statusCode >= 500 ? (answered.cause ?? request.error) : undefined);
  };
  // Named hooks: Middy's plugin hooks (and a profiler) tell the stages apart by these names.
  return { before: requestLogBefore, after: requestLogAfter, onError: requestLogOnError };
}

/** The status of the answer given (the handler's, or the error envelope's), as API Gateway reads it. */
function statusOf(request: PipelineRequest): number {
  // Both hooks run once an answer is set, and every answer of this service has its status.
  return (request.response as HttpResult).statusCode as number;
}

function milliseconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}
