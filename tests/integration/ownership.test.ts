// The ownership matrix of SPEC.md, against the real handler and a real dynalite: who may change what,
// what is stored afterwards, and that a refused request changes nothing.

import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, DEV_JWT_SECRET, signToken, WRITE_SCOPE } from '../../dev/tokens.ts';
import { VERSION_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { BACKEND, type Harness, learning, startHarness, uniqueId } from '../support/harness.ts';
import { SPEC_RESPONSE_FIELDS } from '../support/spec-fields.ts';

let harness: Harness;
let alice: string;
let bob: string;
let admin: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await signToken({ sub: 'alice' });
  bob = await signToken({ sub: 'bob' });
  admin = await signToken({ sub: 'root', scopes: [ADMIN_SCOPE] });
});
afterAll(() => harness.close());

const NO_OWNER = 'Only admins can modify learnings that have no owner (user_id is null)';
const newContent = { name: 'Changed', nested: { deep: [1, 2, { x: null }] } };

describe('ownership matrix', () => {
  it('any caller, record does not exist: 404 and nothing is created', async () => {
    const id = uniqueId();
    for (const token of [alice, admin]) {
      const answer = await harness.invoke({ learningId: id, token, body: { content: newContent } });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ detail: 'Learning not found', error_code: 'NOT_FOUND' });
    }
    expect(await harness.get(id)).toBeUndefined();
  });

  it('owner may change their own record', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const answer = await harness.invoke({
      learningId: String(record.learning_id),
      token: alice,
      body: { content: newContent },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.content).toEqual(newContent);
    expect((await harness.get(String(record.learning_id)))?.content).toEqual(newContent);
  });

  it("another user's record is reported as not found, and is left unchanged", async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const answer = await harness.invoke({
      learningId: String(record.learning_id),
      token: bob,
      body: { content: newContent },
    });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ detail: 'Learning not found', error_code: 'NOT_FOUND' });
    expect(await harness.get(String(record.learning_id))).toEqual(record);
  });

  it.each([
    ['user_id absent', (record: Record<string, unknown>) => delete record.user_id],
    ['user_id NULL', (record: Record<string, unknown>) => (record.user_id = null)],
  ])('a record with no owner (%s): 403 for a non-admin, unchanged; 200 for an admin', async (_name, makeOwnerless) => {
    const record = learning();
    makeOwnerless(record);
    await harness.put(record);
    const id = String(record.learning_id);

    const refused = await harness.invoke({ learningId: id, token: alice, body: { metadata: { hijacked: true } } });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ detail: NO_OWNER, error_code: 'FORBIDDEN' });
    expect(await harness.get(id)).toEqual(record);

    const allowed = await harness.invoke({ learningId: id, token: admin, body: { metadata: { reviewed: true } } });
    expect(allowed.status).toBe(200);
    expect(allowed.body.metadata).toEqual({ reviewed: true });
    expect(allowed.body.user_id).toBeNull();
  });

  it("an admin may change another user's record; the owner stays the owner", async () => {
    const record = learning({ user_id: 'bob' });
    await harness.put(record);
    const answer = await harness.invoke({
      learningId: String(record.learning_id),
      token: admin,
      body: { content: newContent },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.user_id).toBe('bob');
  });

  it('a caller whose user id equals an empty string owner never matches: empty owners are still owners', async () => {
    const record = learning({ user_id: '' });
    await harness.put(record);
    const answer = await harness.invoke({
      learningId: String(record.learning_id),
      token: alice,
      body: { content: {} },
    });
    expect(answer.status).toBe(404);
    expect(await harness.get(String(record.learning_id))).toEqual(record);
  });
});

