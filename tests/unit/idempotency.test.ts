// The Idempotency-Key's parts without DynamoDB: which header values are keys, what makes two bodies the
// same, what an entry says, what one costs in the item, and the trim of expired entries.
import { describe, expect, it } from 'vitest';
import { attributeSize } from '../../lib/dynamodb-values.ts';
import { KEYS_ATTRIBUTE } from '../../lib/service-attributes.ts';
import { UpdateExpression } from '../../lib/write/expression.ts';
import {
  addKey,
  idempotencyKey,
  isIdempotencyKey,
  KEY_WINDOW_SECONDS,
  keyState,
  keysMapChanged,
  TRIM_AT,
  TRIM_BATCH,
  trimCommand,
} from '../../lib/write/idempotency.ts';

const NOW = 1_796_000_000;

describe('the header value', () => {
  it('is 1 to 255 visible ASCII characters, spaces only between them', () => {
    for (const key of ['a', '!', '~', 'k'.repeat(255), 'a b', 'x y z', '"quoted"', 'a  b']) {
      expect(isIdempotencyKey(key)).toBe(true);
    }
    for (const key of ['', ' ', 'k'.repeat(256), ' a', 'a ', 'é', 'a\tb', 'a\u007fb', 'a\nb', '\u0000']) {
      expect(isIdempotencyKey(key)).toBe(false);
    }
  });
});

describe('a key', () => {
  const body = { content: { a: 1, b: [1, { c: 2, d: 3 }] }, metadata: null };

  it("is the caller's and the key's: another caller, or another key, is another entry", () => {
    const key = idempotencyKey('alice', 'k', 'merge-patch', body);
    expect(key.entry).toMatch(/^[\w-]{16}$/);
    expect(idempotencyKey('alice', 'k', 'merge-patch', body).entry).toBe(key.entry);
    expect(idempotencyKey('bob', 'k', 'merge-patch', body).entry).not.toBe(key.entry);
    expect(idempotencyKey('alice', 'k2', 'merge-patch', body).entry).not.toBe(key.entry);
    // The caller and the key are told apart wherever one ends and the other begins.
    expect(idempotencyKey('al', 'ice k', 'merge-patch', body).entry).not.toBe(
      idempotencyKey('al ice', 'k', 'merge-patch', body).entry,
    );
  });

  it('has one fingerprint for equal JSON whatever the member order; another for another value or format', () => {
    const { fingerprint } = idempotencyKey('alice', 'k', 'merge-patch', body);
    expect(fingerprint).toMatch(/^[\w-]{16}$/);
    const reordered = { metadata: null, content: { b: [1, { d: 3, c: 2 }], a: 1 } };
    expect(idempotencyKey('alice', 'k', 'merge-patch', reordered).fingerprint).toBe(fingerprint);
    for (const other of [
      { content: { a: 1, b: [{ c: 2, d: 3 }, 1] }, metadata: null },
      { content: { a: 1, b: [1, { c: 2, d: 3 }] } },
      { content: { a: '1', b: [1, { c: 2, d: 3 }] }, metadata: null },
    ]) {
      expect(idempotencyKey('alice', 'k', 'merge-patch', other).fingerprint).not.toBe(fingerprint);
    }
    expect(idempotencyKey('alice', 'k', 'whole', body).fingerprint).not.toBe(fingerprint);
    // Numbers past a double's precision are told apart by their exact text.
    const exact = (text: string) => idempotencyKey('a', 'k', 'whole', { content: { n: JSON.rawJSON(text) } });
    expect(exact('12345678901234567890123').fingerprint).not.toBe(exact('12345678901234567890124').fingerprint);
  });
});

