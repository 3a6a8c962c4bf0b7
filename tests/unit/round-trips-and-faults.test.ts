// DynamoDB proper, simulated with aws-sdk-client-mock where only a mock can produce the case: the
// ALL_OLD item on a failed condition, throttling, timeouts, broken answers. Calls are counted.
import { ConditionalCheckFailedException, DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext, type RequestSpec } from '../../dev/events.ts';
import { ADMIN_SCOPE, signToken } from '../../dev/tokens.ts';
import { createUpdateLearningHandler } from '../../handlers/update-learning.ts';
import { loadConfig } from '../../lib/config.ts';
import { LearningsRepository } from '../../lib/learnings-repository.ts';
import { assertMatchesContract } from '../support/contract.ts';
import { TEST_ENV } from '../support/harness.ts';

const dynamoDb = mockClient(DynamoDBDocumentClient);
// No DYNAMODB_ENDPOINT: DynamoDB proper, which returns the old item when a condition fails.
const handler = createUpdateLearningHandler(loadConfig(TEST_ENV));
let alice: string;
let admin: string;

beforeAll(async () => {
  alice = await signToken({ sub: 'alice' });
  admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
});
afterEach(() => dynamoDb.reset());
// The mock patches the client class itself: undone, so that no other file run in this worker sees it.
afterAll(() => dynamoDb.restore());

const stored = {
  learning_id: 'lrn_1',
  learning_type: 'user_profile',
  user_id: 'alice',
  content: { a: 1 },
  created_at: 1,
  updated_at: 1,
};

async function invoke(spec: Partial<RequestSpec>) {
  const result = (await handler(
    httpEvent({ learningId: 'lrn_1', token: alice, body: { content: { b: 2 } }, ...spec }),
    lambdaContext(),
  )) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  const body = JSON.parse(result.body);
  assertMatchesContract(result.statusCode, result.headers, body);
  return { status: result.statusCode, headers: result.headers, body };
}

function conditionFailed(item?: Record<string, unknown>) {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item === undefined ? {} : { Item: marshall(item) }),
  });
}

const calls = () => dynamoDb.calls().map((call) => call.args[0].constructor.name);

