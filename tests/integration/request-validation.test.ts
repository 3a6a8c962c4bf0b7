// Every request row of SPEC.md: path, query, headers and body. Each bad input gets the contract's
// envelope, costs no DynamoDB call and changes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpEvent, type RequestSpec } from '../../dev/events.ts';
import { signToken } from '../../dev/tokens.ts';
import { attributeSize, MAX_ITEM_BYTES } from '../../lib/dynamodb-values.ts';
import { type Harness, learning, startHarness } from '../support/harness.ts';
import { SPEC_IDENTITY_FIELDS } from '../support/spec-fields.ts';

let harness: Harness;
let alice: string;
let record: Record<string, unknown>;
let id: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
});
afterAll(() => harness.close());
beforeEach(async () => {
  record = learning({ user_id: 'alice' });
  id = String(record.learning_id);
  await harness.put(record);
});

async function expectRefused(
  spec: Partial<RequestSpec>,
  status: number,
  detail?: string | RegExp,
  errors?: { path: string; message: string }[],
) {
  const answer = await harness.invoke({ learningId: id, token: alice, ...spec });
  expect(answer.status).toBe(status);
  expect(answer.headers['Content-Type']).toBe('application/json');
  expect(typeof answer.body.detail).toBe('string');
  expect(answer.body.error_code).toBe(
    status === 422 ? 'VALIDATION_ERROR' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'NOT_FOUND',
  );
  if (typeof detail === 'string') expect(answer.body.detail).toBe(detail);
  else if (detail) expect(answer.body.detail).toMatch(detail);
  if (errors !== undefined) expect(answer.body.errors).toEqual(errors);
  expect(harness.dynamoDbCalls()).toEqual([]);
  expect(await harness.get(id)).toEqual(record);
  return answer;
}

describe('path learning_id', () => {
  it('empty: 422', async () => {
    await expectRefused({ learningId: '', body: { content: {} } }, 422, 'learning_id must not be empty');
  });
  it('over 1024 UTF-8 bytes: 422; exactly 1024 bytes is accepted', async () => {
    await expectRefused(
      { learningId: 'é'.repeat(513), body: { content: {} } },
      422,
      'learning_id must be at most 1024 bytes',
    );
    const answer = await harness.invoke({ learningId: 'é'.repeat(512), token: alice, body: { content: {} } });
    expect(answer.status).toBe(404);
  });
  it('missing from a hand-made event with no request context either: 422 in the envelope, also when logged', async () => {
    const event = httpEvent({ learningId: id, token: alice, body: { content: {} } });
    delete (event as { pathParameters?: unknown }).pathParameters;
    delete (event as { requestContext?: unknown }).requestContext;
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const answer = await harness.withEnv({ LOG_REQUESTS: 'all' }).invokeEvent(event);
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ detail: 'learning_id is required', error_code: 'VALIDATION_ERROR' });
      expect(written).toHaveBeenCalledOnce();
    } finally {
      written.mockRestore();
    }
    expect(await harness.get(id)).toEqual(record);
  });
});

describe('query db_id and table', () => {
  it('unknown db_id: 404 naming it', async () => {
    await expectRefused({ body: { content: {} }, query: { db_id: 'nope' } }, 404, "No database found with id 'nope'");
  });
  it('table without db_id: 422', async () => {
    await expectRefused(
      { body: { content: {} }, query: { table: 'agno_learnings' } },
      422,
      'The db_id query parameter is required when passing a table',
      [{ path: 'query.table', message: 'The db_id query parameter is required when passing a table' }],
    );
  });
  it('a table not configured for that database: 404, and the name is never used', async () => {
    await expectRefused(
      { body: { content: {} }, query: { db_id: 'analytics', table: 'agno_learnings' } },
      404,
      "No database with id 'analytics' has table 'agno_learnings'",
    );
  });
});

