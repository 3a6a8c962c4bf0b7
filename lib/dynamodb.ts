// The DynamoDB document client, built once per container. Its deadlines sit well inside the Lambda
// timeout, so a DynamoDB that does not answer becomes a 503, never a Lambda timeout.

import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type unmarshallOptions as UnmarshallOptions, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDbConfig } from './config.ts';
import { isExactly } from './dynamodb-values.ts';

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
    ...(config.endpoint === undefined
      ? {}
      : {
          endpoint: config.endpoint,
          // A local DynamoDB accepts any credentials; real ones, when set, are used as usual.
          ...(process.env.AWS_ACCESS_KEY_ID === undefined
            ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
            : {}),
        }),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: false, convertClassInstanceToMap: false },
    unmarshallOptions: unmarshallOptions(),
  });
}
