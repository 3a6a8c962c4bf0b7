// Idempotency-Key (IETF httpapi draft "The Idempotency-Key HTTP Header Field"): a write that carries a key
// records it in the record it writes, in the same conditional UpdateItem, so that the key and the write are
// one atomic operation. The write applies only while the record holds no live entry for the caller's key;
// a request that finds one is a retry of a write already made, and is answered rather than applied. Each
// entry is an attribute of its own (a path into a map would need the map to exist first).
// docs/contract.md states the window and what the entries cost; docs/write-path.md why they live here.
import { createHash } from 'node:crypto';
import { NumberValue, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { isJsonObject } from '../json.ts';
import type { StoredLearning } from '../learning.ts';
import { KEY_ATTRIBUTE_PREFIX } from '../service-attributes.ts';
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
  /** The attribute that holds the key's entry: the prefix, then a hash of the caller and the key. */
  attribute: string;
  /** A hash of the body's format and its JSON, which tells a retry from another request with the key. */
  fingerprint: string;
}

/**
 * What the record says of a request's key: no live entry (`absent`), a write made with the key and the same
 * body (by an earlier request, or by this one before another write landed), or one with another body.
 */
export type KeyState = 'absent' | 'same-body' | 'other-body';

/**
 * The key of `caller`'s request. Two bodies are the same when they have the same format (media type) and
 * the same JSON: equal values, whatever the members' order and the whitespace.
 */
export function idempotencyKey(caller: string, key: string, format: string, body: unknown): IdempotencyKey {
  return {
    attribute: `${KEY_ATTRIBUTE_PREFIX}${digest(JSON.stringify([caller, key]), 16)}`,
    fingerprint: digest(`${format} ${canonicalJson(body)}`, 12),
  };
}

// SHA-256 in base64url, cut to `characters` (six bits each): 96 bits tell the keys of one record apart,
// and 72 bits the bodies sent with one key.
function digest(text: string, characters: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, characters);
}

/**
 * JSON with every object's members in one order, so that equal values give equal text. A number a double
 * cannot hold is kept as written (a NumberValue, lib/dynamodb-values.ts), and written as that number.
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_member, inner: unknown) =>
    inner instanceof NumberValue
      ? JSON.rawJSON(inner.value)
      : isJsonObject(inner)
        ? Object.fromEntries(
            Object.keys(inner)
              .sort()
              .map((name) => [name, inner[name]]),
          )
        : inner,
  );
}

// An entry is one string, `<unix seconds> <fingerprint>`: its ten-digit time first, so that DynamoDB
// compares entries with a moment as text, in time order.
const entryText = (now: number, key: IdempotencyKey) => `${now} ${key.fingerprint}`;

/** The entries written before this text expired at `now`. */
function expiredBefore(now: number): string {
  return String(now - KEY_WINDOW_SECONDS);
}

/**
 * Adds the key to a write: the condition that the record holds no live entry for it (none, or one written
 * before the window), and the entry.
 */
export function addKey(expression: UpdateExpression, key: IdempotencyKey, now: number): void {
  const entry = expression.name('key', key.attribute);
  const before = expression.value('expired', expiredBefore(now));
  expression.condition(`(attribute_not_exists(${entry}) OR ${entry} < ${before})`);
  expression.set(entry, expression.value('key', entryText(now, key)));
}

/**
 * Whether the entry is expired: its time (the number it begins with) is before the window. For ten-digit
 * times this is the order DynamoDB's comparison of the entry with expiredBefore(now) gives.
 */
function expired(entry: string, now: number): boolean {
  return Number.parseInt(entry, 10) < now - KEY_WINDOW_SECONDS;
}

/** What the item says of the request's key (see KeyState). */
export function keyState(item: StoredLearning, key: IdempotencyKey, now: number): KeyState {
  const entry = item[key.attribute];
  if (typeof entry !== 'string' || expired(entry, now)) return 'absent';
  return entry.endsWith(` ${key.fingerprint}`) ? 'same-body' : 'other-body';
}

/**
 * The UpdateItem that removes expired entries from the item's keys, once it holds TRIM_AT of them, each on
 * the condition that it is still expired (a key used again since has a live entry). Undefined: no trim due.
 * It changes neither the record's version nor updated_at: the learning is the same.
 */
export function trimCommand(table: string, item: StoredLearning, now: number): UpdateCommandInput | undefined {
  const due = Object.keys(item).filter((name) => {
    const entry = item[name];
    return name.startsWith(KEY_ATTRIBUTE_PREFIX) && typeof entry === 'string' && expired(entry, now);
  });
  if (due.length < TRIM_AT) return undefined;
  const expression = new UpdateExpression();
  const before = expression.value('expired', expiredBefore(now));
  for (const name of due.slice(0, TRIM_BATCH)) {
    const entry = expression.key(name);
    expression.remove(entry);
    expression.condition(`${entry} < ${before}`);
  }
  return { TableName: table, Key: { learning_id: item.learning_id }, ...expression.build() };
}