describe('Content-Type', () => {
  it.each([
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/jsonx',
    'text/application/json',
    'application/merge-patch',
    'application/json-patch',
    'application/json-patch+jsonx',
    'application/merge-patch+jsonx',
    '',
  ])('%j: 422', async (type) => {
    await expectRefused(
      { body: { content: {} }, headers: { 'content-type': type } },
      422,
      'Content-Type must be application/json, application/merge-patch+json or application/json-patch+json',
      [
        {
          path: 'header.content-type',
          message: 'must be application/json, application/merge-patch+json or application/json-patch+json',
        },
      ],
    );
  });
  it.each([
    ' application/json ',
    'Application/JSON; charset=utf-8',
    'application/json ; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/json; charset=utf8',
    'application/merge-patch+json',
    'APPLICATION/MERGE-PATCH+JSON;charset=utf-8',
  ])('%j: accepted', async (type) => {
    const answer = await harness.invoke({
      learningId: id,
      token: alice,
      body: { content: { ok: type } },
      headers: { 'content-type': type },
    });
    expect(answer.status).toBe(200);
  });
  it.each([
    'application/json; charset=latin1',
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16',
    'application/json;charset=latin1',
    'application/json; charset = latin1',
    'application/merge-patch+json; charset=latin1',
  ])('%j: 422, the body is not read as another charset', async (type) => {
    await expectRefused(
      { body: '{"content": {"name": "Ren\u00e9"}}', headers: { 'content-type': type } },
      422,
      'Content-Type charset must be utf-8',
      [{ path: 'header.content-type', message: 'charset must be utf-8' }],
    );
  });
  it('with parameters, any case: accepted', async () => {
    const answer = await harness.invoke({
      learningId: id,
      token: alice,
      body: { content: { ok: true } },
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    });
    expect(answer.status).toBe(200);
  });
});

