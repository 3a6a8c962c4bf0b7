// Field lists as SPEC.md states them, written out here rather than imported from lib/, so that the
// tests check the code against the contract instead of against itself.

/** The body keys that name a record and may never be written. */
export const SPEC_IDENTITY_FIELDS = [
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
] as const;

/** Every key of a 200 answer, in order. */
export const SPEC_RESPONSE_FIELDS = [
  'learning_id',
  'learning_type',
  'namespace',
  'user_id',
  'agent_id',
  'team_id',
  'session_id',
  'entity_id',
  'entity_type',
  'content',
  'metadata',
  'created_at',
  'updated_at',
] as const;
