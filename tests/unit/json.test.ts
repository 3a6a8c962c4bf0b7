// The JSON walker every answer and every value written back goes through.
import { describe, expect, it } from 'vitest';
import { isJsonObject, mapJsonLeaves, ownMember } from '../../lib/json.ts';
import { wholeReplacePlan } from '../../lib/write/whole-replace.ts';

describe('mapJsonLeaves', () => {
  const double = (value: unknown) => (typeof value === 'number' ? value * 2 : value);

  it('returns a value with nothing to convert as itself, at every depth: no copy', () => {
    const value = { a: [1, 'x', { b: [true, null] }], c: { d: 'y' } };
    const same = mapJsonLeaves(value, (leaf) => leaf);
    expect(same).toBe(value);
    const list = ['x', ['y']];
    expect(mapJsonLeaves(list, (leaf) => leaf)).toBe(list);
  });

  it('copies only the containers on the way to a converted leaf, and shares the rest', () => {
    const untouched = { keep: ['x'] };
    const value = { a: [1, 'x'], untouched, list: ['y', 2] };
    const mapped = mapJsonLeaves(value, double) as typeof value;
    expect(mapped).toEqual({ a: [2, 'x'], untouched: { keep: ['x'] }, list: ['y', 4] });
    expect(mapped).not.toBe(value);
    expect(mapped.untouched).toBe(untouched);
    expect(value).toEqual({ a: [1, 'x'], untouched, list: ['y', 2] });
  });

  it('sets a converted member named __proto__ as a member, never as the prototype', () => {
    const mapped = mapJsonLeaves(JSON.parse('{"__proto__": 1}'), double) as Record<string, unknown>;
    expect(Object.getPrototypeOf(mapped)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(mapped, '__proto__')?.value).toBe(2);
  });
});

describe('isJsonObject and ownMember', () => {
  it('a plain object only; an own member only', () => {
    expect([{}, JSON.parse('{"a":1}')].map(isJsonObject)).toEqual([true, true]);
    expect([null, undefined, 1, 'a', [], new Set(), Object.create(null)].map(isJsonObject)).toEqual(
      Array(7).fill(false),
    );
    expect(ownMember({ a: 1 }, 'a')).toBe(1);
    expect(ownMember({}, 'constructor')).toBeUndefined();
  });
});

describe('wholeReplacePlan', () => {
  it('computes the same values whatever the record holds: they replace it whole', () => {
    const changes = { content: { a: 1 }, metadata: null };
    expect(wholeReplacePlan(changes).valuesFrom({ content: { b: 2 }, metadata: { m: 1 } })).toBe(changes);
  });
});
