// End to end over HTTP: serverless-offline running the real serverless.yml and handler, real tokens, and
// a DynamoDB (dynalite behind a fault proxy) that can throttle, hang or drop the connection.

import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../dev/fault-proxy.ts';
import { ensureLearningsTable, type LocalDynamoDb, localClient, startDynalite } from '../../dev/local-dynamodb.ts';
import { type RunningOffline, startOffline } from '../../dev/offline.ts';
import { ADMIN_SCOPE, DEV_JWT_SECRET, signToken } from '../../dev/tokens.ts';
import { documentClientFor, learning } from '../support/harness.ts';

let dynamoDb: LocalDynamoDb;
let proxy: FaultProxy;
let offline: RunningOffline;
let tokens: Record<'alice' | 'bob' | 'admin', string>;
const documents = () => documentClientFor(dynamoDb.endpoint);

beforeAll(async () => {
  dynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  proxy = await startFaultProxy(dynamoDb.endpoint);
  offline = await startOffline({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    JWT_ALGORITHMS: 'HS256',
    JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
    DYNAMODB_CONNECT_TIMEOUT_MS: '300',
    DYNAMODB_REQUEST_TIMEOUT_MS: '500',
    DYNAMODB_MAX_ATTEMPTS: '2',
    LOG_REQUESTS: 'false',
  });
  tokens = {
    alice: await signToken({ sub: 'alice' }),
    bob: await signToken({ sub: 'bob' }),
    admin: await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] }),
  };
}, 90_000);
afterAll(async () => {
  await offline?.stop();
  await proxy?.close();
  await dynamoDb?.close();
});
beforeEach(() => {
  proxy.mode = 'pass';
});

async function put(item: Record<string, unknown>) {
  await documents().send(new PutCommand({ TableName: 'agno_learnings', Item: item }));
}
async function get(id: string) {
  return (
    await documents().send(
      new GetCommand({ TableName: 'agno_learnings', Key: { learning_id: id }, ConsistentRead: true }),
    )
  ).Item;
}

async function patch(id: string, body: unknown, token: string | null, headers: Record<string, string> = {}) {
  const response = await fetch(`${offline.baseUrl}/learnings/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('the main paths over HTTP', () => {
  it('owner 200, stranger 404, no owner 403, admin 200; refusals leave the record unchanged', async () => {
    const owned = learning({ user_id: 'alice' });
    const shared = learning({ user_id: null });
    await put(owned);
    await put(shared);
    const ownedId = String(owned.learning_id);
    const sharedId = String(shared.learning_id);

    const stranger = await patch(ownedId, { content: { stolen: true } }, tokens.bob);
    expect(stranger).toMatchObject({ status: 404, body: { detail: 'Learning not found', error_code: 'NOT_FOUND' } });
    expect(await get(ownedId)).toEqual(owned);

    const ownerWrite = await patch(ownedId, { content: { mine: true }, metadata: null }, tokens.alice);
    expect(ownerWrite.status).toBe(200);
    expect(ownerWrite.headers.get('content-type')).toMatch(/^application\/json/);
    expect(ownerWrite.body).toMatchObject({
      learning_id: ownedId,
      user_id: 'alice',
      content: { mine: true },
      metadata: null,
    });

    const noOwner = await patch(sharedId, { content: {} }, tokens.alice);
    expect(noOwner.status).toBe(403);
    expect(await get(sharedId)).toEqual(shared);
    expect((await patch(sharedId, { content: { reviewed: true } }, tokens.admin)).status).toBe(200);
  });

  it('401 with WWW-Authenticate, 422 for a bad body, 404 for a missing record: all in the envelope', async () => {
    const unauthenticated = await patch('lrn_x', { content: {} }, null);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Bearer');
    expect(unauthenticated.body).toEqual({ detail: 'Authorization header missing', error_code: 'UNAUTHENTICATED' });

    const invalid = await patch('lrn_x', '{"content": ', tokens.alice);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error_code).toBe('VALIDATION_ERROR');

    const wrongType = await patch('lrn_x', { content: {} }, tokens.alice, { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(422);

    expect((await patch('lrn_missing', { content: {} }, tokens.admin)).status).toBe(404);
  });

  it('a URL-encoded learning_id reaches the handler decoded', async () => {
    const record = learning({ learning_id: 'lrn/with space+é', user_id: 'alice' });
    await put(record);
    const answer = await patch('lrn/with space+é', { content: { ok: 1 } }, tokens.alice);
    expect(answer.status).toBe(200);
    expect(answer.body.learning_id).toBe('lrn/with space+é');
  });
});

describe('bytes and media types over HTTP', () => {
  const send = (id: string, body: Uint8Array, contentType: string) =>
    fetch(`${offline.baseUrl}/learnings/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      headers: { 'content-type': contentType, authorization: `Bearer ${tokens.alice}` },
      body,
    });

  it('a Latin-1 body declared as such is a 422, and nothing is stored as U+FFFD', async () => {
    const record = learning({ user_id: 'alice' });
    await put(record);
    const id = String(record.learning_id);
    const latin1 = Buffer.concat([Buffer.from('{"content":{"name":"Ren'), Buffer.from([0xe9]), Buffer.from('"}}')]);
    const answer = await send(id, latin1, 'application/json; charset=latin1');
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { detail: string }).detail).toBe('Content-Type charset must be utf-8');
    expect(await get(id)).toEqual(record);
  });

  it('whitespace before the parameters of the media type is accepted; the UTF-8 text is stored as sent', async () => {
    const record = learning({ user_id: 'alice' });
    await put(record);
    const id = String(record.learning_id);
    const answer = await send(id, Buffer.from('{"content":{"name":"René 🦊"}}'), 'application/json ; charset=utf-8');
    expect(answer.status).toBe(200);
    expect((await get(id))?.content).toEqual({ name: 'René 🦊' });
  });

  it('a body nested thousands of levels deep is a 422, never a 500 (nor an escaped error answered 200)', async () => {
    const depth = 2_750;
    const body = `{"content":{"a":${'['.repeat(depth)}1.5e5${']'.repeat(depth)}}}`;
    const answer = await send('lrn_deep', Buffer.from(body), 'application/json');
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { detail: string }).detail).toBe('content is nested more than 31 levels deep');
  });
});

