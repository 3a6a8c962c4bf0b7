// openapi.yaml is a valid OpenAPI 3.1 document, keeps the identity of the Agno API's reference operation
// (reference-update-learning.yaml, its published update_learning), and the
// contract check the integration tests run on every answer does refuse answers it does not document.
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assertMatchesContract, openapi } from '../support/contract.ts';

type Operation = {
  operationId: string;
  tags: string[];
  security: unknown;
  parameters: { name: string; in: string; schema: unknown }[];
  responses: Record<string, unknown>;
};
type Document = {
  paths: Record<string, { patch: Operation }>;
  components: { schemas: Record<string, { properties: Record<string, unknown> }> };
};

const ours = openapi as unknown as Document;
const reference = parse(readFileSync('tests/contract/reference-update-learning.yaml', 'utf8')) as Document;
const operation = (document: Document) => document.paths['/learnings/{learning_id}']?.patch as Operation;

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(readFileSync('openapi.yaml', 'utf8'));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((openapi as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it("keeps the reference's operationId, tag, security, parameters and schema fields", () => {
    const mine = operation(ours);
    const theirs = operation(reference);
    expect(mine.operationId).toBe(theirs.operationId);
    expect(mine.tags).toEqual(theirs.tags);
    expect(mine.security).toEqual(theirs.security);
    for (const parameter of theirs.parameters) {
      expect(
        mine.parameters.find((candidate) => candidate.name === parameter.name && candidate.in === parameter.in),
      ).toBeDefined();
    }
    const queryParameters = (op: Operation) => op.parameters.filter((parameter) => parameter.in === 'query');
    expect(queryParameters(mine)).toEqual(queryParameters(theirs));
    for (const schema of ['LearningUpdate', 'LearningResponse']) {
      expect(Object.keys(ours.components.schemas[schema]?.properties ?? {})).toEqual(
        Object.keys(reference.components.schemas[schema]?.properties ?? {}),
      );
    }
  });

  it("documents every status the service answers, the reference's and its own", () => {
    expect(Object.keys(operation(ours).responses).sort()).toEqual([
      '200',
      '401',
      '403',
      '404',
      '409',
      '412',
      '413',
      '422',
      '500',
      '503',
    ]);
    for (const status of Object.keys(operation(reference).responses))
      expect(operation(ours).responses).toHaveProperty(status);
  });
});

describe('the contract check', () => {
  const json = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
  const learning = {
    learning_id: 'l',
    learning_type: 't',
    namespace: null,
    user_id: 'u',
    agent_id: null,
    team_id: null,
    session_id: null,
    entity_id: null,
    entity_type: null,
    content: {},
    metadata: null,
    created_at: 1,
    updated_at: 2,
  };

  it('accepts documented answers', () => {
    expect(() => assertMatchesContract(200, { ...json, ETag: '"1.AAAAAAAAAA"' }, learning)).not.toThrow();
    expect(() =>
      assertMatchesContract(
        401,
        { ...json, 'WWW-Authenticate': 'Bearer' },
        { detail: 'x', error_code: 'UNAUTHENTICATED' },
      ),
    ).not.toThrow();
  });

  it.each([
    ['a 200 missing a field', 200, { ETag: '"1.AAAAAAAAAA"' }, { ...learning, metadata: undefined }],
    ['a 200 with an extra field', 200, { ETag: '"1.AAAAAAAAAA"' }, { ...learning, version: 3 }],
    ['a 200 without ETag', 200, {}, learning],
    ['a 200 a cache may keep', 200, { ETag: '"1.AAAAAAAAAA"', 'Cache-Control': 'max-age=60' }, learning],
    ['a 401 without WWW-Authenticate', 401, {}, { detail: 'x', error_code: 'UNAUTHENTICATED' }],
    ['a 503 without Retry-After', 503, {}, { detail: 'x', error_code: 'SERVICE_UNAVAILABLE' }],
    [
      'a 500 with an internal message',
      500,
      {},
      { detail: 'ValidationException: table x', error_code: 'INTERNAL_SERVER_ERROR' },
    ],
    ['a 404 with the wrong code', 404, {}, { detail: 'x', error_code: 'FORBIDDEN' }],
    ['an undocumented status', 418, {}, { detail: 'x', error_code: 'TEAPOT' }],
  ])('refuses %s', (_name, status, headers, body) => {
    expect(() => assertMatchesContract(status, { ...json, ...headers }, body)).toThrow();
  });
});
