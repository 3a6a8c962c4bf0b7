// The DynamoDB document client, built once per container. Its deadlines sit well inside the Lambda
// timeout, so a DynamoDB that does not answer becomes a 503, never a Lambda timeout.

import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

export function createDocumentClient(config: DynamoDbConfig): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    maxAttempts: config.maxAttempts,
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
  noteAttemptsWithoutAnswer(client);
  return DynamoDBDocumentClient.from(client, {
    unmarshallOptions: unmarshallOptions(),
  });
}

// The SDK's HandlerExecutionContext is one object per call, shared by its attempts.
const callsWithAttemptWithoutAnswer = new WeakSet<object>();
const errorsThatMayHaveApplied = new WeakSet<object>();

/**
 * Marks a call's final error when an earlier attempt of it got no answer (a lost connection, a timeout):
 * that attempt may have reached DynamoDB and been applied, whatever the last attempt says. An attempt that
 * got any HTTP answer (a throttle, a refusal) was not applied.
 */
function noteAttemptsWithoutAnswer(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) =>
      async function noteAttemptWithoutAnswer(args) {
        try {
          return await next(args);
        } catch (error) {
          const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (answered === undefined) callsWithAttemptWithoutAnswer.add(context);
          throw error;
        }
      },
    // Inside the retry loop (finalizeRequest), once per attempt. An attempt that got an answer throws no
    // error here or one that carries its HTTP status, wherever in the step this runs.
    { step: 'deserialize' },
  );
  // The default step, initialize, is outside the retry loop: once per call.
  client.middlewareStack.add(
    (next, context) =>
      async function reportAttemptsWithoutAnswer(args) {
        try {
          return await next(args);
        } catch (error) {
          // Object() holds a thrown primitive in a wrapper of its own, which nothing asks about again.
          if (callsWithAttemptWithoutAnswer.has(context)) errorsThatMayHaveApplied.add(Object(error));
          throw error;
        }
      },
  );
}

/** Whether a failed call may have been applied all the same, by an attempt whose answer was lost. */
export function mayHaveApplied(error: unknown): boolean {
  return errorsThatMayHaveApplied.has(Object(error));
}
