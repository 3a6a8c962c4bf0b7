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
import { randomUUID } from 'node:crypto';
import { storable } from '../dynamodb.ts';
import { isJsonObject, type JsonObject } from '../json.ts';
import { applyJsonPatch, JsonPatchConflict, type JsonPatchOperation } from '../json-patch.ts';
import type { LearningChanges } from '../learning.ts';
import { WRITE_ATTRIBUTE } from '../service-attributes.ts';
import { WriteConflict, type WritePlan } from './engine.ts';
import type { UpdateExpression } from './expression.ts';

export function jsonPatchPlan(operations: readonly JsonPatchOperation[]): WritePlan {
  const writeId = randomUUID();
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
      const changes: LearningChanges = {};
      if (patched.content !== stored.content) changes.content = storable(patched.content) as JsonObject;
      if (patched.metadata !== stored.metadata) changes.metadata = storable(patched.metadata) as JsonObject | null;
      return changes;
    },
    retries: true,
    holdsThisWrite: (item) => item[WRITE_ATTRIBUTE] === writeId,
    writeId,
    // An append applied twice stores its element twice.
    writesOnce: true,
  };
}

// RFC 6901 §4: an array index is 0, or digits without a leading zero.
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;
// An attribute name DynamoDB documents without ambiguity: 1 to 255 bytes.
const MAX_PATH_KEY_BYTES = 255;

/** A pointer as a DynamoDB document path: the field, then `.#mN` for a member and `[i]` for an element. */
interface DocumentPath {
  text: string;
  /** The path of the list or map that holds the last token; undefined for a field itself. */
  parent: DocumentPath | undefined;
  /** The last token names a list element (an index), rather than a map member. */
  element: boolean;
  /** The pointer's tokens, to tell which operations touch the same values. */
  tokens: readonly string[];
}

/**
 * Adds the patch as the actions and conditions of one UpdateItem, or answers false when it cannot be (see
 * the module's comment). Each operation is checked against the ones before it: an operation whose path
 * meets a path an earlier one wrote, or a list an earlier one wrote into, would read that earlier result,
 * which one UpdateItem cannot show it.
 */
function jsonPatchPaths(operations: readonly JsonPatchOperation[], expression: UpdateExpression): boolean {
  const written: (readonly string[])[] = [];
  for (const operation of operations) {
    if (operation.op === 'move' || operation.op === 'copy') return false;
    const path = documentPath(operation.path.tokens, expression);
    if (path === undefined) return false;
    if (written.some((earlier) => dependsOn(path, earlier))) return false;
    if (!addOperation(operation, path, expression)) return false;
    if (operation.op !== 'test') written.push(path.element ? path.tokens.slice(0, -1) : path.tokens);
  }
  return true;
}

/** Whether an operation at `path` meets a path an earlier one wrote (or the list it wrote into). */
function dependsOn(path: DocumentPath, written: readonly string[]): boolean {
  const shorter = Math.min(path.tokens.length, written.length);
  return path.tokens.slice(0, shorter).every((token, index) => token === written[index]);
}

/** The operation's action or condition; false when it has none that means the same. */
function addOperation(operation: JsonPatchOperation, path: DocumentPath, expression: UpdateExpression): boolean {
  const { parent } = path;
  const last = path.tokens.at(-1);
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
        expression.condition(`attribute_type(${parent.text}, ${expression.value('list', 'L')})`);
        expression.set(parent.text, `list_append(${parent.text}, ${expression.dataValue([operation.value])})`, 1);
        return true;
      }
      // An insert before an element moves the ones after it: that takes the stored item.
      if (path.element) return false;
      expression.condition(`attribute_type(${parent.text}, ${expression.value('map', 'M')})`);
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
  const [field, ...rest] = tokens;
  let path: DocumentPath = {
    text: expression.name(field as string),
    parent: undefined,
    element: false,
    tokens: [field as string],
  };
  for (const [index, token] of rest.entries()) {
    const done = path.tokens.concat(token);
    if (token === '-') {
      if (index !== rest.length - 1) return undefined;
      path = { text: `${path.text}[-]`, parent: path, element: true, tokens: done };
    } else if (ARRAY_INDEX.test(token) && token.length < 10) {
      path = { text: `${path.text}[${token}]`, parent: path, element: true, tokens: done };
    } else {
      const bytes = Buffer.byteLength(token);
      if (bytes === 0 || bytes > MAX_PATH_KEY_BYTES) return undefined;
      path = { text: `${path.text}.${expression.key(token)}`, parent: path, element: false, tokens: done };
    }
  }
  return path;
}