describe('one DynamoDB call per outcome on DynamoDB proper', () => {
  it('200: one UpdateItem, conditional on the caller owning the record, returning the new and the old item', async () => {
    dynamoDb.on(UpdateCommand).resolves({ Attributes: { ...stored, content: { b: 2 } } });
    const answer = await invoke({});
    expect(answer.status).toBe(200);
    expect(calls()).toEqual(['UpdateCommand']);
    const input = dynamoDb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: 'agno_learnings',
      Key: { learning_id: 'lrn_1' },
      ConditionExpression: '#user_id = :caller',
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(input?.ExpressionAttributeValues?.[':caller']).toBe('alice');
  });

  it('an admin write is conditional on the record existing, so nothing is ever created', async () => {
    dynamoDb.on(UpdateCommand).resolves({ Attributes: stored });
    await invoke({ token: admin });
    const input = dynamoDb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('attribute_exists(#learning_id)');
    expect(input?.ExpressionAttributeValues).not.toHaveProperty(':caller');
  });

  it('404 for a record owned by someone else: one call, classified from the ALL_OLD item', async () => {
    dynamoDb.on(UpdateCommand).rejects(conditionFailed({ ...stored, user_id: 'bob' }));
    const answer = await invoke({});
    expect(answer.status).toBe(404);
    expect(calls()).toEqual(['UpdateCommand']);
  });

  it.each([
    ['user_id NULL', { ...stored, user_id: null }],
    ['user_id absent', { learning_id: 'lrn_1', content: {} }],
  ])('403 for a record with no owner (%s): one call', async (_name, item) => {
    dynamoDb.on(UpdateCommand).rejects(conditionFailed(item));
    const answer = await invoke({});
    expect(answer.status).toBe(403);
    expect(calls()).toEqual(['UpdateCommand']);
  });

  it('404 for a record that does not exist (no old item): one call', async () => {
    dynamoDb.on(UpdateCommand).rejects(conditionFailed());
    expect((await invoke({})).status).toBe(404);
    expect(calls()).toEqual(['UpdateCommand']);
  });

  it('an empty body costs one GetItem, strongly consistent', async () => {
    dynamoDb.on(GetCommand).resolves({ Item: stored });
    expect((await invoke({ body: {} })).status).toBe(200);
    expect(calls()).toEqual(['GetCommand']);
    expect(dynamoDb.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('If-Match rides in the same UpdateItem; a stale tag is a 412 with the current ETag, classified from ALL_OLD: one call', async () => {
    dynamoDb.on(UpdateCommand).rejects(conditionFailed({ ...stored, etag_version: 7 }));
    const answer = await invoke({ headers: { 'if-match': '"3.AAAAAAAAAA"' } });
    expect(answer.status).toBe(412);
    expect(answer.headers.ETag).toMatch(/^"7\./);
    expect(calls()).toEqual(['UpdateCommand']);
    const input = dynamoDb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('#user_id = :caller AND #version = :noVersion');
    expect(input?.UpdateExpression).toContain('#version = if_not_exists(#version, :zero) + :one');
  });

  it.each<[string, Partial<RequestSpec>]>([
    ['401', { token: null }],
    ['403 scope', { token: 'scope' }],
    ['422', { body: { content: null } }],
    ['413', { body: { content: { big: 'x'.repeat(401 * 1024) } } }],
    ['404 unknown db_id', { query: { db_id: 'nope' } }],
  ])('%s costs no call', async (_name, spec) => {
    const token = spec.token === 'scope' ? await signToken({ sub: 'alice', scopes: [] }) : spec.token;
    await invoke({ ...spec, token });
    expect(calls()).toEqual([]);
  });
});

describe('DynamoDB failures', () => {
  const serviceError = (name: string, message = 'x', status = 400) =>
    new DynamoDBServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      message,
      $metadata: { httpStatusCode: status },
    });
  // The SDK's retry loop adds $metadata to every error of a call it sent (without an HTTP status here).
  const networkError = (code: string) =>
    Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code, $metadata: { attempts: 1 } });

  it.each<[string, Error]>([
    ['throttled (provisioned)', serviceError('ProvisionedThroughputExceededException')],
    ['throttled (on demand)', serviceError('ThrottlingException')],
    ['request limit', serviceError('RequestLimitExceeded')],
    ['DynamoDB internal error', serviceError('InternalServerError', 'x', 500)],
    ['a 503', serviceError('ServiceUnavailable', 'x', 503)],
    ['a request timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError', $metadata: { attempts: 1 } })],
    ['a connection reset', networkError('ECONNRESET')],
    ['a refused connection', networkError('ECONNREFUSED')],
    ...[
      'LimitExceededException',
      'RequestTimeout',
      'RequestTimeoutException',
      'AbortError',
      'TimeoutError',
      'ServiceUnavailable',
      'InternalServerError',
    ].map((name): [string, Error] => [`${name} (as a client error)`, serviceError(name)]),
    ...['ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].map(
      (code): [string, Error] => [`a network failure, ${code}`, networkError(code)],
    ),
    ['any other 5xx from DynamoDB', serviceError('SomethingNew', 'x', 502)],
    ['a 500 by any other name', serviceError('SomethingNew', 'x', 500)],
  ])('%s: 503 SERVICE_UNAVAILABLE with Retry-After', async (_name, error) => {
    dynamoDb.on(UpdateCommand).rejects(error);
    // A failure that may have applied the write (no answer, or a server error) is settled by a read: the
    // record does not hold the write, which may have applied before another write took its place.
    dynamoDb.on(GetCommand).resolves({ Item: stored });
    const answer = await invoke({});
    // Only a connection never made (NEVER_SENT) and a 4xx answer say that nothing was written.
    const { $metadata, code } = error as { $metadata?: { httpStatusCode?: number }; code?: string };
    const status = $metadata?.httpStatusCode ?? 0;
    const uncertain =
      status >= 500 || (status === 0 && !['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(String(code)));
    expect(dynamoDb.calls().map((call) => call.args[0].constructor.name)).toEqual(
      uncertain ? ['UpdateCommand', 'GetCommand'] : ['UpdateCommand'],
    );
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect(answer.body).toEqual({
      detail: 'Service temporarily unavailable, retry later',
      error_code: 'SERVICE_UNAVAILABLE',
    });
  });

  it.each([
    ['an unexpected validation error', serviceError('ValidationException', 'Invalid UpdateExpression: secret detail')],
    ['a missing table', serviceError('ResourceNotFoundException', 'Requested resource not found: agno_learnings')],
    ['a malformed answer', new SyntaxError('Unexpected token < in JSON at position 0')],
    ['anything else', new Error('arn:aws:dynamodb:us-east-1:123:table/secret stack')],
    ['an error with a code that is no network failure', networkError('ERR_INVALID_ARG_TYPE')],
    ['a 4xx with an unknown name', serviceError('SomethingNew', 'x', 400)],
    ['a foreign counter message under another name', serviceError('SomethingNew', 'incorrect operand type')],
  ])('%s: 500 with no internal text and no Retry-After', async (_name, error) => {
    dynamoDb.on(UpdateCommand).rejects(error);
    const answer = await invoke({});
    expect(answer.status).toBe(500);
    expect(dynamoDb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(answer.body).toEqual({ detail: 'Internal server error', error_code: 'INTERNAL_SERVER_ERROR' });
    expect(answer.headers['Retry-After']).toBeUndefined();
  });

  it('a failure that is not even an Error: 500', async () => {
    // callsFake, not rejects: rejects() wraps a string in an Error.
    dynamoDb.on(UpdateCommand).callsFake(() => Promise.reject('connection lost'));
    expect((await invoke({})).status).toBe(500);
  });

  it('a keyed write whose trim of expired keys fails: still the 200 of the write, which had applied', async () => {
    const old = Math.floor(Date.now() / 1000) - 700;
    const expired = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`etag_key_${index}`, `${old} f`]));
    dynamoDb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { ...stored, ...expired, etag_version: 1 } })
      .rejectsOnce(serviceError('ValidationException', 'The conditional request failed'));
    const answer = await invoke({ headers: { 'idempotency-key': 'k' } });
    expect(answer.status).toBe(200);
    expect(calls()).toEqual(['UpdateCommand', 'UpdateCommand']);
    expect(dynamoDb.calls()[1]?.args[0].input).toMatchObject({ UpdateExpression: expect.stringMatching(/^REMOVE /) });
  });

  it('an error thrown before the call was sent (no $metadata): nothing can have applied, so no read, and a 500', async () => {
    dynamoDb.on(UpdateCommand).rejects(new TypeError('Unsupported type passed: function'));
    dynamoDb.on(GetCommand).resolves({ Item: stored });
    expect((await invoke({})).status).toBe(500);
    expect(calls()).toEqual(['UpdateCommand']);
  });

  it('a bug in the service itself (a TypeError, not a DynamoDB failure): 500 without Retry-After, as a retry meets it again', async () => {
    class BrokenRepository extends LearningsRepository {
      override update(): Promise<never> {
        return Promise.reject(new TypeError("Cannot read properties of undefined (reading 'user_id')"));
      }
    }
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const repository = new BrokenRepository(client, { oldItemOnConditionFailure: true, writeClient: client });
    const broken = createUpdateLearningHandler(loadConfig(TEST_ENV), { repository });
    const result = (await broken(
      httpEvent({ learningId: 'lrn_1', token: alice, body: { content: {} } }),
      lambdaContext(),
    )) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(result.statusCode).toBe(500);
    expect(result.headers['Retry-After']).toBeUndefined();
    expect(JSON.parse(result.body)).toEqual({ detail: 'Internal server error', error_code: 'INTERNAL_SERVER_ERROR' });
  });

  it('an UpdateItem answer without the updated item: 500', async () => {
    dynamoDb.on(UpdateCommand).resolves({});
    expect((await invoke({})).status).toBe(500);
  });

  it("DynamoDB's item size refusal: 413", async () => {
    dynamoDb
      .on(UpdateCommand)
      .rejects(serviceError('ValidationException', 'Item size to update has exceeded the maximum allowed size'));
    const answer = await invoke({});
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({
      detail: 'The updated learning would exceed the maximum item size of 400 KB',
      error_code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it("DynamoDB's own nesting refusal: 422, should the pre-check ever count differently", async () => {
    dynamoDb
      .on(UpdateCommand)
      .rejects(
        serviceError(
          'ValidationException',
          'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit',
        ),
      );
    const answer = await invoke({});
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      detail: 'The learning would be nested more than 31 levels deep, which DynamoDB refuses',
      error_code: 'VALIDATION_ERROR',
    });
  });

  it('a foreign counter whose takeover fails too is reported like any other failure; the takeover checks the counter is still foreign', async () => {
    dynamoDb
      .on(UpdateCommand)
      .rejectsOnce(
        serviceError('ValidationException', 'An operand in the update expression has an incorrect data type'),
      )
      .rejects(serviceError('ThrottlingException'));
    expect((await invoke({})).status).toBe(503);
    const [first, takeover] = dynamoDb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(first?.ConditionExpression).not.toContain('attribute_type');
    expect(takeover?.ConditionExpression).toBe(
      `${first?.ConditionExpression} AND NOT attribute_type(#version, :number)`,
    );
  });

  it('a failure of the classifying read is reported like any other DynamoDB failure', async () => {
    dynamoDb.on(GetCommand).rejects(serviceError('ThrottlingException'));
    expect((await invoke({ body: {} })).status).toBe(503);
  });

  it('the service answers again once DynamoDB recovers', async () => {
    dynamoDb.on(UpdateCommand).rejectsOnce(serviceError('ThrottlingException')).resolves({ Attributes: stored });
    expect((await invoke({})).status).toBe(503);
    expect((await invoke({})).status).toBe(200);
  });
});

