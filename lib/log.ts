// One JSON line per request on stdout: the audit and refusal log an on-call engineer follows, and the
// request's metrics in CloudWatch's Embedded Metric Format (EMF), on the same line so that they cost one
// write. Never the token, never the body: who, which record, what came of it, how long it took.
//
// Written by hand rather than with Powertools Logger and Metrics: the same fields and EMF for a fraction
// of their bundle (bench/README.md). Lambda's application log level (AWS_LAMBDA_LOG_LEVEL, set from the
// function's LoggingConfig) applies: a line below it keeps only its metrics.

const SERVICE = 'agno-update-learning';
const METRICS_NAMESPACE = 'AgnoUpdateLearning';

type Level = 'INFO' | 'WARN' | 'ERROR';
const LEVEL_RANK: Record<string, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };

export interface RequestLogEntry {
  /** Lambda's request id. */
  requestId: string | undefined;
  /** API Gateway's request id (its `apigw-requestid` answer header, and the access log's). */
  apiRequestId: string | undefined;
  /** The X-Ray trace's root id. */
  traceId: string | undefined;
  coldStart: boolean;
  learningId: string | undefined;
  dbId: string | undefined;
  table: string | undefined;
  userId: string | undefined;
  admin: boolean | undefined;
  status: number;
  /**
   * updated, merged (a merge patch), patched (a JSON Patch), replayed (an Idempotency-Key used again),
   * unchanged, or the error code.
   */
  outcome: string;
  /** The record's version as answered (200, 412). */
  version: number | undefined;
  latencyMs: number;
  /** Time spent in DynamoDB calls, when any was made. */
  dynamoDbMs: number | undefined;
  cause?: { name: string; message: string } | undefined;
}

function levelOf(status: number): Level {
  return status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO';
}

// Requests by outcome (updated, merged, patched, replayed, unchanged, each error code), and across all
// outcomes the request and DynamoDB latencies and cold starts, each per stage: two stages deployed in one
// account keep their metrics apart. The dimension sets stay small: a stage has one value, outcome about
// ten. The directives are the same on every line, so their JSON is built once.
const BY_OUTCOME = { Dimensions: [['service', 'stage', 'outcome']], Metrics: [{ Name: 'Requests', Unit: 'Count' }] };
const LATENCY = { Name: 'Latency', Unit: 'Milliseconds' };
const DYNAMODB_LATENCY = { Name: 'DynamoDbLatency', Unit: 'Milliseconds' };
const COLD_START = { Name: 'ColdStart', Unit: 'Count' };
const directives = (metrics: object[]) =>
  JSON.stringify([
    { Namespace: METRICS_NAMESPACE, ...BY_OUTCOME },
    { Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'stage']], Metrics: metrics },
  ]);
const WITH_DYNAMODB = directives([LATENCY, DYNAMODB_LATENCY, COLD_START]);
const WITHOUT_DYNAMODB = directives([LATENCY, COLD_START]);

export type RequestLogger = (entry: RequestLogEntry, audit: boolean) => void;

/**
 * A logger writing each request's line: the whole entry when `audit` and its level is not below
 * `logLevel` (Lambda's AWS_LAMBDA_LOG_LEVEL, fixed for a container), else its metrics alone; `stage` is the
 * metrics' stage dimension. Built as text: the fixed parts once, the entry's fields with JSON.stringify.
 */
export function createRequestLogger(logLevel: string | undefined, stage: string): RequestLogger {
  // Stryker disable next-line StringLiteral: equivalent, no line is below INFO
  const threshold = LEVEL_RANK[logLevel?.toUpperCase() ?? 'INFO'] ?? 0;
  const service = `"service":"${SERVICE}","stage":${JSON.stringify(stage)}`;
  return (entry, audit) => {
    const now = Date.now();
    const level = levelOf(entry.status);
    const whole = audit && (LEVEL_RANK[level] ?? 0) >= threshold;
    const fields = whole
      ? `"message":"update_learning",${JSON.stringify(entry).slice(1, -1)}`
      : `"message":"update_learning_metrics","outcome":${JSON.stringify(entry.outcome)}`;
    const dynamoDb = entry.dynamoDbMs === undefined ? '' : `,"DynamoDbLatency":${entry.dynamoDbMs}`;
    process.stdout.write(
      `{"timestamp":"${isoTime(now)}","level":"${level}",${service},${fields},` +
        `"_aws":{"Timestamp":${now},"CloudWatchMetrics":${entry.dynamoDbMs === undefined ? WITHOUT_DYNAMODB : WITH_DYNAMODB}},` +
        `"Requests":1,"Latency":${entry.latencyMs}${dynamoDb},"ColdStart":${entry.coldStart ? 1 : 0}}\n`,
    );
  };
}

// Date#toISOString costs more than the rest of the line's fixed parts: its text up to the second is kept
// while the second lasts.
let secondStart = 0;
// Stryker disable next-line StringLiteral: equivalent, the first line sets it
let secondText = '';
function isoTime(now: number): string {
  const milliseconds = now % 1000;
  if (now - milliseconds !== secondStart) {
    secondStart = now - milliseconds;
    secondText = new Date(secondStart).toISOString().slice(0, 19);
  }
  return `${secondText}.${String(milliseconds).padStart(3, '0')}Z`;
}

/** The root of the X-Ray trace this invocation belongs to (Lambda sets _X_AMZN_TRACE_ID per invocation). */
export function traceRoot(traceHeader: string | undefined): string | undefined {
  return traceHeader
    ?.split(';')
    .find((part) => part.startsWith('Root='))
    ?.slice(5);
}
