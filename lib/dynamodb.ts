// The DynamoDB document client, built once per container. Its deadlines sit well inside the Lambda
// timeout, so a DynamoDB that does not answer becomes a 503, never a Lambda timeout.

import { type AttributeValue, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, NumberValue } from '@aws-sdk/lib-dynamodb';
import { type unmarshallOptions as UnmarshallOptions, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDbConfig } from './config.ts';
import { isExactly } from './dynamodb-values.ts';
import { type JsonObject, mapJsonLeaves } from './json.ts';
import type { LearningChanges } from './learning.ts';

declare global {
  interface JSON {
    /** Node 22+: a value JSON.stringify writes as the given JSON text, unchanged. */
    rawJSON(text: string): unknown;
    /** Node 22+: whether a value was made by JSON.rawJSON. */
    isRawJSON(value: unknown): boolean;
  }
}

/**
 * DynamoDB numbers hold 38 digits; a double holds about 16. A number a double represents exactly is
 * returned as a number, any other as raw JSON text, so that it is answered exactly as it is stored.
 */
export function numberFromDynamoDb(text: string): unknown {
  const value = Number(text);
  if (isExactly(text, value)) return value;
  try {
    return JSON.rawJSON(text);
  } catch {
    return value;
  }
}

/**
 * A value read back, ready to be written again: a number held as raw JSON text (numberFromDynamoDb) becomes
 * a NumberValue, which the SDK writes as that number (raw JSON it would write as a map). Anything else is
 * written as it was read: sets as sets, binary as binary.
 */
export function storable(value: unknown): unknown {
  return mapJsonLeaves(value, storableLeaf);
}

/** The fields a write names, each made storable (a field left undefined stays so). */
export function storableChanges({ content, metadata }: LearningChanges): LearningChanges {
  return {
    content: storable(content) as JsonObject | undefined,
    metadata: storable(metadata) as JsonObject | null | undefined,
  };
}

function storableLeaf(value: unknown): unknown {
  if (JSON.isRawJSON(value)) return NumberValue.from(JSON.stringify(value));
  if (value instanceof Set) return new Set(Array.from(value, storableLeaf));
  return value;
}

// A fresh options object for every user: the document client writes into the one it is given
// (convertWithoutMapWrapper), which would break any other unmarshall call sharing it.
const unmarshallOptions = (): UnmarshallOptions => ({ wrapNumbers: numberFromDynamoDb });

/** An item as DynamoDB's wire format has it (e.g. the old item of a failed condition), as plain values. */
export function unmarshallItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return unmarshall(item, unmarshallOptions());
}

/**
 * The document client. `retryStrategy`: undefined for the SDK's standard retries (reads); for writes,
 * which must never apply twice, answeredThrottles: the SDK's retry of a write whose answer was lost applies
 * it again once another write has landed. A write that got no answer, or a server error, may have been
 * applied, and lib/learnings-repository.ts settles it by reading the record instead.
 */
export function createDocumentClient(config: DynamoDbConfig, retryStrategy?: RetryStrategy): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    maxAttempts: config.maxAttempts,
    // The SDK's own strategy where this is undefined.
    retryStrategy,
    requestHandler: {
      connectionTimeout: config.connectTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // Without it the SDK only logs a warning and keeps waiting on a DynamoDB that does not answer.
      throwOnRequestTimeout: true,
    },
    // Stryker disable next-line ConditionalExpression: equivalent, without an endpoint localCredentials is false, so only an undefined endpoint is added
    ...(config.endpoint === undefined
      ? {}
      : {
          endpoint: config.endpoint,
          // A local DynamoDB accepts any credentials: stand-ins unless real ones are set (localCredentials).
          // Stryker disable next-line StringLiteral: equivalent, as said
          ...(config.localCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
        }),
  });
  return DynamoDBDocumentClient.from(client, {
    unmarshallOptions: unmarshallOptions(),
  });
}

type RetryStrategy = Extract<NonNullable<DynamoDBClientConfig['retryStrategy']>, { recordSuccess: unknown }>;

/** Network errors of a connection never made: the request did not leave, so nothing can have applied. */
export const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

// The backoff: a random delay up to 500 ms times 2 to the power of the retry's number, at most 20 s.
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

/**
 * A retry strategy (the SDK's RetryStrategyV2) that retries a call only when it certainly applied nothing:
 * DynamoDB answered it with a throttle (the SDK's THROTTLING errors: ProvisionedThroughputExceededException,
 * ThrottlingException, RequestLimitExceeded and HTTP 429), or its connection was never made (NEVER_SENT);
 * up to `maxAttempts` in all.
 */
export function answeredThrottles(maxAttempts: number): RetryStrategy {
  const token = (retries: number) => ({
    getRetryCount: () => retries,
    getRetryDelay: () => Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** retries),
  });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous, { errorType, error }) => {
      const retries = previous.getRetryCount() + 1;
      const unsent = NEVER_SENT.has(String(Object(error).code));
      if (!(errorType === 'THROTTLING' || unsent) || retries >= maxAttempts) throw error;
      return token(retries);
    },
    recordSuccess: () => {},
  };
}