describe('body', () => {
  it.each([
    ['missing', undefined, 'Request body is required'],
    ['empty', '', 'Request body is required'],
    ['blank', '   ', 'Request body is required'],
    ['malformed', '{"content": {', 'Request body is not valid JSON'],
    ['an array', '[]', 'Request body must be a JSON object'],
    ['a string', '"text"', 'Request body must be a JSON object'],
    ['null', 'null', 'Request body must be a JSON object'],
    ['a number', '42', 'Request body must be a JSON object'],
  ])('%s: 422', async (_name, body, detail) => {
    const answer = await expectRefused({ body }, 422, detail);
    if (detail === 'Request body is required')
      expect(answer.body.errors).toEqual([{ path: 'body', message: 'required' }]);
  });

  it.each([
    ['malformed JSON', '{"content": {', 'Request body is not valid JSON', 'invalid JSON'],
    [
      'a key the JSON parser itself refuses',
      '{"__proto__": {"isAdmin": true}}',
      "Key '__proto__' is not allowed",
      'forbidden key',
    ],
  ])('%s: 422 whose errors name the body', async (_name, body, detail, message) => {
    const answer = await expectRefused({ body }, 422, detail);
    expect(answer.body.errors).toEqual([{ path: 'body', message }]);
  });

  it('base64-encoded bodies are decoded first', async () => {
    const answer = await harness.invoke({
      learningId: id,
      token: alice,
      body: { content: { b64: 'yes' } },
      base64: true,
    });
    expect(answer.status).toBe(200);
    expect((await harness.get(id))?.content).toEqual({ b64: 'yes' });
  });

  it.each([
    ['a byte that is never UTF-8', [0xff]],
    ['a Latin-1 e-acute', [0xe9]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
  ])('a base64-encoded body with %s: 422, nothing stored as U+FFFD', async (_name, bytes) => {
    const text = Buffer.concat([Buffer.from('{"content": {"name": "Ren'), Buffer.from(bytes), Buffer.from('"}}')]);
    const event = {
      ...httpEvent({ learningId: id, token: alice }),
      body: text.toString('base64'),
      isBase64Encoded: true,
    };
    const answer = await harness.invokeEvent(event);
    expect(answer.status).toBe(422);
    expect(answer.body.detail).toBe('Request body is not valid UTF-8');
    expect(answer.body.errors).toEqual([{ path: 'body', message: 'invalid UTF-8' }]);
    expect(harness.dynamoDbCalls()).toEqual([]);
    expect(await harness.get(id)).toEqual(record);
  });

  it('a base64-encoded body in valid UTF-8 (with a BOM-free multi-byte text) is stored as sent', async () => {
    const content = { name: 'René 🦊 東京' };
    const answer = await harness.invoke({ learningId: id, token: alice, body: { content }, base64: true });
    expect(answer.status).toBe(200);
    expect((await harness.get(id))?.content).toEqual(content);
  });

  it('content null: 422 with the contract detail', async () => {
    await expectRefused(
      { body: { content: null } },
      422,
      'content cannot be null; omit the field to leave it unchanged',
    );
  });
  it.each([[[]], ['text'], [1], [true]])('content %j: 422', async (content) => {
    await expectRefused({ body: { content } }, 422, 'content must be a JSON object');
  });
  it.each(['{"content": -2.080316578307789e+31}', '{"content": 12345678901234567890}', '{"metadata": 1e-5}'])(
    'a number kept exact is still not an object (found by fuzzing): %s is a 422',
    async (body) => {
      await expectRefused({ body }, 422, /must be a JSON object/);
    },
  );
  it.each([[[]], ['text'], [1], [false]])('metadata %j: 422', async (metadata) => {
    await expectRefused({ body: { metadata } }, 422, 'metadata must be a JSON object or null');
  });

  it.each(SPEC_IDENTITY_FIELDS)('identity field %s: 422, reported as immutable', async (field) => {
    const answer = await expectRefused(
      { body: { content: {}, [field]: 'x' } },
      422,
      `Field '${field}' is immutable: only content and metadata can be updated`,
    );
    expect(answer.body.errors).toEqual([{ path: `body.${field}`, message: answer.body.detail }]);
  });

  it('unknown key: 422 naming it', async () => {
    await expectRefused(
      { body: { content: {}, colour: 'blue' } },
      422,
      "Unknown field 'colour': only content and metadata can be updated",
    );
  });

  it.each([
    ['__proto__ at the top', '{"__proto__": {"isAdmin": true}, "content": {}}', /__proto__/],
    ['__proto__ nested', '{"content": {"a": {"__proto__": {"x": 1}}}}', /__proto__/],
    ['constructor nested', '{"content": {"constructor": {"prototype": {}}}}', /constructor/],
    ['constructor as a plain value', '{"metadata": {"constructor": 1}}', /constructor/],
    ['prototype deep in a list', '{"content": {"l": [{"prototype": 1}]}}', /prototype/],
  ])('forbidden key, %s: 422', async (_name, body, detail) => {
    await expectRefused({ body }, 422, detail);
  });
});

describe('values must fit DynamoDB', () => {
  const nested = (levels: number): unknown => {
    let value: unknown = {};
    for (let level = 1; level < levels; level++) value = { n: value };
    return value;
  };

  // DynamoDB proper stores 31 nested maps or lists in one attribute and refuses 32 (lib/dynamodb-values.ts).
  it('nesting: 31 levels are stored, 32 are a 422', async () => {
    expect((await harness.invoke({ learningId: id, token: alice, body: { content: nested(31) } })).status).toBe(200);
    record = (await harness.get(id)) ?? {};
    await expectRefused({ body: { content: nested(32) } }, 422, /nested more than 31 levels/);
    await expectRefused({ body: { metadata: { list: JSON.parse(`${'['.repeat(31)}1${']'.repeat(31)}`) } } }, 422);
  });

  it.each([
    ['a few hundred levels', 300, '1'],
    ['near the parser stack limit, with an exact number inside', 2_750, '1.5e5'],
    ['far past it', 60_000, '1'],
  ])('nesting %s: 422, never a 500', async (_name, levels, scalar) => {
    const body = `{"content":{"a":${'['.repeat(levels)}${scalar}${']'.repeat(levels)}}}`;
    await expectRefused({ body }, 422, /nested more than 31 levels/);
  });

  it('brackets inside strings are not nesting', async () => {
    const text = '['.repeat(5_000);
    const answer = await harness.invoke({ learningId: id, token: alice, body: { content: { text } } });
    expect(answer.status).toBe(200);
    expect((await harness.get(id))?.content).toEqual({ text });
  });

  it.each([
    ['too large', '{"content": {"n": 1e126}}', /outside DynamoDB's number range/],
    ['too small', '{"content": {"n": 1e-131}}', /outside DynamoDB's number range/],
    ['below double range', '{"content": {"n": 1e-400}}', /outside DynamoDB's number range/],
    ['beyond double range', '{"content": {"n": 1e400}}', /outside DynamoDB's number range/],
    ['39 significant digits', '{"content": {"n": 123456789012345678901234567890123456789}}', /38 significant digits/],
  ])('a number %s: 422', async (_name, body, detail) => {
    await expectRefused({ body }, 422, detail);
  });

  it('a lone surrogate in a string: 422 rather than a silently replaced character, naming where it is', async () => {
    await expectRefused(
      { body: '{"content": {"s": "\\ud800"}}' },
      422,
      'content.s holds a string that is not valid Unicode',
    );
    await expectRefused(
      { body: '{"metadata": {"m": "\\ud800"}}' },
      422,
      'metadata.m holds a string that is not valid Unicode',
    );
  });

  it('content and metadata over 400 KB together: 413 before any call', async () => {
    const half = 'x'.repeat(210 * 1024);
    await expectRefused({ body: { content: { half }, metadata: { half } } }, 413, /maximum item size/);
  });

  it.each<[string, (fill: string) => Record<string, unknown>]>([
    ['content', (fill) => ({ content: { s: fill } })],
    ['metadata', (fill) => ({ metadata: { s: fill } })],
    ['content and metadata', (fill) => ({ content: { s: fill }, metadata: { t: 'x'.repeat(100) } })],
  ])(
    'the size check counts every byte (%s): 400 KB exactly is left to DynamoDB, a byte more is a 413 before any call',
    async (_name, body) => {
      const now = Math.floor(Date.now() / 1000);
      const sizeOf = (fill: string) =>
        Object.entries(body(fill)).reduce(
          (size, [name, value]) => size + attributeSize(name, value),
          attributeSize('learning_id', id) + attributeSize('updated_at', now),
        );
      const fill = 'x'.repeat(MAX_ITEM_BYTES - sizeOf(''));
      expect(sizeOf(fill)).toBe(MAX_ITEM_BYTES);
      const atLimit = await harness.invoke({ learningId: id, token: alice, body: body(fill) });
      // The stored record's other attributes take it over the limit: DynamoDB's refusal, not the pre-check's.
      expect(atLimit.status).toBe(413);
      expect(atLimit.body.detail).not.toMatch(/would take/);
      expect(harness.dynamoDbCalls()).toContain('UpdateCommand');
      await expectRefused(
        { body: body(`${fill}x`) },
        413,
        `The learning would take ${MAX_ITEM_BYTES + 1} bytes; the maximum item size is ${MAX_ITEM_BYTES}`,
      );
    },
  );

  it('a write that fits alone but not beside the stored attributes: 413 from DynamoDB, record unchanged', async () => {
    const big = learning({ user_id: 'alice', content: { blob: 'y'.repeat(300 * 1024) } });
    await harness.put(big);
    const bigId = String(big.learning_id);
    const answer = await harness.invoke({
      learningId: bigId,
      token: alice,
      body: { metadata: { blob: 'z'.repeat(150 * 1024) } },
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error_code).toBe('PAYLOAD_TOO_LARGE');
    expect(await harness.get(bigId)).toEqual(big);
  });
});

describe('order of checks', () => {
  it('authentication comes before the body: a bad body without a token is a 401', async () => {
    const answer = await harness.invoke({
      learningId: '',
      token: null,
      body: 'not json',
      headers: { 'content-type': 'text/plain' },
    });
    expect(answer.status).toBe(401);
  });
  it('validation comes before the database: a bad body on a missing record is a 422, not a 404', async () => {
    await expectRefused({ learningId: 'does-not-exist', body: { content: null } }, 422);
  });
});

describe('headers', () => {
  it('are found in any case (a payload 1.0-style or hand-made event), and a missing Content-Type is a 422', async () => {
    const token = await signToken({ sub: 'alice' });
    const event = httpEvent({ learningId: id, body: { content: { any: 'case' } } });
    event.headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    expect((await harness.invokeEvent(event)).status).toBe(200);
    const bare = httpEvent({ learningId: id, token, body: { content: {} } });
    delete bare.headers['content-type'];
    const answer = await harness.invokeEvent(bare);
    expect(answer.status).toBe(422);
    expect(answer.body.detail).toBe(
      'Content-Type must be application/json, application/merge-patch+json or application/json-patch+json',
    );
    const headerless = httpEvent({ learningId: id, body: { content: {} } });
    delete (headerless as { headers?: unknown }).headers;
    expect((await harness.invokeEvent(headerless)).status).toBe(401);
  });
});
