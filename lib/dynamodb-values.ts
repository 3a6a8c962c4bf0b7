// What a JSON value must satisfy to be stored in DynamoDB as it was sent, checked before any call so that
// a value DynamoDB would refuse (or silently change) is a 422/413 for the caller instead of a 500.
// Sizes follow DynamoDB's item size rules: UTF-8 bytes for names and strings, 3 bytes per map or list
// plus 1 per element, numbers by their significant digits.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from './errors.ts';

export const MAX_ITEM_BYTES = 400 * 1024;
/**
 * Maps and lists one attribute may nest, its own map counted: DynamoDB's documented "32 levels" count the
 * scalar at the bottom too. Captured against DynamoDB proper, an attribute of 31 nested maps is stored and
 * one of 32 refused ("Nesting Levels have exceeded supported limits"): github.com/nubo-db/dynoxide issue
 * #110 (eu-west-2, both PutItem and UpdateItem values), and github.com/ExtendDB/extenddb pull request #123
 * ("32 total nesting levels (31 wrappers above a scalar)"). dynalite and moto store deeper values.
 */
export const MAX_NESTING_DEPTH = 31;
const MAX_SIGNIFICANT_DIGITS = 38;
const MAX_EXPONENT = 125;
const MIN_EXPONENT = -130;
/** The keys a body may hold nowhere: in a value (refused here) or a JSON Patch pointer (lib/json-patch.ts). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A decimal number as DynamoDB sees it: significant digits (no leading or trailing zeros) × 10^exponent. */
interface Decimal {
  negative: boolean;
  /** '' for zero. */
  digits: string;
  /** Power of ten of the first significant digit. */
  exponent: number;
}

const JSON_NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

function parseDecimal(text: string): Decimal | undefined {
  const match = JSON_NUMBER.exec(text);
  if (match === null) return undefined;
  // The sign and the integer part always match (the sign perhaps as ''); the fraction and exponent may not.
  const [, sign, integer, fraction = '', exponent] = match as unknown as [string, string, string, string?, string?];
  const allDigits = integer + fraction;
  // charCodeAt outside the digits is NaN, no zero: both scans stop there (an all-zero text slices to '').
  let leadingZeros = 0;
  while (allDigits.charCodeAt(leadingZeros) === 48) leadingZeros++;
  let end = allDigits.length;
  while (allDigits.charCodeAt(end - 1) === 48) end--;
  const digits = allDigits.slice(leadingZeros, end);
  return {
    negative: sign === '-' && digits !== '',
    digits,
    exponent: digits === '' ? 0 : integer.length - leadingZeros - 1 + Number(exponent ?? 0),
  };
}

function sameDecimal(a: Decimal, b: Decimal): boolean {
  return a.negative === b.negative && a.digits === b.digits && a.exponent === b.exponent;
}

/**
 * JSON.parse turns every number into a double, which silently rounds numbers with more than 15
 * significant digits and turns 1e-400 into 0. A body that may hold such a number (a number token of
 * 16 or more digits and dots, or with an exponent) is parsed again with each number's source text, so
 * that a number a double cannot hold exactly is stored as written (DynamoDB keeps 38 digits) or
 * refused, never altered. A number token starts the text or follows a colon, bracket or comma (and
 * maybe whitespace): digits inside a string, as in a UUID ("…-4e7a-…") or a phone number, cost no
 * second parse unless they look like such a token themselves.
 */
const MAY_HOLD_INEXACT_NUMBER = /(?:^|[:[,])\s*-?(?:[0-9.]{16}|[0-9.]+[eE])/;

/** A body's values, read from its text once. */
export interface BodyValues {
  /** JSON.parse's result, or the text parsed again keeping numbers exact where a double would not. */
  exact: unknown;
  /**
   * Whether the text alone shows every value within DynamoDB's limits, so that attributeSize could refuse
   * none of them and need not walk them (see withinLimitsByText).
   */
  withinLimits: boolean;
}

/** `parsed` is JSON.parse(text). The number-token scan decides both the second parse and part of the limits. */
export function bodyValues(text: string, parsed: unknown): BodyValues {
  if (!MAY_HOLD_INEXACT_NUMBER.test(text)) return { exact: parsed, withinLimits: withinLimitsByText(text) };
  const exact = JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    // Stryker disable next-line ConditionalExpression,OptionalChaining: equivalent on Node 22, which gives every number its source
    if (typeof value !== 'number' || context?.source === undefined) return value;
    // Beyond 2^53 the SDK refuses JS numbers (rightly: most are rounded); keep the text, exact or not.
    if (Math.abs(value) <= Number.MAX_SAFE_INTEGER && isExactly(context.source, value)) return value;
    return NumberValue.from(context.source);
  });
  return { exact, withinLimits: false };
}

