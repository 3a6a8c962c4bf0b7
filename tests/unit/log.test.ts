// The request's log line, exactly: its JSON fields, its level against Lambda's log level, and the EMF
// directives CloudWatch reads the metrics by. (faults-and-logs.test.ts checks the lines real requests write.)
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequestLogger, type RequestLogEntry, traceRoot } from '../../lib/log.ts';

const entry = (overrides: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  requestId: 'req-1',
  apiRequestId: 'api-1',
  traceId: '1-abc',
  coldStart: false,
  learningId: 'lrn_1',
  dbId: undefined,
  table: 'agno_learnings',
  userId: 'alice',
  admin: false,
  status: 200,
  outcome: 'updated',
  version: 3,
  latencyMs: 1.25,
  dynamoDbMs: 0.75,
  ...overrides,
});

function written(logLevel: string | undefined, ...calls: [RequestLogEntry, boolean][]): Record<string, unknown>[] {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const log = createRequestLogger(logLevel, 'prod');
    for (const [logged, audit] of calls) log(logged, audit);
    return write.mock.calls.map(([text]) => {
      expect(String(text).endsWith('}\n')).toBe(true);
      return JSON.parse(String(text));
    });
  } finally {
    write.mockRestore();
  }
}

afterEach(() => vi.useRealTimers());

describe('the request log line', () => {
  it('is the whole entry with a timestamp, level, service and EMF metrics', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 29, 8, 30, 15, 7) });
    const [line] = written(undefined, [entry({ coldStart: true }), true]);
    expect(line).toEqual({
      timestamp: '2026-11-29T08:30:15.007Z',
      level: 'INFO',
      service: 'agno-update-learning',
      stage: 'prod',
      message: 'update_learning',
      requestId: 'req-1',
      apiRequestId: 'api-1',
      traceId: '1-abc',
      coldStart: true,
      learningId: 'lrn_1',
      table: 'agno_learnings',
      userId: 'alice',
      admin: false,
      status: 200,
      outcome: 'updated',
      version: 3,
      latencyMs: 1.25,
      dynamoDbMs: 0.75,
      _aws: {
        Timestamp: Date.UTC(2026, 10, 29, 8, 30, 15, 7),
        CloudWatchMetrics: [
          {
            Namespace: 'AgnoUpdateLearning',
            Dimensions: [['service', 'stage', 'outcome']],
            Metrics: [{ Name: 'Requests', Unit: 'Count' }],
          },
          {
            Namespace: 'AgnoUpdateLearning',
            Dimensions: [['service', 'stage']],
            Metrics: [
              { Name: 'Latency', Unit: 'Milliseconds' },
              { Name: 'DynamoDbLatency', Unit: 'Milliseconds' },
              { Name: 'ColdStart', Unit: 'Count' },
            ],
          },
        ],
      },
      Requests: 1,
      Latency: 1.25,
      DynamoDbLatency: 0.75,
      ColdStart: 1,
    });
  });

  it('keeps each timestamp exact as the clock moves within a second and past it', () => {
    const start = Date.UTC(2026, 10, 29, 8, 30, 15, 998);
    vi.useFakeTimers({ now: start });
    const log = (at: number) => {
      vi.setSystemTime(at);
      return written(undefined, [entry(), true])[0]?.timestamp;
    };
    for (const at of [start, start + 1, start + 2, start + 3, start + 1000, start - 5000]) {
      expect(log(at)).toBe(new Date(at).toISOString());
    }
  });

  it('without a DynamoDB call: no DynamoDB latency, and not announced as a metric', () => {
    const [line] = written(undefined, [
      entry({ dynamoDbMs: undefined, status: 401, outcome: 'UNAUTHENTICATED' }),
      true,
    ]);
    expect(line).not.toHaveProperty('DynamoDbLatency');
    expect(line).toMatchObject({ level: 'WARN', ColdStart: 0 });
    const metrics = (line?._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } | undefined)
      ?.CloudWatchMetrics;
    expect(metrics?.[1]?.Metrics.map((metric) => metric.Name)).toEqual(['Latency', 'ColdStart']);
  });

  it('not audited: the outcome and metrics only, never who or which record', () => {
    const [line] = written(undefined, [entry(), false]);
    expect(line).toMatchObject({
      message: 'update_learning_metrics',
      stage: 'prod',
      outcome: 'updated',
      Requests: 1,
      Latency: 1.25,
    });
    expect(line).not.toHaveProperty('userId');
    expect(line).not.toHaveProperty('learningId');
  });

  it.each([
    // Lambda's log level, then which of a 200, a 4xx and a 5xx keep their whole line.
    [undefined, [true, true, true]],
    ['TRACE', [true, true, true]],
    ['debug', [true, true, true]],
    ['INFO', [true, true, true]],
    ['WARN', [false, true, true]],
    ['ERROR', [false, false, true]],
    ['FATAL', [false, false, false]],
    ['SOMETHING', [true, true, true]],
  ])('under log level %s, the whole line for 200, 404, 500: %j', (logLevel, whole) => {
    const lines = written(
      logLevel,
      [entry(), true],
      [entry({ status: 404, outcome: 'NOT_FOUND' }), true],
      [entry({ status: 500, outcome: 'INTERNAL_SERVER_ERROR' }), true],
    );
    expect(lines.map((line) => line.message === 'update_learning')).toEqual(whole);
    expect(lines.map((line) => line.level)).toEqual(['INFO', 'WARN', 'ERROR']);
  });
});

describe('the stage', () => {
  it('is a dimension of every metric, and a field of every line, as the configuration gives it', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      createRequestLogger(undefined, 'team "a"')(entry(), true);
      createRequestLogger(undefined, 'dev')(entry({ dynamoDbMs: undefined }), false);
      const [audit, metricsOnly] = write.mock.calls.map(([text]) => JSON.parse(String(text)));
      expect(audit.stage).toBe('team "a"');
      expect(metricsOnly.stage).toBe('dev');
      for (const line of [audit, metricsOnly]) {
        for (const directive of line._aws.CloudWatchMetrics) expect(directive.Dimensions[0]).toContain('stage');
      }
    } finally {
      write.mockRestore();
    }
  });
});

describe('the level', () => {
  it.each([
    [200, 'INFO'],
    [399, 'INFO'],
    [400, 'WARN'],
    [499, 'WARN'],
    [500, 'ERROR'],
    [503, 'ERROR'],
  ])('of a %i is %s', (status, level) => {
    expect(written(undefined, [entry({ status }), true])[0]?.level).toBe(level);
  });
});

describe('traceRoot', () => {
  it('is the Root of the X-Ray trace header, wherever it stands', () => {
    expect(traceRoot('Root=1-5759e988-bd862e3f;Parent=53995c3f;Sampled=1')).toBe('1-5759e988-bd862e3f');
    expect(traceRoot('Parent=53995c3f;Root=1-abc;Sampled=0')).toBe('1-abc');
    expect(traceRoot('Parent=53995c3f')).toBeUndefined();
    expect(traceRoot(undefined)).toBeUndefined();
  });
});