describe('empty body {}', () => {
  it('returns the stored record without writing, after the same checks', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const answer = await harness.invoke({ learningId: id, token: alice, body: {} });
    expect(answer.status).toBe(200);
    expect(answer.body.updated_at).toBe(record.updated_at);
    expect(await harness.get(id)).toEqual(record);
    expect(harness.dynamoDbCalls()).toEqual(['GetCommand']);
  });

  it('is 404 for a stranger, 403 for a non-admin on a record with no owner, 404 when missing', async () => {
    const owned = learning({ user_id: 'alice' });
    const ownerless = learning({ user_id: null });
    await harness.put(owned);
    await harness.put(ownerless);
    expect((await harness.invoke({ learningId: String(owned.learning_id), token: bob, body: {} })).status).toBe(404);
    const forbidden = await harness.invoke({ learningId: String(ownerless.learning_id), token: bob, body: {} });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toBe(NO_OWNER);
    expect((await harness.invoke({ learningId: uniqueId(), token: admin, body: {} })).status).toBe(404);
  });
});

describe('effect of a write', () => {
  it('sets exactly the sent fields, updated_at and the version; every other attribute is untouched', async () => {
    const record = learning({ user_id: 'alice', team_id: 'team-9', session_id: 's-1' });
    await harness.put(record);
    const id = String(record.learning_id);
    const before = Math.floor(Date.now() / 1000);
    const answer = await harness.invoke({ learningId: id, token: alice, body: { content: { only: 'content' } } });
    expect(answer.status).toBe(200);
    const stored = await harness.get(id);
    // The write id: the request's own, which a write whose answer was lost finds itself by.
    const { content: _c, updated_at: updatedAt, [VERSION_ATTRIBUTE]: version, etag_write, ...rest } = stored ?? {};
    expect(etag_write).toMatch(/^[\w-]{12,}$/);
    const { content: _oc, updated_at: _ou, ...restBefore } = record;
    expect(rest).toEqual(restBefore);
    expect(version).toBe(1);
    expect(stored?.content).toEqual({ only: 'content' });
    expect(updatedAt).toBeGreaterThanOrEqual(before);
    expect(updatedAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('replaces a field whole (no deep merge) and metadata null clears it', async () => {
    const record = learning({ user_id: 'alice', content: { a: 1, keep: { x: 1 } }, metadata: { m: 1 } });
    await harness.put(record);
    const id = String(record.learning_id);
    const answer = await harness.invoke({
      learningId: id,
      token: alice,
      body: { content: { keep: { y: 2 } }, metadata: null },
    });
    expect(answer.status).toBe(200);
    const stored = await harness.get(id);
    expect(stored?.content).toEqual({ keep: { y: 2 } });
    expect(stored?.metadata).toBeNull();
    expect(answer.body.metadata).toBeNull();
  });

  it('answers every response field, null when absent in storage, as application/json', async () => {
    const id = uniqueId();
    await harness.put({ learning_id: id, user_id: 'alice', content: {} });
    const answer = await harness.invoke({ learningId: id, token: alice, body: { metadata: { k: 'v' } } });
    expect(answer.status).toBe(200);
    expect(answer.headers['Content-Type']).toBe('application/json');
    expect(Object.keys(answer.body)).toEqual(SPEC_RESPONSE_FIELDS);
    expect(answer.body).toMatchObject({ learning_type: null, namespace: null, created_at: null, metadata: { k: 'v' } });
  });

  it('stores and answers numbers exactly, up to the 38 digits DynamoDB keeps', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const text =
      '{"content":{"big":12345678901234567890123456789012345678,"precise":0.1000000000000000055511151231257827,"small":1e-120,"plain":1.5,"neg":-42}}';
    const answer = await harness.invoke({ learningId: id, token: alice, body: text });
    expect(answer.status).toBe(200);
    expect(answer.raw).toContain('"big":12345678901234567890123456789012345678');
    expect(answer.raw).toContain('"precise":0.1000000000000000055511151231257827');
    expect(answer.raw).toContain('"plain":1.5');
    expect(answer.raw).toContain('"neg":-42');
    expect(Number(/"small":([^,}]+)/.exec(answer.raw)?.[1])).toBe(1e-120);
  });

  it('numbers past 2^53 and doubles in exponent notation are stored and read back exactly (found by fuzzing)', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const text = '{"content":{"twoTo53":9007199254740992,"next":9007199254740993,"tiny":1.2345678901234567e-100}}';
    const answer = await harness.invoke({ learningId: id, token: alice, body: text });
    expect(answer.status).toBe(200);
    expect(answer.raw).toContain('"twoTo53":9007199254740992');
    expect(answer.raw).toContain('"next":9007199254740993');
    const content = ((await harness.get(id))?.content ?? {}) as Record<string, unknown>;
    expect(content.tiny).toBe(1.2345678901234567e-100);
    expect(content.twoTo53).toBe(9007199254740992);
  });

  it('writes to the table the db_id and table name, and only there', async () => {
    const record = learning({ user_id: 'alice' });
    const id = String(record.learning_id);
    await harness.put(record, 'archived_learnings');
    await harness.put(record, 'analytics_learnings');
    const answer = await harness.invoke({
      learningId: id,
      token: alice,
      body: { content: { where: 'archive' } },
      query: { db_id: 'analytics', table: 'archived_learnings' },
    });
    expect(answer.status).toBe(200);
    expect((await harness.get(id, 'archived_learnings'))?.content).toEqual({ where: 'archive' });
    expect(await harness.get(id, 'analytics_learnings')).toEqual(record);

    const viaDefault = await harness.invoke({
      learningId: id,
      token: alice,
      body: { content: { where: 'first' } },
      query: { db_id: 'analytics' },
    });
    expect(viaDefault.status).toBe(200);
    expect((await harness.get(id, 'analytics_learnings'))?.content).toEqual({ where: 'first' });
  });
});