describe('DynamoDB failing under the service', () => {
  it.each([
    ['throttles', 'throttle', 503],
    ['hangs', 'hang', 503],
    ['drops the connection', 'reset', 503],
    ['answers garbage', 'garbage', 500],
  ] as const)('DynamoDB %s (%s): the contract envelope, and the next request succeeds', async (_name, mode, status) => {
    const record = learning({ user_id: 'alice' });
    await put(record);
    const id = String(record.learning_id);
    proxy.mode = mode;
    const started = Date.now();
    const failed = await patch(id, { content: { during: mode } }, tokens.alice);
    expect(failed.status).toBe(status);
    expect(failed.body.error_code).toBe(status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR');
    if (status === 503) expect(failed.headers.get('retry-after')).toBe('1');
    // Well inside the Lambda's 10 s timeout: the client's own deadlines answered.
    expect(Date.now() - started).toBeLessThan(8000);
    proxy.mode = 'pass';
    expect(await get(id)).toEqual(record);
    expect((await patch(id, { content: { after: mode } }, tokens.alice)).status).toBe(200);
  });
});

describe('racing writers', () => {
  it("20 owner writes race 20 strangers' writes on one record: no stranger's write lands, the result is one whole owner write", async () => {
    const record = learning({ user_id: 'alice' });
    await put(record);
    const id = String(record.learning_id);
    const strangerTokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signToken({ sub: `stranger-${i}` })));
    const writes = [
      ...Array.from({ length: 20 }, (_, i) =>
        patch(id, { content: { writer: `owner-${i}` }, metadata: { writer: `owner-${i}` } }, tokens.alice),
      ),
      ...strangerTokens.map((token, i) =>
        patch(id, { content: { writer: `stranger-${i}` }, metadata: { writer: `stranger-${i}` } }, token),
      ),
    ];
    const answers = await Promise.all(writes);
    expect(answers.slice(0, 20).map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(answers.slice(20).map((answer) => answer.status)).toEqual(Array(20).fill(404));
    const final = await get(id);
    const writer = (final?.content as { writer?: string } | undefined)?.writer;
    expect(writer).toMatch(/^owner-\d+$/);
    expect(final?.metadata).toEqual({ writer });
    expect(final?.user_id).toBe('alice');
  });

  it("two writers racing with one If-Match tag: one 200, one 412, and the stored record is the 200's", async () => {
    const record = learning({ user_id: 'alice' });
    await put(record);
    const id = String(record.learning_id);
    const tag = (await patch(id, {}, tokens.alice)).headers.get('etag') ?? '';
    expect(tag).toMatch(/^"0\./);
    const answers = await Promise.all(
      ['A', 'B'].map((writer) => patch(id, { content: { writer } }, tokens.alice, { 'if-match': tag })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
    const winner = answers.find((answer) => answer.status === 200);
    const loser = answers.find((answer) => answer.status === 412);
    expect(loser?.body.error_code).toBe('PRECONDITION_FAILED');
    expect(loser?.headers.get('etag')).toBe(winner?.headers.get('etag'));
    expect((await get(id))?.content).toEqual(winner?.body.content);
  });
});
