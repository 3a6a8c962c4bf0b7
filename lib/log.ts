// One JSON line per request on stdout: the audit and refusal log an on-call engineer follows, and the
// request's metrics in CloudWatch's Embedded Metric Format (EMF), on the same line so that they cost one
// write. Never the token, never the body: who, which record, what came of it, how long it took.
//
// Written by hand rather than with Powertools Logger and Metrics: the same fields and EMF for a fraction
// of their bundle (bench/README.md). Lambda's application log level (AWS_LAMBDA_LOG_LEVEL, set from the
// function's LoggingConfig) applies: a line below it keeps only its metrics.

export const SERVICE = 'agno-update-learning';
export const METRICS_NAMESPACE = 'AgnoUpdateLearning';

export type Level = 'INFO' | 'WARN' | 'ERROR';
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
  /** updated, unchanged, or the error code. */
  outcome: string;
  /** The record's version as answered (200, 412). */
  version: number | undefined;
  latencyMs: number;
  /** Time spent in DynamoDB calls, when any was made. */
  dynamoDbMs: number | undefined;
  cause?: { name: string; message: string } | undefined;
}

export function levelOf(status: number): Level {
  return status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO';
}

// Requests by outcome (updated, unchanged, each error code), and across all outcomes the request and
// DynamoDB latencies and cold starts. The dimension sets stay small: outcome has about ten values.
const BY_OUTCOME = { Dimensions: [['service', 'outcome']], Metrics: [{ Name: 'Requests', Unit: 'Count' }] };
const ACROSS = {
  Dimensions: [['service']],
  Metrics: [
    { Name: 'Latency', Unit: 'Milliseconds' },
    { Name: 'DynamoDbLatency', Unit: 'Milliseconds' },
    { Name: 'ColdStart', Unit: 'Count' },
  ],
};
const WITHOUT_DYNAMODB = { ...ACROSS, Metrics: ACROSS.Metrics.filter((metric) => metric.Name !== 'DynamoDbLatency') };

function metrics(entry: RequestLogEntry, now: number) {
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        { Namespace: METRICS_NAMESPACE, ...BY_OUTCOME },
        { Namespace: METRICS_NAMESPACE, ...(entry.dynamoDbMs === undefined ? WITHOUT_DYNAMODB : ACROSS) },
      ],
    },
    service: SERVICE,
    outcome: entry.outcome,
    Requests: 1,
    Latency: entry.latencyMs,
    ...(entry.dynamoDbMs === undefined ? {} : { DynamoDbLatency: entry.dynamoDbMs }),
    ColdStart: entry.coldStart ? 1 : 0,
  };
}

/**
 * Writes the request's line: the whole entry when `audit` and its level is not below Lambda's log level,
 * else its metrics alone.
 */
export function logRequest(entry: RequestLogEntry, audit: boolean): void {
  const now = Date.now();
  const level = levelOf(entry.status);
  const threshold = LEVEL_RANK[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? 'INFO'] ?? LEVEL_RANK.INFO;
  const line =
    audit && (LEVEL_RANK[level] ?? 0) >= (threshold ?? 0)
      ? { timestamp: new Date(now).toISOString(), level, message: 'update_learning', ...entry, ...metrics(entry, now) }
      : { timestamp: new Date(now).toISOString(), level, message: 'update_learning_metrics', ...metrics(entry, now) };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** The root of the X-Ray trace this invocation belongs to (Lambda sets _X_AMZN_TRACE_ID per invocation). */
export function traceRoot(traceHeader: string | undefined): string | undefined {
  return traceHeader
    ?.split(';')
    .find((part) => part.startsWith('Root='))
    ?.slice(5);
}
