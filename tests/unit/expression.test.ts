// The UpdateItem expression builder, read as DynamoDB's expression grammar: placeholders for names and
// values, SET and REMOVE actions, AND-joined conditions, and the limits on expression parameters
// (developerguide/Constraints.html).
import { describe, expect, it } from 'vitest';
import { MAX_EXPRESSION_BYTES, MAX_UPDATE_OPERATORS, UpdateExpression } from '../../lib/write/expression.ts';

describe('UpdateExpression', () => {
  it('names an attribute by its own placeholder, or another; names a data key #m<n>, once per key', () => {
    const expression = new UpdateExpression();
    expect(expression.name('content')).toBe('#content');
    expect(expression.name('version', 'etag_version')).toBe('#version');
    expect(expression.key('a.b[0]')).toBe('#m0');
    expect(expression.key('#m0')).toBe('#m1');
    expect(expression.key('a.b[0]')).toBe('#m0');
    expect(expression.build().ExpressionAttributeNames).toEqual({
      '#content': 'content',
      '#version': 'etag_version',
      '#m0': 'a.b[0]',
      '#m1': '#m0',
    });
  });

  it('holds only the values its expressions use: a labelled value, and data values :m<n> in order', () => {
    const expression = new UpdateExpression();
    expect(expression.value('caller', 'alice')).toBe(':caller');
    expect(expression.dataValue({ a: 1 })).toBe(':m0');
    expect(expression.dataValue(2)).toBe(':m1');
    expect(expression.build().ExpressionAttributeValues).toEqual({ ':caller': 'alice', ':m0': { a: 1 }, ':m1': 2 });
  });

  it('writes SET actions, then REMOVE actions, each comma-separated; conditions joined by AND', () => {
    const expression = new UpdateExpression();
    expression.set('#a', ':a');
    expression.remove('#b');
    expression.set('#c', 'if_not_exists(#c, :zero) + :one', 2);
    expression.remove('#d');
    expression.condition('attribute_exists(#a)');
    expect(expression.conditionCount()).toBe(1);
    expression.condition('#c = :c');
    expect(expression.build()).toMatchObject({
      UpdateExpression: 'SET #a = :a, #c = if_not_exists(#c, :zero) + :one REMOVE #b, #d',
      ConditionExpression: 'attribute_exists(#a) AND #c = :c',
    });
    expect(expression.conditionCount()).toBe(2);
  });

  it('an expression string of exactly 4 KB fits, one byte more does not, for either expression', () => {
    const update = (bytes: number) => {
      const expression = new UpdateExpression();
      // 'SET ' and ' = :v' around the path.
      expression.set(`#${'p'.repeat(bytes - 'SET  = :v'.length - 1)}`, ':v');
      return expression;
    };
    expect(update(MAX_EXPRESSION_BYTES).build().UpdateExpression).toHaveLength(MAX_EXPRESSION_BYTES);
    expect(update(MAX_EXPRESSION_BYTES).fits()).toBe(true);
    expect(update(MAX_EXPRESSION_BYTES + 1).fits()).toBe(false);
    const condition = (bytes: number) => {
      const expression = new UpdateExpression();
      expression.set('#a', ':a');
      expression.condition(`attribute_exists(#${'c'.repeat(bytes - 'attribute_exists(#)'.length)})`);
      return expression;
    };
    expect(condition(MAX_EXPRESSION_BYTES).build().ConditionExpression).toHaveLength(MAX_EXPRESSION_BYTES);
    expect(condition(MAX_EXPRESSION_BYTES).fits()).toBe(true);
    expect(condition(MAX_EXPRESSION_BYTES + 1).fits()).toBe(false);
  });

  it('counts bytes, not characters: a path of multi-byte characters is counted in UTF-8', () => {
    const expression = new UpdateExpression();
    expression.set(`#${'é'.repeat(2045)}`, ':v');
    expect(expression.build().UpdateExpression.length).toBeLessThan(MAX_EXPRESSION_BYTES);
    expect(expression.fits()).toBe(false);
  });

  it('at most 300 operators and functions in the update expression: each action, and what its operand uses', () => {
    const withActions = (actions: number, extra = 0) => {
      const expression = new UpdateExpression();
      for (let index = 0; index < actions; index++) expression.remove(`#${index}`);
      if (extra > 0) expression.set('#v', 'if_not_exists(#v, :zero) + :one', extra);
      return expression;
    };
    expect(withActions(MAX_UPDATE_OPERATORS).fits()).toBe(true);
    expect(withActions(MAX_UPDATE_OPERATORS + 1).fits()).toBe(false);
    expect(withActions(MAX_UPDATE_OPERATORS - 3, 2).fits()).toBe(true);
    expect(withActions(MAX_UPDATE_OPERATORS - 2, 2).fits()).toBe(false);
  });
});

describe('the whole write against the limits', () => {
  it('falls back when only the write that takes over a foreign counter would pass 4 KB', async () => {
    const { updateCommands } = await import('../../lib/write/update-command.ts');
    const attempt = (conditionBytes: number) => ({
      table: 't',
      learningId: 'l',
      principal: { userId: 'u', scopes: [], isAdmin: true },
      now: 1,
      preconditions: undefined,
      writeId: 'w',
      key: undefined,
      changes: (expression: UpdateExpression) => {
        expression.set('#a', ':a');
        // 'attribute_exists(#learning_id) AND ' comes first: 35 bytes.
        expression.condition(`attribute_exists(#${'c'.repeat(conditionBytes - 35 - 'attribute_exists(#)'.length)})`);
        return true;
      },
    });
    const fitting = updateCommands(attempt(MAX_EXPRESSION_BYTES - 42));
    expect(fitting?.command.ConditionExpression).toHaveLength(MAX_EXPRESSION_BYTES - 42);
    expect(fitting?.takingOverCounter().ConditionExpression).toHaveLength(MAX_EXPRESSION_BYTES);
    expect(updateCommands(attempt(MAX_EXPRESSION_BYTES - 41))).toBeUndefined();
  });
});
