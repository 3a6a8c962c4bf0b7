// JSON Patch (RFC 6902), the body as application/json-patch+json: operations applied in order, all or none
// (lib/json-patch.ts reads and applies them). A patch is written as document paths in one UpdateItem when
// each operation maps onto one action or condition whose meaning does not depend on the operations before
// it: an append is list_append, which never conflicts with another append; a member set, replaced or
// removed, or an element replaced or removed, is conditioned on what the operation needs to find there; a
// test is a condition. Conditions read the item as it was before the update, and DynamoDB applies every
// action to that item too (developerguide/Expressions.UpdateExpressions.html), so operations that depend
// on each other (two on one list, one under a path an earlier one wrote), an insert in the middle of a
// list, a copy or a move, and a test of an object or a list (dynalite compares those by reference) take
// the other way: the patch is applied to the stored item here and written whole under its version.
import { storableChanges } from '../dynamodb.ts';
import { isJsonObject, type JsonObject } from '../json.ts';
import { ARRAY_INDEX, applyJsonPatch, JsonPatchConflict, type JsonPatchOperation } from '../json-patch.ts';
import { WriteConflict, type WritePlan } from './engine.ts';
import { isAttributeName, type UpdateExpression } from './expression.ts';

export function jsonPatchPlan(operations: readonly JsonPatchOperation[]): WritePlan {
  return {
    // Once an attempt has failed, the item it returned shows whether the patch applies: it is applied here.
    paths: (expression, stored) => stored === undefined && jsonPatchPaths(operations, expression),
    valuesFrom: (stored) => {
      let patched: ReturnType<typeof applyJsonPatch>;
      try {
        patched = applyJsonPatch({ content: stored.content, metadata: stored.metadata }, operations);
      } catch (error) {
        if (error instanceof JsonPatchConflict) throw new WriteConflict(error.detail);
        throw error;
      }
      // Only the fields the patch changed are written: applyJsonPatch returns the others as they were.
      return storableChanges({
        content: patched.content === stored.content ? undefined : (patched.content as JsonObject),
        metadata: patched.metadata === stored.metadata ? undefined : (patched.metadata as JsonObject | null),
      });
    },
    retries: true,
  };
}

/** A pointer as a DynamoDB document path: the field, then `.#mN` for a member and `[i]` for an element. */
interface DocumentPath {
  text: string;
  /** The path of the list or map that holds the last token; undefined for a field itself. */
  parent: DocumentPath | undefined;
  /** The pointer's tokens, to tell which operations touch the same values. */
  tokens: readonly string[];
  /** For each token, whether it names a list element (an index or '-') rather than a map member. */
  elements: readonly boolean[];
}

/**
 * Adds the patch as the actions and conditions of one UpdateItem, or answers false when it cannot be (see
 * the module's comment). Each operation is checked against the ones before it: an operation whose path
 * meets a path an earlier one wrote, or a list an earlier one wrote into, would read that earlier result,
 * which one UpdateItem cannot show it.
 */
export function jsonPatchPaths(operations: readonly JsonPatchOperation[], expression: UpdateExpression): boolean {
  const written: DocumentPath[] = [];
  for (const operation of operations) {
    if (operation.op === 'move' || operation.op === 'copy') return false;
    const path = documentPath(operation.path.tokens, expression);
    // '-' names the end of a list only for add (RFC 6902 §4.1); on a map it is a member's name.
    if (path === undefined || (path.tokens.at(-1) === '-' && operation.op !== 'add')) return false;
    if (written.some((earlier) => dependsOn(path, earlier))) return false;
    if (!addOperation(operation, path, expression)) return false;
    if (operation.op !== 'test') written.push(path);
  }
  return true;
}

/**
 * Whether an operation at `path` depends on an earlier write at `written`: it meets that path, or the list
 * that write changed; or the two read one value, one as a list and one as a map, which DynamoDB refuses in
 * one update expression ("Two document paths conflict").
 */