describe(`round trips against ${BACKEND}`, () => {
  it('a write costs one UpdateItem; a refusal one UpdateItem, plus a classifying GetItem where the old item is not returned (dynalite)', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    await harness.invoke({ learningId: id, token: alice, body: { content: {} } });
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand']);
    await harness.invoke({ learningId: id, token: bob, body: { content: {} } });
    expect(harness.dynamoDbCalls()).toEqual(BACKEND === 'moto' ? ['UpdateCommand'] : ['UpdateCommand', 'GetCommand']);
    await harness.invoke({ learningId: uniqueId(), token: admin, body: { content: {} } });
    expect(harness.dynamoDbCalls()).toEqual(['UpdateCommand']);
  });
});

describe('scopes', () => {
  it('a non-admin without the write scope gets 403 before any database call; an admin needs no write scope', async () => {
    const record = learning({ user_id: 'alice' });
    await harness.put(record);
    const id = String(record.learning_id);
    const readOnly = await signToken({ sub: 'alice', scopes: ['learnings:read'] });
    const answer = await harness.invoke({ learningId: id, token: readOnly, body: { content: {} } });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({
      detail: `Insufficient permissions. Required scope(s): ${WRITE_SCOPE}`,
      error_code: 'FORBIDDEN',
    });
    expect(harness.dynamoDbCalls()).toEqual([]);
    const adminOnly = await signToken({ sub: 'root', scopes: ADMIN_SCOPE });
    expect((await harness.invoke({ learningId: id, token: adminOnly, body: { content: {} } })).status).toBe(200);
  });

  it('a token with no scopes claim at all has no scopes: 403 for a non-admin', async () => {
    const noScopes = await new SignJWT({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(DEV_JWT_SECRET));
    expect((await harness.invoke({ learningId: 'lrn_x', token: noScopes, body: { content: {} } })).status).toBe(403);
  });

  it('with REQUIRED_SCOPE empty the scope check is off, ownership still applies', async () => {
    const open = harness.withEnv({ REQUIRED_SCOPE: '' });
    const record = learning({ user_id: 'alice' });
    await open.put(record);
    const id = String(record.learning_id);
    const noScopes = await signToken({ sub: 'alice', scopes: [] });
    expect((await open.invoke({ learningId: id, token: noScopes, body: { content: {} } })).status).toBe(200);
    const stranger = await signToken({ sub: 'mallory', scopes: [] });
    expect((await open.invoke({ learningId: id, token: stranger, body: { content: {} } })).status).toBe(404);
  });
});
