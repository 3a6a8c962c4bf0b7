// What the benchmark processes share: the record and request measured, and the statistics.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpEvent } from '../dev/events.ts';

export const TABLE = 'agno_learnings';
export const SECRET = 'benchmark-secret-benchmark-secret-0123456789';
export const BENCH_ENV = {
  JWT_ALGORITHMS: 'HS256',
  JWT_VERIFICATION_KEY: SECRET,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
};

/** A realistic ~300-byte update: a user profile's content and its metadata. */
export const UPDATE = {
  content: {
    name: 'Alice Example',
    role: 'staff engineer',
    preferences: { language: 'en', tone: 'concise', timezone: 'Europe/Berlin', notifications: ['email', 'slack'] },
    facts: ['prefers async communication', 'works on the payments platform', 'on call every fourth week'],
  },
  metadata: { source: 'agent:support', confidence: 0.92, model: 'assistant-v3', revision: 12 },
};
export const UPDATE_TEXT = JSON.stringify(UPDATE);

/** A merge patch an agent sends to the same profile: one preference changed, one removed, a list replaced. */
export const MERGE = {
  content: {
    preferences: { tone: 'brief', timezone: null },
    facts: ['prefers async communication', 'moved to the data platform'],
  },
};

export function mergeEvent(token: string, learningId: string, body: unknown = MERGE): APIGatewayProxyEventV2 {
  return httpEvent({ learningId, token, body, headers: { 'content-type': 'application/merge-patch+json' } });
}

/** A JSON Patch an agent sends to a user's memories: one memory appended to the list. */
export const APPEND = [{ op: 'add', path: '/content/memories/-', value: { id: 'm', content: 'prefers email' } }];

export function appendEvent(token: string, learningId: string, key?: string): APIGatewayProxyEventV2 {
  const headers = {
    'content-type': 'application/json-patch+json',
    ...(key === undefined ? {} : { 'idempotency-key': key }),
  };
  return httpEvent({ learningId, token, body: APPEND, headers });
}

export function ownerEvent(
  token: string,
  learningId = 'lrn_bench',
  body: string = UPDATE_TEXT,
): APIGatewayProxyEventV2 {
  return httpEvent({ learningId, token, body });
}

export interface Summary {
  median: number;
  p99: number;
  count: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p99: at(0.99), count: sorted.length };
}

/**
 * The median of the ratios of pairs measured back to back (a[i] beside b[i]). It matches the ratio of the
 * two medians within a few hundredths on a steady machine; when load comes or goes mid-run, the two medians
 * can fall on either side of the change while each pair still shares its conditions.
 */
export function pairedRatio(a: number[], b: number[]): number {
  return summarize(a.map((value, index) => value / (b[index] ?? Number.NaN))).median;
}