function dependsOn(path: DocumentPath, written: DocumentPath): boolean {
  // A write into a list (an element, or '-') changes the whole list: its path is the list's.
  const writtenTokens = written.elements.at(-1) === true ? written.tokens.slice(0, -1) : written.tokens;
  for (let index = 0; index < Math.min(path.tokens.length, writtenTokens.length); index++) {
    if (path.tokens[index] !== writtenTokens[index]) return path.elements[index] !== written.elements[index];
  }
  return true;
}

/** The operation's action or condition; false when it has none that means the same. */
function addOperation(operation: JsonPatchOperation, path: DocumentPath, expression: UpdateExpression): boolean {
  const { parent } = path;
  const last = path.tokens.at(-1);
  // The path reads its last token as an index or a member name: the parent must be a list or a map to match.
  // A failed condition is checked before any action (on a path that does not match, an action would be
  // an error rather than a refusal), and the stored item then shows what is there.
  if (parent !== undefined) {
    const type = path.elements.at(-1) === true ? expression.value('list', 'L') : expression.value('map', 'M');
    expression.condition(`attribute_type(${parent.text}, ${type})`);
  }
  switch (operation.op) {
    case 'test':
      return addTest(path.text, operation.value, expression);
    case 'add':
      if (parent === undefined) {
        expression.set(path.text, expression.dataValue(operation.value));
        return true;
      }
      if (last === '-') {
        // RFC 6902 §4.1: '-' appends to the array; DynamoDB's list_append adds to the list as it is then.
        expression.set(parent.text, `list_append(${parent.text}, ${expression.dataValue([operation.value])})`, 1);
        return true;
      }
      // An insert before an element moves the ones after it: that takes the stored item.
      if (path.elements.at(-1) === true) return false;
      expression.set(path.text, expression.dataValue(operation.value));
      return true;
    case 'replace':
      // DynamoDB sets an element past a list's end by appending it: the element must exist.
      expression.condition(`attribute_exists(${path.text})`);
      expression.set(path.text, expression.dataValue(operation.value));
      return true;
    default:
      // remove. DynamoDB ignores REMOVE of an element past a list's end: the value must exist.
      expression.condition(`attribute_exists(${path.text})`);
      expression.remove(path.text);
      return true;
  }
}

/**
 * RFC 6902 §4.6 as a condition: a string, number or boolean is compared with `=`, which DynamoDB applies to
 * numbers by value; null by its type. An object or an array takes the stored item.
 */
function addTest(path: string, value: unknown, expression: UpdateExpression): boolean {
  if (value === null) {
    expression.condition(`attribute_type(${path}, ${expression.value('null', 'NULL')})`);
    return true;
  }
  if (Array.isArray(value) || isJsonObject(value)) return false;
  expression.condition(`${path} = ${expression.dataValue(value)}`);
  return true;
}

/**
 * The document path of a pointer's tokens, or undefined when a key is no attribute name (empty, or over
 * 255 bytes), or '-' stands anywhere but last. A token of digits is read as a list index: on a map that
 * holds such a key, the operation's condition fails and the stored item is patched instead.
 */
function documentPath(tokens: readonly string[], expression: UpdateExpression): DocumentPath | undefined {
  const [field, ...rest] = tokens as [string, ...string[]];
  let path: DocumentPath = { text: expression.name(field), parent: undefined, tokens: [field], elements: [false] };
  for (const [index, token] of rest.entries()) {
    const parent = path;
    const step = (text: string, element: boolean): DocumentPath => ({
      text,
      parent,
      tokens: [...parent.tokens, token],
      elements: [...parent.elements, element],
    });
    if (token === '-') {
      // The end of a list, for an append: list_append writes the parent, never this path.
      if (index !== rest.length - 1) return undefined;
      path = step(`${parent.text}[-]`, true);
    } else if (ARRAY_INDEX.test(token) && token.length < 10) {
      path = step(`${parent.text}[${token}]`, true);
    } else {
      if (!isAttributeName(token)) return undefined;
      path = step(`${parent.text}.${expression.key(token)}`, false);
    }
  }
  return path;
}