describe('an entry', () => {
  const key = idempotencyKey('alice', 'k', 'json-patch', []);
  const item = (entry: unknown) => ({ [KEYS_ATTRIBUTE]: { [key.entry]: entry } });

  it('says whose write it holds, while it lives', () => {
    const entry = `${NOW - 1} write-1 ${key.fingerprint}`;
    expect(keyState(item(entry), key, 'write-1', NOW)).toBe('this-write');
    expect(keyState(item(entry), key, 'write-2', NOW)).toBe('replay');
    expect(keyState(item(`${NOW} write-1 other`), key, 'write-2', NOW)).toBe('other-body');
    expect(keyState(item(`${NOW - KEY_WINDOW_SECONDS} w ${key.fingerprint}`), key, 'x', NOW)).toBe('replay');
    expect(keyState(item(`${NOW - KEY_WINDOW_SECONDS - 1} w ${key.fingerprint}`), key, 'x', NOW)).toBe('absent');
    for (const absent of [{}, { [KEYS_ATTRIBUTE]: 'not a map' }, item(42), { [KEYS_ATTRIBUTE]: { other: 'x' } }]) {
      expect(keyState(absent, key, 'x', NOW)).toBe('absent');
    }
  });

  it('takes about 61 bytes of the item (its name, its text, and a byte of the map)', () => {
    const expression = new UpdateExpression();
    addKey(expression, key, 'A'.repeat(16), NOW, {});
    const map = expression.build().ExpressionAttributeValues[':keys'] as Record<string, string>;
    const withEntry = attributeSize(KEYS_ATTRIBUTE, map);
    const empty = attributeSize(KEYS_ATTRIBUTE, {});
    expect(withEntry - empty).toBe(61);
  });

  it('the map of keys: a write knowing a record without one makes it; anything else goes into one', () => {
    expect(keysMapChanged(undefined, { [KEYS_ATTRIBUTE]: {} })).toBe(false);
    expect(keysMapChanged(undefined, {})).toBe(true);
    expect(keysMapChanged({}, {})).toBe(false);
    expect(keysMapChanged({}, { [KEYS_ATTRIBUTE]: {} })).toBe(true);
    expect(keysMapChanged({ [KEYS_ATTRIBUTE]: 'text' }, { [KEYS_ATTRIBUTE]: 7 })).toBe(false);
    expect(keysMapChanged({ [KEYS_ATTRIBUTE]: {} }, { [KEYS_ATTRIBUTE]: [] })).toBe(true);
  });
});

describe('the trim of expired entries', () => {
  const expired = (count: number, seconds = NOW - KEY_WINDOW_SECONDS - 1) =>
    Object.fromEntries(Array.from({ length: count }, (_, index) => [`e${index}`, `${seconds} w f`]));

  it('is due once TRIM_AT expired entries gather; live ones and what is no entry do not count', () => {
    const live = { live: `${NOW} w f`, edge: `${NOW - KEY_WINDOW_SECONDS} w f`, number: 1, list: [] };
    expect(trimCommand('t', { learning_id: 'l', [KEYS_ATTRIBUTE]: { ...expired(TRIM_AT - 1), ...live } }, NOW)).toBe(
      undefined,
    );
    expect(trimCommand('t', { learning_id: 'l' }, NOW)).toBeUndefined();
    const trim = trimCommand('t', { learning_id: 'l', [KEYS_ATTRIBUTE]: { ...expired(TRIM_AT), ...live } }, NOW);
    expect(trim).toMatchObject({ TableName: 't', Key: { learning_id: 'l' } });
    expect(trim?.UpdateExpression).toBe(
      `REMOVE ${Array.from({ length: TRIM_AT }, (_, index) => `#keys.#m${index}`).join(', ')}`,
    );
    expect(trim?.ConditionExpression).toBe(
      Array.from({ length: TRIM_AT }, (_, index) => `#keys.#m${index} < :expired`).join(' AND '),
    );
    expect(trim?.ExpressionAttributeValues).toEqual({ ':expired': String(NOW - KEY_WINDOW_SECONDS) });
    expect(Object.values(trim?.ExpressionAttributeNames ?? {})).not.toContain('live');
  });

  it('removes at most TRIM_BATCH entries at once, within DynamoDB expression limits', () => {
    const trim = trimCommand('t', { learning_id: 'l', [KEYS_ATTRIBUTE]: expired(TRIM_BATCH * 3) }, NOW);
    expect(trim?.UpdateExpression?.split(', ')).toHaveLength(TRIM_BATCH);
    expect(Buffer.byteLength(trim?.ConditionExpression ?? '')).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(trim?.UpdateExpression ?? '')).toBeLessThanOrEqual(4096);
  });
});