/** Whether the double `value` is exactly the decimal number `text` (in any notation). */
export function isExactly(text: string, value: number): boolean {
  const asDouble = String(value);
  // Stryker disable next-line ConditionalExpression: speed only, the comparison below agrees but parses both texts, for every number read back from DynamoDB
  if (asDouble === text) return true;
  const written = parseDecimal(text);
  // Infinity and NaN have no decimal text.
  const read = parseDecimal(asDouble);
  return written !== undefined && read !== undefined && sameDecimal(written, read);
}

/** A number's decimal text, whichever way it is held: a double, a NumberValue, or raw JSON read back. */
function numberText(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (value instanceof NumberValue) return value.value;
  return JSON.isRawJSON(value) ? JSON.stringify(value) : undefined;
}

/** Whether two number texts are the same number; a text that is no JSON number (NaN, none) is none. */
function sameNumber(aText: string | undefined, bText: string | undefined): boolean {
  const a = parseDecimal(String(aText));
  const b = parseDecimal(String(bText));
  return a !== undefined && b !== undefined && sameDecimal(a, b);
}

/**
 * Whether two JSON values are the same as DynamoDB stores them: numbers by value (1.50 is 1.5, however each
 * is held), maps whatever their key order (DynamoDB keeps none).
 */
export function sameJsonValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const aNumber = numberText(a);
  const bNumber = numberText(b);
  // A number equals only a number: a NumberValue is an object, but never the same as a map.
  if (aNumber !== undefined || bNumber !== undefined) {
    return sameNumber(aNumber, bNumber);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((element, index) => sameJsonValue(element, b[index]))
    );
  }
  const aMap = a as Record<string, unknown>;
  const bMap = b as Record<string, unknown>;
  const keys = Object.keys(aMap);
  return (
    keys.length === Object.keys(bMap).length &&
    keys.every((key) => Object.hasOwn(bMap, key) && sameJsonValue(aMap[key], bMap[key]))
  );
}

// A body text at most this long (in UTF-16 code units, at most 3 UTF-8 bytes each: 196,608 bytes) cannot
// describe content and metadata over the item limit: DynamoDB counts a JSON value at most twice the bytes
// of its text (a one-digit number, 2 bytes for 1; a list element, 1 byte for its comma), so at most
// 393,216 bytes, plus at most 1,051 for learning_id and updated_at: under 409,600.
const MAX_TEXT_LENGTH_WITHIN_SIZE = 65_536;
const ESCAPED_CODE_UNIT = '\\u';

/**
 * For a body text that holds no number token that may be inexact (MAY_HOLD_INEXACT_NUMBER: every number
 * then has at most 15 digits and no exponent, far inside DynamoDB's 38 digits and 1E-130 to 9.99E+125):
 * whether the text alone shows that every value parsed from it is within DynamoDB's limits. A few scans of
 * the text cost a fraction of the walk (see bench/README.md), and nearly every body passes them (nesting
 * was checked before the text was parsed: assertNestingWithinLimit):
 * - no \u escape: every key and string is written out, so none hides a forbidden key, and a well-formed
 *   text holds no lone surrogate;
 * - no forbidden key's name anywhere;
 * - at most 65,536 code units, so the item cannot exceed 400 KB (above).
 */
function withinLimitsByText(text: string): boolean {
  if (text.length > MAX_TEXT_LENGTH_WITHIN_SIZE || text.includes(ESCAPED_CODE_UNIT) || !text.isWellFormed()) {
    return false;
  }
  for (const key of FORBIDDEN_KEYS) if (text.includes(key)) return false;
  return true;
}

// The body's own object, then content or metadata (level 1) and the levels inside them.
const MAX_BODY_NESTING = MAX_NESTING_DEPTH + 1;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Refuses a body text that nests values deeper than DynamoDB stores, before anything parses it: a parse
 * with a reviver recurses once per level, and a few thousand levels in a few KB of text would exhaust the
 * stack (a RangeError, a 500). A text with no more opening brackets than the limit, strings included,
 * cannot nest deeper, and is not scanned.
 */
