// The body as application/json: each field it names replaces the stored one whole. The values do not
// depend on what the record holds, so the write is always one UpdateItem, and a refused write is answered
// as refused rather than tried again.
import type { LearningChanges } from '../learning.ts';
import type { WritePlan } from './engine.ts';
import type { UpdateExpression } from './expression.ts';

export function wholeReplacePlan(changes: LearningChanges): WritePlan {
  return {
    paths: (expression) => setWholeValues(expression, changes),
    valuesFrom: () => changes,
    retries: false,
  };
}

/** SETs each field the changes name to its whole value (metadata null clears the field). */
export function setWholeValues(expression: UpdateExpression, changes: LearningChanges): true {
  for (const field of ['content', 'metadata'] as const) {
    const value = changes[field];
    if (value !== undefined) expression.set(expression.name(field), expression.value(field, value));
  }
  return true;
}
