// The request's shape: path, query and body, as Zod schemas, and the translation of Zod's issues into
// the contract's 422 details. zod/mini keeps the bundle small; the checks are the same.
import * as z from 'zod/mini';
import { type FieldError, ValidationError } from './errors.ts';
import { isJsonObject, type JsonObject } from './json.ts';

// Zod's generic parser instead of one generated with new Function per object schema: same results and
// issues, and faster per warm request here (measured side by side inside the pipeline, bench/README.md; the
// generated code is faster in a loop of its own, but between I/O events the smaller footprint wins).
z.config({ jitless: true });

/** Keys a record is identified by: never writable through this endpoint. */
export const IDENTITY_FIELDS: ReadonlySet<string> = new Set([
  'learning_id',
  'learning_type',
  'namespace',
  'user_id',
  'agent_id',
  'team_id',
  'workflow_id',
  'session_id',
  'entity_id',
  'entity_type',
  'created_at',
  'updated_at',
]);

export const MAX_LEARNING_ID_BYTES = 1024;

export const pathParametersSchema = z.object(
  {
    learning_id: z.string({ error: 'learning_id is required' }).check(
      z.refine((id) => id.length > 0, { error: 'learning_id must not be empty' }),
      z.refine((id) => Buffer.byteLength(id) <= MAX_LEARNING_ID_BYTES, {
        error: `learning_id must be at most ${MAX_LEARNING_ID_BYTES} bytes`,
      }),
    ),
  },
  { error: 'learning_id is required' },
);

export const queryParametersSchema = z
  .object({
    db_id: z.optional(z.string()),
    table: z.optional(z.string()),
  })
  .check(
    z.refine((query) => query.table === undefined || query.db_id !== undefined, {
      error: 'The db_id query parameter is required when passing a table',
      path: ['table'],
    }),
  );

export const updateLearningBodySchema = z.strictObject(
  {
    content: z.optional(
      z.custom<JsonObject>(isJsonObject, {
        error: (issue) =>
          issue.input === null
            ? 'content cannot be null; omit the field to leave it unchanged'
            : 'content must be a JSON object',
      }),
    ),
    metadata: z.optional(
      z.nullable(z.custom<JsonObject>(isJsonObject, { error: 'metadata must be a JSON object or null' })),
    ),
  },
  // The object's other issue, unknown keys, gets its own message (describeIssue).
  { error: 'Request body must be a JSON object' },
);

/** The whole request in one parse: one result, and every problem listed in path, query, body order. */
export const updateLearningRequestSchema = z.object({
  path: pathParametersSchema,
  query: queryParametersSchema,
  body: updateLearningBodySchema,
});

/** A JSON Patch request: its body, an array of operations, is read by parseJsonPatch (lib/json-patch.ts). */
export const jsonPatchRequestSchema = z.object({
  path: pathParametersSchema,
  query: queryParametersSchema,
  body: z.custom<unknown>(() => true),
});

/** Parses `input` or throws the contract's 422, its detail naming the first problem. */
export function parseOrThrow<T>(schema: z.ZodMiniType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // A failed parse has at least one issue, and each issue describes at least one field.
  const errors = result.error.issues.flatMap(describeIssue) as [FieldError, ...FieldError[]];
  throw new ValidationError(errors[0].message, errors);
}

function describeIssue(issue: z.core.$ZodIssue): FieldError[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: `${path}.${key}`,
      message: IDENTITY_FIELDS.has(key)
        ? `Field '${key}' is immutable: only content and metadata can be updated`
        : `Unknown field '${key}': only content and metadata can be updated`,
    }));
  }
  return [{ path, message: issue.message }];
}
