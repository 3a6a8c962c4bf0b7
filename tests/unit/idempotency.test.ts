// The Idempotency-Key's parts without DynamoDB: which header values are keys, what makes two bodies the
// same, what an entry says, what one costs in the item, and the trim of expired entries.
import { describe, expect, it } from 'vitest';
import { attributeSize, bodyValues } from '../../lib/dynamodb-values.ts';
import { KEY_ATTRIBUTE_PREFIX } from '../../lib/service-attributes.ts';
import { UpdateExpression } from '../../lib/write/expression.ts';
import {
  addKey,
  idempotencyKey,
  isIdempotencyKey,
  KEY_WINDOW_SECONDS,
  keyState,
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
    expect(key.attribute).toMatch(/^etag_key_[\w-]{16}$/);
    expect(idempotencyKey('alice', 'k', 'merge-patch', body).attribute).toBe(key.attribute);
    expect(idempotencyKey('bob', 'k', 'merge-patch', body).attribute).not.toBe(key.attribute);
    expect(idempotencyKey('alice', 'k2', 'merge-patch', body).attribute).not.toBe(key.attribute);
    // The caller and the key are told apart wherever one ends and the other begins.
    expect(idempotencyKey('al', 'ice k', 'merge-patch', body).attribute).not.toBe(
      idempotencyKey('al ice', 'k', 'merge-patch', body).attribute,
    );
  });

  it('has one fingerprint for equal JSON whatever the member order; another for another value or format', () => {
    const { fingerprint } = idempotencyKey('alice', 'k', 'merge-patch', body);
    expect(fingerprint).toMatch(/^[\w-]{12}$/);
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
    // Numbers past a double's precision, read as the request path reads them (bodyValues: NumberValue), are
    // told apart by their exact text, and from an object that holds that text.
    const fingerprintOf = (text: string) =>
      idempotencyKey('a', 'k', 'whole', bodyValues(text, JSON.parse(text)).exact).fingerprint;
    const big = fingerprintOf('{"content":{"n":12345678901234567890123}}');
    expect(big).not.toBe(fingerprintOf('{"content":{"n":12345678901234567890124}}'));
    expect(big).not.toBe(fingerprintOf('{"content":{"n":{"value":"12345678901234567890123"}}}'));
    expect(big).toBe(fingerprintOf('{ "content" : { "n" : 12345678901234567890123 } }'));
  });
});

describe('an entry', () => {
  const key = idempotencyKey('alice', 'k', 'json-patch', []);
  const item = (entry: unknown) => ({ [key.attribute]: entry });

  it('says whether its write had the same body, while it lives', () => {
    expect(keyState(item(`${NOW - 1} ${key.fingerprint}`), key, NOW)).toBe('same-body');
    expect(keyState(item(`${NOW} other`), key, NOW)).toBe('other-body');
    // The fingerprint is the entry's last word, whole.
    expect(keyState(item(`${NOW} x${key.fingerprint}`), key, NOW)).toBe('other-body');
    expect(keyState(item(`${NOW - KEY_WINDOW_SECONDS} ${key.fingerprint}`), key, NOW)).toBe('same-body');
    expect(keyState(item(`${NOW - KEY_WINDOW_SECONDS - 1} ${key.fingerprint}`), key, NOW)).toBe('absent');
    for (const absent of [{}, item(42), { [`${key.attribute}x`]: `${NOW} ${key.fingerprint}` }]) {
      expect(keyState(absent, key, NOW)).toBe('absent');
    }
  });

  it('takes 48 bytes of the item (its name and its text); the write sets it on the condition that none lives', () => {
    const expression = new UpdateExpression();
    addKey(expression, key, NOW);
    const built = expression.build();
    expect(built.ConditionExpression).toBe('(attribute_not_exists(#key) OR #key < :expired)');
    expect(built.UpdateExpression).toBe('SET #key = :key');
    expect(built.ExpressionAttributeNames).toEqual({ '#key': key.attribute });
    expect(built.ExpressionAttributeValues).toEqual({
      ':key': `${NOW} ${key.fingerprint}`,
      ':expired': String(NOW - KEY_WINDOW_SECONDS),
    });
    expect(attributeSize(key.attribute, built.ExpressionAttributeValues[':key'])).toBe(48);
  });
});

describe('the trim of expired entries', () => {
  const expired = (count: number, seconds = NOW - KEY_WINDOW_SECONDS - 1) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, index) => [`${KEY_ATTRIBUTE_PREFIX}e${index}`, `${seconds} f`]),
    );

  it('is due once TRIM_AT expired entries gather; live ones and what is no entry do not count', () => {
    // Live entries, entries that are no strings, and other attributes holding what an entry would.
    const live = {
      [`${KEY_ATTRIBUTE_PREFIX}live`]: `${NOW} f`,
      [`${KEY_ATTRIBUTE_PREFIX}edge`]: `${NOW - KEY_WINDOW_SECONDS} f`,
      [`${KEY_ATTRIBUTE_PREFIX}number`]: 1,
      other: `${NOW - KEY_WINDOW_SECONDS - 1} f`,
      content: { a: `${NOW - KEY_WINDOW_SECONDS - 1} f` },
    };
    expect(trimCommand('t', { learning_id: 'l', ...expired(TRIM_AT - 1), ...live }, NOW)).toBeUndefined();
    expect(trimCommand('t', { learning_id: 'l' }, NOW)).toBeUndefined();
    const trim = trimCommand('t', { learning_id: 'l', ...expired(TRIM_AT), ...live }, NOW);
    expect(trim).toMatchObject({ TableName: 't', Key: { learning_id: 'l' } });
    expect(trim?.UpdateExpression).toBe(
      `REMOVE ${Array.from({ length: TRIM_AT }, (_, index) => `#m${index}`).join(', ')}`,
    );
    expect(trim?.ConditionExpression).toBe(
      Array.from({ length: TRIM_AT }, (_, index) => `#m${index} < :expired`).join(' AND '),
    );
    expect(trim?.ExpressionAttributeValues).toEqual({ ':expired': String(NOW - KEY_WINDOW_SECONDS) });
    expect(Object.values(trim?.ExpressionAttributeNames ?? {}).sort()).toEqual(Object.keys(expired(TRIM_AT)).sort());
  });

  it('removes at most TRIM_BATCH entries at once, within DynamoDB expression limits', () => {
    const trim = trimCommand('t', { learning_id: 'l', ...expired(TRIM_BATCH * 3) }, NOW);
    expect(trim?.UpdateExpression?.split(', ')).toHaveLength(TRIM_BATCH);
    expect(Buffer.byteLength(trim?.ConditionExpression ?? '')).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(trim?.UpdateExpression ?? '')).toBeLessThanOrEqual(4096);
  });
});
