// DynamoDB's value rules in isolation: sizes by DynamoDB's own counting, error paths, number reading.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numberFromDynamoDb } from '../../lib/dynamodb.ts';
import {
  assertNestingWithinLimit,
  attributeSize,
  bodyValues,
  isExactly,
  MAX_ITEM_BYTES,
  MAX_NESTING_DEPTH,
  sameJsonValue,
} from '../../lib/dynamodb-values.ts';
import type { Preconditions } from '../../lib/etag.ts';
import { entityTag, etagScope, parsePreconditions } from '../../lib/etag.ts';
import { type UpdateCommands, updateCommands } from '../../lib/write/update-command.ts';
import { setWholeValues } from '../../lib/write/whole-replace.ts';
import { runs } from '../support/runs.ts';

describe('attributeSize', () => {
  it('counts UTF-8 bytes of names and strings, 3 bytes per container plus 1 per element, numbers by digits', () => {
    expect(attributeSize('a', 'é')).toBe(1 + 2);
    expect(attributeSize('m', {})).toBe(1 + 3);
    expect(attributeSize('m', { k: 'v' })).toBe(1 + 3 + 1 + 1 + 1);
    expect(attributeSize('l', [true, null])).toBe(1 + 3 + (1 + 1) + (1 + 1));
    expect(attributeSize('n', 0)).toBe(1 + 1);
    expect(attributeSize('n', 12)).toBe(1 + 1 + 1);
    expect(attributeSize('n', -123)).toBe(1 + 1 + 2 + 1);
    // 19 significant digits (the trailing zero is not one): 1 + 10 bytes.
    expect(attributeSize('n', NumberValue.from('12345678901234567890'))).toBe(1 + 1 + 10);
  });

  it('names the place of a refused value, through lists and maps', () => {
    expect(() => attributeSize('content', { list: [1, { prototype: 1 }] })).toThrow(
      "Key 'prototype' is not allowed (at content.list[1].prototype)",
    );
    expect(() => attributeSize('content', { n: NumberValue.from('1e999') })).toThrow(/content\.n is outside/);
    expect(() => attributeSize('content', { f: () => 1 })).toThrow('content.f is not a JSON value');
    expect(() => attributeSize('content', { n: Number.NaN })).toThrow('content.n is not a finite number');
    expect(() => attributeSize('content', { '\ud800': 1 })).toThrow('has a key that is not valid Unicode');
  });
});

/** A body's values as the handler stores them. */
const exact = (text: string) => bodyValues(text, JSON.parse(text)).exact;