describe('a DynamoDB that does not return the old item (DYNAMODB_ENDPOINT set)', () => {
  const local = createUpdateLearningHandler(loadConfig({ ...TEST_ENV, DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' }));
  const invokeLocal = async (spec: Partial<RequestSpec>) => {
    const result = (await local(
      httpEvent({ learningId: 'lrn_1', token: alice, body: { content: {} }, ...spec }),
      lambdaContext(),
    )) as {
      statusCode: number;
    };
    return result.statusCode;
  };

  it('classifies a refusal with one consistent GetItem', async () => {
    dynamoDb
      .on(UpdateCommand)
      .rejects(conditionFailed())
      .on(GetCommand)
      .resolves({ Item: { ...stored, user_id: null } });
    expect(await invokeLocal({})).toBe(403);
    expect(calls()).toEqual(['UpdateCommand', 'GetCommand']);
  });

  it("a record that reads as the caller's right after the refusal changed after the write: still a 404", async () => {
    dynamoDb.on(UpdateCommand).rejects(conditionFailed()).on(GetCommand).resolves({ Item: stored });
    expect(await invokeLocal({})).toBe(404);
  });
});

describe('merge patch round trips on DynamoDB proper', () => {
  const mergeSpec = (body: unknown, headers: Record<string, string> = {}): Partial<RequestSpec> => ({
    body,
    headers: { 'content-type': 'application/merge-patch+json', ...headers },
  });

  it('a shape that takes the patch: one UpdateItem, its paths conditioned on being maps, ownership and If-Match inside', async () => {
    dynamoDb.on(UpdateCommand).resolves({ Attributes: { ...stored, content: { a: 1, b: 2 }, etag_version: 4 } });
    const answer = await invoke(mergeSpec({ content: { b: 2 } }, { 'if-match': '"3.AAAAAAAAAA"' }));
    expect(answer.status).toBe(200);
    expect(calls()).toEqual(['UpdateCommand']);
    const input = dynamoDb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toMatch(/^SET #content\.#m0 = :m0, #write = :write, #updated_at = :updated_at, /);
    expect(input?.ConditionExpression).toBe(
      '#user_id = :caller AND #version = :noVersion AND attribute_type(#content, :map)',
    );
  });

  it('a shape that does not: the failed condition old item is merged onto, a second UpdateItem and no read', async () => {
    dynamoDb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed({ ...stored, content: ['a list'] }))
      .resolves({ Attributes: { ...stored, content: { b: 2 }, etag_version: 1 } });
    expect((await invoke(mergeSpec({ content: { b: 2 } }))).status).toBe(200);
    expect(calls()).toEqual(['UpdateCommand', 'UpdateCommand']);
    const second = dynamoDb.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(second?.ConditionExpression).toBe('#user_id = :caller AND NOT attribute_type(#content, :map)');
    expect(second?.ExpressionAttributeValues?.[':m0']).toEqual({ b: 2 });
  });

  it('a record whose shape keeps changing under the merge: at most four writes, then 503 with Retry-After', async () => {
    let flip = false;
    dynamoDb.on(UpdateCommand).callsFake(() => {
      flip = !flip;
      return Promise.reject(conditionFailed({ ...stored, content: flip ? ['a list'] : { b: 'a map' } }));
    });
    const answer = await invoke(mergeSpec({ content: { b: { c: 1 } } }));
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect(calls()).toEqual(['UpdateCommand', 'UpdateCommand', 'UpdateCommand', 'UpdateCommand']);
  });

  it('a patch too large for one expression, the record written by others each time: four writes, then 503', async () => {
    const patch = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`key-${index}`, index]));
    let version = 0;
    dynamoDb.on(GetCommand).resolves({ Item: { ...stored, etag_version: 0 } });
    dynamoDb.on(UpdateCommand).callsFake(() => {
      version += 1;
      return Promise.reject(conditionFailed({ ...stored, etag_version: version }));
    });
    const answer = await invoke(mergeSpec({ content: patch }));
    expect(answer.status).toBe(503);
    expect(calls()).toEqual(['GetCommand', 'UpdateCommand', 'UpdateCommand', 'UpdateCommand', 'UpdateCommand']);
    const conditions = dynamoDb
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input.ExpressionAttributeValues?.[':version1']);
    // Each merged onto the version the last refusal showed (version 0: the counter missing or zero).
    expect(conditions).toEqual([undefined, 1, 2, 3]);
  });

  it('a patch too large for one expression: one read, then the merged value under the version condition', async () => {
    const patch = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`key-${index}`, index]));
    dynamoDb.on(GetCommand).resolves({ Item: { ...stored, etag_version: 6 } });
    dynamoDb.on(UpdateCommand).resolves({ Attributes: { ...stored, content: { a: 1, ...patch }, etag_version: 7 } });
    expect((await invoke(mergeSpec({ content: patch }))).status).toBe(200);
    expect(calls()).toEqual(['GetCommand', 'UpdateCommand']);
    const input = dynamoDb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('#user_id = :caller AND #version = :version1');
    expect(input?.ExpressionAttributeValues?.[':version1']).toBe(6);
    expect(input?.ExpressionAttributeValues?.[':content']).toEqual({ a: 1, ...patch });
  });
});
