// A learning record: what may be changed in it, and how it is shown to callers.
import { type JsonObject, mapJsonLeaves } from './json.ts';

/** An item as read from DynamoDB; attributes written by other tools may be missing. */
export type StoredLearning = Readonly<Record<string, unknown>>;

export interface LearningChanges {
  content?: JsonObject;
  /** null clears the metadata. */
  metadata?: JsonObject | null;
}

/** The fields of a 200 answer, in order; every one is present, null when absent in storage. */
const RESPONSE_FIELDS = [
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

export type LearningResponse = Record<(typeof RESPONSE_FIELDS)[number], unknown>;

export function toLearningResponse(item: StoredLearning): LearningResponse {
  const response: Record<string, unknown> = {};
  for (const field of RESPONSE_FIELDS) response[field] = item[field] ?? null;
  response.content = asJson(response.content);
  response.metadata = asJson(response.metadata);
  return response as LearningResponse;
}

/**
 * Other tools may store sets and binary inside content and metadata, which JSON has no word for (a Set
 * would be written as {}, bytes as an index map): sets are answered as arrays, binary as base64 text.
 */
function asJson(value: unknown): unknown {
  return mapJsonLeaves(value, jsonLeaf);
}

function jsonLeaf(value: unknown): unknown {
  if (value instanceof Set) return Array.from(value, jsonLeaf);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  // Numbers kept as raw JSON text, and anything else JSON writes as it is.
  return value;
}