export function assertNestingWithinLimit(text: string): void {
  // Stryker disable StringLiteral,ConditionalExpression,EqualityOperator,UnaryOperator,LogicalOperator,ArithmeticOperator: speed only, the count only spares most texts the scan below, which alone decides
  let brackets = 0;
  for (const bracket of '{[') {
    for (
      let at = text.indexOf(bracket);
      at !== -1 && brackets <= MAX_BODY_NESTING;
      at = text.indexOf(bracket, at + 1)
    ) {
      brackets++;
    }
  }
  if (brackets <= MAX_BODY_NESTING) return;
  // Stryker restore StringLiteral,ConditionalExpression,EqualityOperator,UnaryOperator,LogicalOperator,ArithmeticOperator
  const inObject = text.trimStart().charCodeAt(0) === OPEN_BRACE;
  let depth = 0;
  // The last string at the body's own level: the name of the member being read.
  let member = '';
  // Stryker disable next-line EqualityOperator: equivalent, charCodeAt past the end is NaN, no bracket
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      const start = at;
      // Stryker disable next-line EqualityOperator: equivalent, charCodeAt past the end is NaN, neither backslash nor quote
      for (at++; at < text.length; at++) {
        const inner = text.charCodeAt(at);
        if (inner === BACKSLASH) at++;
        else if (inner === QUOTE) break;
      }
      if (depth === 1) member = text.slice(start + 1, Math.min(at, start + 101));
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > MAX_BODY_NESTING) {
        const where = inObject && member !== '' ? member : 'Request body';
        throw new ValidationError(`${where} is nested more than ${MAX_NESTING_DEPTH} levels deep`, [
          {
            path: inObject && member !== '' ? `body.${member}` : 'body',
            message: `nesting exceeds ${MAX_NESTING_DEPTH} levels`,
          },
        ]);
      }
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
}

/** Size in bytes DynamoDB charges for a top-level attribute `name` holding `value`. */
export function attributeSize(name: string, value: unknown): number {
  return Buffer.byteLength(name) + valueBytes(value, name);
}

/** Size in bytes DynamoDB charges for `value`, its refusals naming it `path`. */
export function valueBytes(value: unknown, path: string): number {
  return valueSize(value, [path]);
}

// The path to the value being sized, as keys and indexes; joined into text only for an error message,
// so that a valid body (nearly every body) costs no string building.
type Trail = (string | number)[];

function describe(trail: Trail): string {
  return trail
    .map((step, index) => (typeof step === 'number' ? `[${step}]` : index === 0 ? step : `.${step}`))
    .join('');
}

function refuse(trail: Trail, detail: (path: string) => string, message: string): ValidationError {
  const path = describe(trail);
  return new ValidationError(detail(path), [{ path, message }]);
}

function valueSize(value: unknown, trail: Trail): number {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed())
        throw refuse(trail, (path) => `${path} holds a string that is not valid Unicode`, 'lone surrogate');
      return Buffer.byteLength(value);
    case 'number':
      return numberSize(String(value), trail);
    case 'boolean':
      return 1;
    case 'object':
      if (value === null) return 1;
      if (value instanceof NumberValue) return numberSize(value.value, trail);
      return Array.isArray(value) ? listSize(value, trail) : mapSize(value as Record<string, unknown>, trail);
    default:
      throw refuse(trail, (path) => `${path} is not a JSON value`, 'not a JSON value');
  }
}

function listSize(list: readonly unknown[], trail: Trail): number {
  let size = 3;
  for (let index = 0; index < list.length; index++) {
    trail.push(index);
    size += 1 + valueSize(list[index], trail);
    trail.pop();
  }
  return size;
}

function mapSize(map: Record<string, unknown>, trail: Trail): number {
  let size = 3;
  for (const key of Object.keys(map)) {
    trail.push(key);
    if (FORBIDDEN_KEYS.has(key))
      throw refuse(trail, (path) => `Key '${key}' is not allowed (at ${path})`, 'forbidden key');
    if (!key.isWellFormed())
      throw refuse(trail, (path) => `${path} has a key that is not valid Unicode`, 'lone surrogate');
    size += 1 + Buffer.byteLength(key) + valueSize(map[key], trail);
    trail.pop();
  }
  return size;
}

function numberSize(text: string, trail: Trail): number {
  const decimal = parseDecimal(text);
  if (decimal === undefined) throw refuse(trail, (path) => `${path} is not a finite number`, 'not a finite number');
  const { digits, exponent, negative } = decimal;
  if (digits.length > MAX_SIGNIFICANT_DIGITS) {
    throw refuse(
      trail,
      (path) => `${path} has more than ${MAX_SIGNIFICANT_DIGITS} significant digits`,
      `more than ${MAX_SIGNIFICANT_DIGITS} significant digits`,
    );
  }
  // Zero's exponent is 0, inside the range.
  if (exponent > MAX_EXPONENT || exponent < MIN_EXPONENT) {
    throw refuse(
      trail,
      (path) => `${path} is outside DynamoDB's number range (magnitude 1E-130 to 9.99E+125)`,
      'number out of range',
    );
  }
  if (digits === '') return 1;
  // DynamoDB packs two digits per byte, plus a byte of exponent and one for the sign of a negative number.
  const padding = digits.length % 2 === 0 && exponent % 2 === 0 ? 1 : 0;
  return 1 + Math.ceil(digits.length / 2) + padding + (negative ? 1 : 0);
}
