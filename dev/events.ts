// API Gateway HTTP API (payload 2.0) events and Lambda contexts, as API Gateway would hand them over.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface RequestSpec {
  learningId?: string | undefined;
  /** An object is sent as JSON; a string is sent as is; undefined sends no body. */
  body?: unknown;
  /** A bearer token; null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  base64?: boolean;
  /** Claims as API Gateway's JWT authorizer would pass them. */
  authorizerClaims?: Record<string, string | number | boolean | string[]>;
}

export function httpEvent({
  learningId = 'lrn_1',
  body,
  token = null,
  headers = {},
  query,
  base64 = false,
  authorizerClaims,
}: RequestSpec): APIGatewayProxyEventV2 {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const allHeaders: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (token !== null) allHeaders.authorization = `Bearer ${token}`;
  const path = `/learnings/${encodeURIComponent(learningId)}`;
  return {
    version: '2.0',
    routeKey: 'PATCH /learnings/{learning_id}',
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: allHeaders,
    ...(query === undefined ? {} : { queryStringParameters: query }),
    pathParameters: { learning_id: learningId },
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'PATCH', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'tests' },
      requestId: 'request-id',
      routeKey: 'PATCH /learnings/{learning_id}',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      ...(authorizerClaims === undefined ? {} : { authorizer: { jwt: { claims: authorizerClaims, scopes: [] } } }),
    },
    ...(text === undefined ? {} : { body: base64 ? Buffer.from(text).toString('base64') : text }),
    isBase64Encoded: base64,
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'updateLearning',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:updateLearning',
    memoryLimitInMB: '512',
    awsRequestId: 'aws-request-id',
    logGroupName: '/aws/lambda/updateLearning',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
