// Idempotency-Key (IETF httpapi draft "The Idempotency-Key HTTP Header Field"): a write that carries a key
// records it in the record it writes, in the same conditional UpdateItem, so that the key and the write are
// one atomic operation. The write applies only while the record holds no live entry for the caller's key;
// a request that finds one is a retry of a write already made, and is answered rather than applied.
// docs/contract.md states the window and what the entries cost; docs/write-path.md why they live here.
import { createHash } from 'node:crypto';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { isJsonObject } from '../json.ts';
import type { StoredLearning } from '../learning.ts';
import { KEYS_ATTRIBUTE } from '../service-attributes.ts';
import { UpdateExpression } from './expression.ts';

/** How long a key is remembered: a request with the same key within it is not applied again. */
export const KEY_WINDOW_SECONDS = 600;
/** A keyed write removes the record's expired entries once it finds this many. */
export const TRIM_AT = 16;
/** The most expired entries one trim removes, so that its condition stays far within DynamoDB's limits. */
export const TRIM_BATCH = 50;

// The header's value: 1 to 255 visible ASCII characters, spaces allowed between them (HTTP trims a field
// value's surrounding whitespace, RFC 9110 §5.5).
const KEY_TEXT = /^[!-~](?:[ -~]{0,253}[!-~])?$/;

/** Whether an Idempotency-Key header's value is a key this service accepts. */
export function isIdempotencyKey(text: string): boolean {
  return KEY_TEXT.test(text);
}

/** A request's key, as the record keeps it. */
export interface IdempotencyKey {
  /** The name of the key's entry in the record's map of keys: a hash of the caller and the key. */
  entry: string;
  /** A hash of the body's format and its JSON, which tells a retry from another request with the key. */
  fingerprint: string;
}

/**
 * What the record says of a request's key: no live entry (`absent`), this request's own write (its answer
 * was lost), an earlier request with the same body (`replay`), or an earlier one with another body.
 */
export type KeyState = 'absent' | 'this-write' | 'replay' | 'other-body';

/**
 * The key of `caller`'s request. Two bodies are the same when they have the same format (media type) and
 * the same JSON: equal values, whatever the members' order and the whitespace.
 */
export function idempotencyKey(caller: string, key: string, format: string, body: unknown): IdempotencyKey {
  return { entry: digest(JSON.stringify([caller, key])), fingerprint: digest(`${format} ${canonicalJson(body)}`) };
}

// 96 bits of SHA-256, base64url: no two keys or bodies of one record meet by chance.
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/** JSON with every object's members in one order, so that equal values give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_member, inner: unknown) =>
    isJsonObject(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .map((name) => [name, inner[name]]),
        )
      : inner,
  );
}

// An entry is one string, `<unix seconds> <write id> <fingerprint>`: its ten-digit time first, so that
// DynamoDB compares entries with a moment as text, in time order.
const entryText = (now: number, writeId: string, key: IdempotencyKey) => `${now} ${writeId} ${key.fingerprint}`;

/** The entries written before this text expired at `now`. */
function expiredBefore(now: number): string {
  return String(now - KEY_WINDOW_SECONDS);
}

function entries(item: StoredLearning): Readonly<Record<string, unknown>> | undefined {
  const keys = item[KEYS_ATTRIBUTE];
  return isJsonObject(keys) ? keys : undefined;
}

/**
 * Adds the key to a write: the condition that the record holds no live entry for it, and the entry. A
 * record last seen without a map of keys gets one, on the condition that it still has none. Otherwise the
 * entry is set inside the map, on the condition that there is one: DynamoDB refuses a path into anything
 * else as invalid, and moto ignores it, recording no key. Either condition failing on the map alone makes
 * the engine write again, knowing the record's map (or its absence).
 */
export function addKey(
  expression: UpdateExpression,
  key: IdempotencyKey,
  writeId: string,
  now: number,
  stored: StoredLearning | undefined,
): void {
  const keys = expression.name('keys', KEYS_ATTRIBUTE);
  const entry = entryText(now, writeId, key);
  // attribute_type's operand names a type: M, for map.
  const isMap = `attribute_type(${keys}, ${expression.value('map', 'M')})`;
  if (!assumesKeys(stored)) {
    expression.condition(`NOT ${isMap}`);
    expression.set(keys, expression.value('keys', { [key.entry]: entry }));
    return;
  }
  const path = `${keys}.${expression.key(key.entry)}`;
  const expired = expression.value('expired', expiredBefore(now));
  expression.condition(`${isMap} AND (attribute_not_exists(${path}) OR ${path} < ${expired})`);
  expression.set(path, expression.value('key', entry));
}

/** What the item says of the request's key (see KeyState). */
export function keyState(item: StoredLearning, key: IdempotencyKey, writeId: string, now: number): KeyState {
  const entry = entries(item)?.[key.entry];
  if (typeof entry !== 'string' || entry < expiredBefore(now)) return 'absent';
  const [, writtenBy, fingerprint] = entry.split(' ');
  if (writtenBy === writeId) return 'this-write';
  return fingerprint === key.fingerprint ? 'replay' : 'other-body';
}

/**
 * Whether a keyed write made knowing `stored` (undefined: nothing seen yet) puts its entry into a map of
 * keys, rather than making the map.
 */
function assumesKeys(stored: StoredLearning | undefined): boolean {
  return stored === undefined || entries(stored) !== undefined;
}

/** Whether a keyed write made knowing `stored` failed on the map of keys alone: `item` has it, or has not. */
export function keysMapChanged(stored: StoredLearning | undefined, item: StoredLearning): boolean {
  return assumesKeys(stored) !== (entries(item) !== undefined);
}

/**
 * The UpdateItem that removes expired entries from the item's keys, once it holds TRIM_AT of them, each on
 * the condition that it is still expired (a key used again since has a live entry). Undefined: no trim due.
 * It changes neither the record's version nor updated_at: the learning is the same.
 */
export function trimCommand(table: string, item: StoredLearning, now: number): UpdateCommandInput | undefined {
  const keys = entries(item) ?? {};
  const cutoff = expiredBefore(now);
  const expired = Object.keys(keys).filter((name) => {
    const entry = keys[name];
    return typeof entry === 'string' && entry < cutoff;
  });
  if (expired.length < TRIM_AT) return undefined;
  const expression = new UpdateExpression();
  const map = expression.name('keys', KEYS_ATTRIBUTE);
  const before = expression.value('expired', cutoff);
  for (const name of expired.slice(0, TRIM_BATCH)) {
    const path = `${map}.${expression.key(name)}`;
    expression.remove(path);
    expression.condition(`${path} < ${before}`);
  }
  return { TableName: table, Key: { learning_id: item.learning_id }, ...expression.build() };
}