describe('numbers sent in a body', () => {
  it('are never altered: one a double cannot hold is kept as its text, wherever the token stands', () => {
    const numberToken = fc
      .tuple(
        fc.stringMatching(/^-?(?:0|[1-9][0-9]{0,39})$/),
        fc.option(fc.stringMatching(/^\.[0-9]{1,30}$/), { nil: '' }),
        fc.option(fc.stringMatching(/^[eE][+-]?[0-9]{1,3}$/), { nil: '' }),
      )
      .map((parts) => parts.join(''));
    const place = fc.constantFrom(
      (n: string) => `{"n":${n}}`,
      (n: string) => `{"a":[${n}]}`,
      (n: string) => `{"a":[1, "x",${n}]}`,
      (n: string) => `{"s":"e1", "m":{"n":${n}}}`,
    );
    fc.assert(
      fc.property(numberToken, place, fc.constantFrom('', ' ', '\n\t '), (token, at, space) => {
        const kept = findNumber(exact(at(space + token)));
        if (kept instanceof NumberValue) expect(kept.value).toBe(token);
        else expect(typeof kept === 'number' && isExactly(token, kept)).toBe(true);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('are parsed once when digits stand only inside strings, as in a UUID or a phone number', () => {
    for (const text of [
      '{"content":{"id":"550e8400-e29b-41d4-a716-446655440000","phone":"+49 1511 2345678901234"}}',
      '{"content":{"n":12,"f":0.92,"when":"2026-11-28T19:14:38Z"}}',
    ]) {
      const parsed = JSON.parse(text);
      expect(bodyValues(text, parsed).exact).toBe(parsed);
    }
    for (const text of ['{"n":1e5}', '{"a":[\n 1234567890.123456]}', '{"s":"x", "n":-0.5E-3}']) {
      const parsed = JSON.parse(text);
      expect(bodyValues(text, parsed).exact).not.toBe(parsed);
    }
  });
});

describe('numbers sent in a body, at the edges', () => {
  it('a number token that starts the text is read exactly too', () => {
    expect(exact('12345678901234567')).toEqual(NumberValue.from('12345678901234567'));
    expect(exact(' 1e400')).toEqual(NumberValue.from('1e400'));
  });

  it('stay doubles up to 2^53 - 1; beyond, the SDK takes only their text, even when a double holds them exactly', () => {
    for (const n of [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      expect(exact(`{"n":${n}}`)).toEqual({ n });
    }
    // 2^53 + 2 is a double, and no safe integer.
    for (const text of ['9007199254740994', '-9007199254740994']) {
      expect(exact(`{"n":${text}}`)).toEqual({ n: NumberValue.from(text) });
    }
  });
});

/** The one number in a parsed body, however deep. */
function findNumber(value: unknown): unknown {
  if (typeof value === 'number' || value instanceof NumberValue) return value;
  if (typeof value === 'object' && value !== null) {
    const values = Object.values(value);
    for (const inner of values.toReversed()) {
      const found = findNumber(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

describe('a body text that shows its values within limits', () => {
  const withinLimits = (text: string) => bodyValues(text, JSON.parse(text)).withinLimits;
  /** The walk's answer for a body: the bytes of content and metadata, or what it refuses. */
  const walk = (text: string) => {
    const body = exact(text) as Record<string, unknown>;
    let size = 0;
    for (const name of ['content', 'metadata']) {
      if (body[name] !== undefined) size += attributeSize(name, body[name]);
    }
    return size;
  };
  const nested = (levels: number) => `{"content":${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}}`;

  it('is one whose values the walk never refuses, and whose size is at most twice its bytes', () => {
    const json = fc.jsonValue({ depthSize: 'large' });
    const key = fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('__proto__', 'constructor', 'prototype'));
    const value = fc.oneof(json, fc.dictionary(key, json), fc.string({ unit: 'binary' }));
    const cases = runs(3000);
    let passed = 0;
    fc.assert(
      fc.property(fc.record({ content: value, metadata: value }, { requiredKeys: [] }), (body) => {
        const text = JSON.stringify(body);
        if (!withinLimits(text)) return;
        passed++;
        expect(walk(text)).toBeLessThanOrEqual(2 * Buffer.byteLength(text));
      }),
      { numRuns: cases },
    );
    // About a third of generated bodies pass the text check: the property is tested, not skipped.
    expect(passed).toBeGreaterThan(cases / 6);
  });

  it('passes a typical body and one nested as deep as DynamoDB stores, and none the walk must judge', () => {
    expect(withinLimits('{"content":{"name":"Zoë","tags":["a","b"],"n":12,"f":0.92},"metadata":null}')).toBe(true);
    expect(withinLimits(nested(MAX_NESTING_DEPTH))).toBe(true);
    expect(walk(nested(MAX_NESTING_DEPTH))).toBeGreaterThan(0);
    const refused = [
      '{"content":{"__proto__":1}}',
      '{"content":{"a":"the constructor"}}',
      '{"content":{"\\u0070rototype":1}}',
      '{"content":{"a":"\\ud800"}}',
      '{"content":{"a":"\ud800"}}',
      '{"content":{"n":12345678901234567}}',
      '{"content":{"n":1e-131}}',
      `{"content":{"a":"${'x'.repeat(65_536)}"}}`,
    ];
    for (const text of refused) expect(withinLimits(text), text).toBe(false);
  });

  it('is never judged on nesting: that is refused before any parse, by the text (below)', () => {
    expect(() => assertNestingWithinLimit(nested(MAX_NESTING_DEPTH))).not.toThrow();
    expect(() => assertNestingWithinLimit(nested(MAX_NESTING_DEPTH + 1))).toThrow(
      'content is nested more than 31 levels deep',
    );
  });

  it('is judged by its text up to exactly 65,536 code units, and walked from one more', () => {
    const ofLength = (length: number) => `{"content":{"a":"${'x'.repeat(length - 20)}"}}`;
    expect(ofLength(65_536)).toHaveLength(65_536);
    expect(withinLimits(ofLength(65_536))).toBe(true);
    expect(withinLimits(ofLength(65_537))).toBe(false);
  });

  it('at its longest cannot describe an item over the limit, with the longest learning_id', () => {
    const prefix = '{"content":{"a":[';
    const ones = '1,'.repeat((65_536 - prefix.length - 4) / 2);
    const text = `${prefix}${ones}1]}}`;
    expect(text.length).toBeLessThanOrEqual(65_536);
    expect(withinLimits(text)).toBe(true);
    const learningId = attributeSize('learning_id', 'x'.repeat(1024));
    expect(learningId + attributeSize('updated_at', 2_000_000_000) + walk(text)).toBeLessThan(MAX_ITEM_BYTES);
  });
});

describe('numbers read from DynamoDB', () => {
  it('are doubles when a double holds them exactly, raw JSON text otherwise', () => {
    expect(numberFromDynamoDb('42')).toBe(42);
    expect(numberFromDynamoDb('0.000001')).toBe(1e-6);
    expect(JSON.stringify({ n: numberFromDynamoDb('12345678901234567890123') })).toBe('{"n":12345678901234567890123}');
    // Not JSON number syntax (never sent by DynamoDB): the double is the best answer.
    expect(numberFromDynamoDb('.5')).toBe(0.5);
    expect(isExactly('1.0', 1)).toBe(true);
    expect(isExactly('0.1000000000000000055511151231257827', 0.1)).toBe(false);
  });
});

/** The UpdateItem of a whole write of empty content by a non-admin, on these preconditions. */
function wholeWriteCommand(preconditions: Preconditions) {
  return (
    updateCommands({
      table: 't',
      learningId: 'l',
      changes: (expression) => setWholeValues(expression, { content: {} }),
      principal: { userId: 'u', scopes: [], isAdmin: false },
      now: 1,
      preconditions,
      writeId: 'w',
      key: undefined,
    }) as UpdateCommands
  ).command;
}

describe('entity tags', () => {
  it('stay the same from release to release, so that a tag a client holds still names its version', () => {
    // Tags handed out before: the default database's scope and a named database's.
    expect(entityTag(etagScope(undefined, 'learnings'), 7)).toBe('"7.sCSOPjwpX2"');
    expect(entityTag(etagScope('eu', 'learnings'), 7)).toBe('"7.xNWpjPuRnY"');
  });
});

describe('If-Match with several tags', () => {
  it('accepts the record at any of the named versions, version 0 meaning "never versioned"', () => {
    const scope = '/agno_learnings';
    expect(parsePreconditions('"a", W/"b"', undefined, scope)).toEqual({ match: [] });
    const command = wholeWriteCommand({ match: [0, 3] });
    expect(command.ConditionExpression).toBe(
      '#user_id = :caller AND ((NOT attribute_type(#version, :number) OR #version = :zero) OR #version = :version2)',
    );
    expect(command.ExpressionAttributeValues?.[':version2']).toBe(3);
    expect(command.ExpressionAttributeValues?.[':number']).toBe('N');
  });
});

describe('If-None-Match', () => {
  const scope = '/agno_learnings';
  const command = (noneMatch: readonly number[] | '*') => wholeWriteCommand({ noneMatch });

  it('compares weakly, and * stands alone', () => {
    const tag = entityTag(scope, 4);
    expect(parsePreconditions(undefined, `W/${tag}, "x"`, scope)).toEqual({ noneMatch: [4] });
    expect(parsePreconditions(undefined, ' * ', scope)).toEqual({ noneMatch: '*' });
    expect(parsePreconditions(' * ', undefined, scope)).toBeUndefined();
  });

  it('is the negation of the same version condition, or that the record does not exist', () => {
    expect(command([0]).ConditionExpression).toBe(
      '#user_id = :caller AND NOT (NOT attribute_type(#version, :number) OR #version = :zero)',
    );
    expect(command([2, 5]).ConditionExpression).toBe(
      '#user_id = :caller AND NOT (#version = :notVersion1 OR #version = :notVersion2)',
    );
    expect(command([2]).ConditionExpression).toBe('#user_id = :caller AND NOT (#version = :notVersion1)');
    expect(command('*').ConditionExpression).toBe('#user_id = :caller AND attribute_not_exists(#learning_id)');
    // A list that names no version of this table excludes nothing.
    expect(command([]).ConditionExpression).toBe('#user_id = :caller');
  });
});

describe('nesting, judged on the text before any parse', () => {
  const deep = (levels: number, inside = '1') => `${'['.repeat(levels)}${inside}${']'.repeat(levels)}`;

  it('counts the levels of values, not brackets inside strings (escaped quotes included)', () => {
    const strings = `{"content":{"s":"${'['.repeat(100)}\\"${'{'.repeat(100)}","t":"\\\\"},"metadata":${deep(31)}}`;
    expect(() => JSON.parse(strings)).not.toThrow();
    expect(() => assertNestingWithinLimit(strings)).not.toThrow();
    expect(() => assertNestingWithinLimit(`{"content":{"s":"x"},"metadata":${deep(32)}}`)).toThrow(
      'metadata is nested more than 31 levels deep',
    );
  });

  it('names the body when the text is no object, and the member under which the limit is passed', () => {
    expect(() => assertNestingWithinLimit(deep(40))).toThrow('Request body is nested more than 31 levels deep');
    expect(() => assertNestingWithinLimit(` {"content":{"a":${deep(30)},"b":${deep(31)}}}`)).toThrow(/^content is/);
    expect(() => assertNestingWithinLimit(deep(33, '"many [ { brackets"').slice(1, -1))).not.toThrow();
  });
});

describe('the same JSON value, as DynamoDB stores it', () => {
  it('compares numbers by value however they are held, maps regardless of key order, lists in order', () => {
    expect(sameJsonValue({ a: 1.5, b: [1, 'x', null, true] }, { b: [1, 'x', null, true], a: 1.5 })).toBe(true);
    expect(sameJsonValue(1.5, JSON.rawJSON('1.50'))).toBe(true);
    expect(sameJsonValue(NumberValue.from('12345678901234567890'), JSON.rawJSON('12345678901234567890'))).toBe(true);
    expect(sameJsonValue(NumberValue.from('12345678901234567890'), JSON.rawJSON('12345678901234567891'))).toBe(false);
    for (const [a, b] of [
      [{ a: 1 }, { a: 1, b: 2 }],
      [
        { a: 1, c: 2 },
        { a: 1, b: 2 },
      ],
      [
        [1, 2],
        [2, 1],
      ],
      [[1], { 0: 1 }],
      [1, '1'],
      ['1', 1],
      [null, {}],
      [true, 1],
      [{ a: undefined }, {}],
    ] as const) {
      expect(sameJsonValue(a, b), JSON.stringify([a, b])).toBe(false);
    }
  });
});

describe('DynamoDB value rules at their edges', () => {
  /** What `run` refuses with: its detail and errors entries; undefined when it refuses nothing. */
  const refusalOf = (run: () => void) => {
    try {
      run();
    } catch (error) {
      return { detail: (error as Error).message, errors: (error as { errors?: unknown }).errors };
    }
    return undefined;
  };
  const refusal = (value: unknown) => refusalOf(() => attributeSize('content', value));

  it.each([
    [{ s: '\ud800' }, 'content.s', 'lone surrogate'],
    [{ '\ud800': 1 }, 'content.\ud800', 'lone surrogate'],
    [{ f: () => 1 }, 'content.f', 'not a JSON value'],
    [{ a: 1, b: { prototype: 1 } }, 'content.b.prototype', 'forbidden key'],
    [{ n: Number.NaN }, 'content.n', 'not a finite number'],
    [{ n: NumberValue.from(`1${'2'.repeat(38)}`) }, 'content.n', 'more than 38 significant digits'],
    [{ n: NumberValue.from('1e126') }, 'content.n', 'number out of range'],
  ])('a refusal names the place and the rule: %j', (value, path, message) => {
    expect(refusal(value)?.errors).toEqual([{ path, message }]);
  });

  it("numbers: DynamoDB's range is 1E-130 to 9.99E+125 in magnitude, and the size counts pairs of digits", () => {
    for (const text of ['1e125', '9.99e125', '1e-130', '-1e-130', '0e999']) {
      expect(refusal({ n: NumberValue.from(text) }), text).toBeUndefined();
    }
    for (const text of ['1e126', '1e-131']) expect(refusal({ n: NumberValue.from(text) })?.detail).toMatch(/range/);
    // One byte of exponent, one per two digits, one more when digits and exponent are both even.
    expect(attributeSize('n', 1.2)).toBe(1 + 1 + 1 + 1);
    expect(attributeSize('n', 120)).toBe(1 + 1 + 1 + 1);
    expect(attributeSize('n', 12)).toBe(1 + 1 + 1);
  });

  it('isExactly reads any notation of the same decimal, and only a whole number text', () => {
    for (const [text, value] of [
      ['1.50', 1.5],
      ['15e-1', 1.5],
      ['0.15e1', 1.5],
      ['0001.5', 1.5],
      ['-0', 0],
      ['0.000', 0],
      ['1e2', 100],
    ] as const) {
      expect(isExactly(text, value), text).toBe(true);
    }
    for (const [text, value] of [
      ['1.5x', 1.5],
      ['x1.5', 1.5],
      ['10', 1],
      ['-1', 1],
      // A double that is no decimal at all: Number('1e400') is Infinity.
      ['1e400', Number.POSITIVE_INFINITY],
      ['-1e400', Number.NEGATIVE_INFINITY],
      ['1', Number.NaN],
    ] as const) {
      expect(isExactly(text, value), text).toBe(false);
    }
  });

  it('sameJsonValue tells numbers by sign, digits and exponent, and never mistakes a number or a string for a map', () => {
    expect(sameJsonValue(NumberValue.from('-0'), 0)).toBe(true);
    // NaN is no JSON number: never the same as anything, itself included.
    expect(sameJsonValue(Number.NaN, Number.NaN)).toBe(false);
    expect(sameJsonValue(Number.NaN, 'NaN')).toBe(false);
    expect(sameJsonValue(NumberValue.from('0e5'), 0)).toBe(true);
    expect(sameJsonValue(-1, 1)).toBe(false);
    expect(sameJsonValue(10, 1)).toBe(false);
    expect(sameJsonValue(NumberValue.from('1'), { value: '1' })).toBe(false);
    expect(sameJsonValue({ value: '1' }, NumberValue.from('1'))).toBe(false);
    expect(sameJsonValue('ab', { 0: 'a', 1: 'b' })).toBe(false);
    expect(sameJsonValue({ 0: 'a', 1: 'b' }, 'ab')).toBe(false);
    expect(sameJsonValue([1, [2]], [1, [2]])).toBe(true);
    for (const [a, b] of [
      [[1], [1, 2]],
      [[1, 2], [1]],
      [
        [1, 2],
        [1, 3],
      ],
      [[], {}],
      [{}, []],
      [{ length: 0 }, []],
      [[], { length: 0 }],
    ] as const) {
      expect(sameJsonValue(a, b), JSON.stringify([a, b])).toBe(false);
    }
  });

  it('nesting: the refusal names the member and the rule; closing brackets end levels; a text that is no object names the body', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
    const caught = (text: string) => refusalOf(() => assertNestingWithinLimit(text));
    expect(caught(`{"content":{"a":${deep(32)}}}`)).toEqual({
      detail: 'content is nested more than 31 levels deep',
      errors: [{ path: 'body.content', message: 'nesting exceeds 31 levels' }],
    });
    expect(caught(`{"":${deep(40)}}`)?.errors).toEqual([{ path: 'body', message: 'nesting exceeds 31 levels' }]);
    expect(caught(`["x",${deep(40)}]`)?.detail).toBe('Request body is nested more than 31 levels deep');
    expect(caught(`{${'['.repeat(40)}`)?.detail).toBe('Request body is nested more than 31 levels deep');
    expect(caught(`{"content":{"l":[${'[],'.repeat(40)}[]]}}`)).toBeUndefined();
  });
});
