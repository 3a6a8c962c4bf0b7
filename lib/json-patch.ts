// JSON Patch (RFC 6902), the body as application/json-patch+json: a list of operations applied in order to
// the learning's content and metadata, all or none. This module only reads and applies a patch; it knows
// nothing of DynamoDB. Pointers are JSON Pointers (RFC 6901), and each must lie under /content or /metadata:
// the other fields of a learning are never written by a patch.
import { FORBIDDEN_KEYS, sameJsonValue } from './dynamodb-values.ts';
import { type FieldError, ValidationError } from './errors.ts';
import { isJsonObject, type JsonObject, ownMember } from './json.ts';
import { IDENTITY_FIELDS } from './schemas.ts';

/** A JSON Pointer as sent, and its reference tokens, unescaped (RFC 6901 §3, §4). */
export interface JsonPointer {
  readonly text: string;
  readonly tokens: readonly string[];
}

export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: JsonPointer; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: JsonPointer }
  | { readonly op: 'move' | 'copy'; readonly path: JsonPointer; readonly from: JsonPointer };

/** The fields a patch applies to. A field that is undefined is absent from the patched document. */
export interface PatchedFields {
  content: unknown;
  metadata: unknown;
}

/** An operation that cannot be applied to the document as it is (RFC 6902 §5): the patch changes nothing. */
export class JsonPatchConflict extends Error {
  override readonly name = 'JsonPatchConflict';
  /** The operation's position in the patch, from 0. */
  readonly operationIndex: number;
  /** What went wrong, naming only the operation and the pointers the caller sent: safe to answer. */
  readonly detail: string;

  constructor(operationIndex: number, detail: string) {
    super(detail);
    this.operationIndex = operationIndex;
    this.detail = detail;
  }
}

type OperationName = JsonPatchOperation['op'];
const OPERATIONS: ReadonlySet<string> = new Set<OperationName>(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const FIELDS: ReadonlySet<string> = new Set(['content', 'metadata']);
const NOT_A_PATCH = 'Request body must be a JSON Patch: an array of operations';
const CONTENT_NOT_OBJECT = 'content must be a JSON object';
const METADATA_NOT_OBJECT = 'metadata must be a JSON object or null';
// RFC 6901 §3: '~' only ever starts the escapes ~0 and ~1.
const BAD_ESCAPE = /~(?![01])/;
// RFC 6901 §4: an array index is 0, or digits without a leading zero; nothing else names an element.
export const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/** One problem of a patch document: where it is, what it is, and the detail it gives when it is the first. */
interface Problem extends FieldError {
  detail: string;
}

/**
 * Reads a JSON Patch document (RFC 6902 §3, §4), or throws a 422 listing every problem, its detail the
 * first. Members an operation does not use are ignored (§4); the contract's rules that a pointer can check
 * alone are checked here, before anything is read from the database.
 */
export function parseJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) throw new ValidationError(NOT_A_PATCH, [{ path: 'body', message: NOT_A_PATCH }]);
  const problems: Problem[] = [];
  const operations = body.map((element: unknown, index) => parseOperation(element, index, problems));
  const [first] = problems;
  if (first !== undefined) {
    throw new ValidationError(
      first.detail,
      problems.map(({ path, message }) => ({ path, message })),
    );
  }
  return operations as JsonPatchOperation[];
}

/** One operation, or undefined once its problems are added to `problems`. */
function parseOperation(element: unknown, index: number, problems: Problem[]): JsonPatchOperation | undefined {
  const at = `body[${index}]`;
  const refuse = (path: string, label: string, message: string) => {
    problems.push({ path, message, detail: `${label}: ${message}` });
    return undefined;
  };
  if (!isJsonObject(element)) return refuse(at, `Operation ${index}`, 'an operation must be a JSON object');
  const op = ownMember(element, 'op');
  if (!isOperationName(op)) {
    const message = op === undefined ? 'op is required' : `op must be one of ${[...OPERATIONS].join(', ')}`;
    return refuse(`${at}.op`, `Operation ${index}`, message);
  }
  const label = `Operation ${index} (${op})`;
  const count = problems.length;
  const pointer = (name: 'path' | 'from') => {
    const parsed = parsePointer(ownMember(element, name), name);
    return typeof parsed === 'string' ? refuse(`${at}.${name}`, label, parsed) : parsed;
  };
  const path = pointer('path');
  const from = op === 'move' || op === 'copy' ? pointer('from') : undefined;
  const value = ownMember(element, 'value');
  if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(element, 'value')) {
    refuse(`${at}.value`, label, `value is required for ${op}`);
  }
  if (path === undefined || problems.length > count) return undefined;
  const operation: JsonPatchOperation =
    op === 'remove'
      ? { op, path }
      : op === 'move' || op === 'copy'
        ? { op, path, from: from as JsonPointer }
        : { op, path, value };
  const problem = fieldRule(operation);
  return problem === undefined ? operation : refuse(`${at}.${problem.member}`, label, problem.message);
}

function isOperationName(op: unknown): op is OperationName {
  return typeof op === 'string' && OPERATIONS.has(op);
}

/** A pointer (RFC 6901 §3), unescaped (§4: ~1 to '/' first, then ~0 to '~'), or what is wrong with it. */
function parsePointer(text: unknown, name: 'path' | 'from'): JsonPointer | string {
  if (text === undefined) return `${name} is required`;
  if (typeof text !== 'string') return `${name} must be a string (a JSON Pointer)`;
  if (text !== '' && !text.startsWith('/')) return `${name} must be a JSON Pointer: empty, or starting with '/'`;
  if (BAD_ESCAPE.test(text)) return `${name} has a '~' not followed by 0 or 1 (RFC 6901 §3)`;
  const tokens = text === '' ? [] : text.slice(1).split('/');
  const pointer = { text, tokens: tokens.map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~')) };
  const [field = ''] = pointer.tokens;
  const forbidden = pointer.tokens.find((token) => FORBIDDEN_KEYS.has(token));
  if (FIELDS.has(field) && forbidden !== undefined) return `${name} names the key '${forbidden}', which is not allowed`;
  if (FIELDS.has(field)) return pointer;
  return IDENTITY_FIELDS.has(field)
    ? `Field '${field}' is immutable: only content and metadata can be updated`
    : `Unknown field '${field}': only content and metadata can be updated`;
}

/**
 * The contract's rules on what content and metadata become, where the operation alone shows it: content
 * stays an object, metadata an object or null, and neither is removed. A move into its own child is
 * refused too (RFC 6902 §4.4). What a move or copy brings is only known when applied (applyJsonPatch).
 */
function fieldRule(operation: JsonPatchOperation): { member: 'path' | 'from' | 'value'; message: string } | undefined {
  const whole = operation.path.tokens.length === 1 ? operation.path.tokens[0] : undefined;
  if (operation.op === 'add' || operation.op === 'replace') {
    if (whole === 'content' && !isJsonObject(operation.value)) return { member: 'value', message: CONTENT_NOT_OBJECT };
    if (whole === 'metadata' && operation.value !== null && !isJsonObject(operation.value)) {
      return { member: 'value', message: METADATA_NOT_OBJECT };
    }
  }
  if (operation.op === 'remove' && whole !== undefined) return { member: 'path', message: cannotRemove(whole) };
  if (operation.op !== 'move') return undefined;
  const { from, path } = operation;
  if (from.tokens.length === 1 && !samePointer(from, path)) {
    return { member: 'from', message: cannotRemove(from.tokens[0] as string) };
  }
  if (from.tokens.length < path.tokens.length && from.tokens.every((token, i) => token === path.tokens[i])) {
    return { member: 'from', message: `cannot move ${from.text} into its own child ${path.text} (RFC 6902 §4.4)` };
  }
  return undefined;
}

function cannotRemove(field: string): string {
  return field === 'content'
    ? 'content cannot be removed'
    : 'metadata cannot be removed; replace it with null to clear it';
}

function samePointer(a: JsonPointer, b: JsonPointer): boolean {
  return a.tokens.length === b.tokens.length && a.tokens.every((token, index) => token === b.tokens[index]);
}

/** Why an operation cannot apply, without its position: applyJsonPatch names the operation. */
class Unresolvable extends Error {}

/**
 * `fields` with every operation applied in order, each to the result of the one before (RFC 6902 §3), or
 * a JsonPatchConflict for the first that cannot apply: nothing is changed then. Neither input is changed;
 * the result shares every value the patch does not reach, so a field the patch leaves alone is returned
 * as the same value. Values no JSON text holds (sets, binary, exact numbers read back) are leaves, never
 * gone into. A field the patch changed must end as the contract allows: content an object, metadata an
 * object or null (a 422 otherwise, as for a whole write).
 */
export function applyJsonPatch(fields: PatchedFields, operations: readonly JsonPatchOperation[]): PatchedFields {
  // The document the pointers are resolved against: a learning's content and metadata, when present.
  const present = Object.entries({ content: fields.content, metadata: fields.metadata });
  let document: unknown = Object.fromEntries(present.filter(([, value]) => value !== undefined));
  operations.forEach((operation, index) => {
    try {
      document = applyOperation(document, operation);
    } catch (error) {
      if (!(error instanceof Unresolvable)) throw error;
      throw new JsonPatchConflict(index, `Operation ${index} (${operation.op}): ${error.message}`);
    }
  });
  const { content, metadata } = document as Partial<PatchedFields>;
  assertFieldShapes(fields, { content, metadata });
  return { content, metadata };
}

/** The document after one operation (RFC 6902 §4.1 to §4.6). */
function applyOperation(document: unknown, operation: JsonPatchOperation): unknown {
  const { tokens } = operation.path;
  switch (operation.op) {
    case 'add':
      return editAt(document, tokens, 0, addTo(operation.value));
    case 'remove':
      return editAt(document, tokens, 0, removeFrom);
    case 'replace':
      return editAt(document, tokens, 0, replaceIn(operation.value));
    case 'move': {
      // §4.4: a remove from `from`, then an add at `path`; moving a value to where it is changes nothing.
      const value = valueAt(document, operation.from.tokens);
      if (samePointer(operation.from, operation.path)) return document;
      return editAt(editAt(document, operation.from.tokens, 0, removeFrom), tokens, 0, addTo(value));
    }
    case 'copy':
      return editAt(document, tokens, 0, addTo(valueAt(document, operation.from.tokens)));
    case 'test':
      // §4.6: equal as JSON values (numbers by value, objects whatever their member order).
      if (sameJsonValue(valueAt(document, tokens), operation.value)) return document;
      throw new Unresolvable(`the value at ${pointerText(tokens, tokens.length)} is not the value tested`);
  }
}

/** The change made to the container that holds a pointer's last token: the container as changed. */
type Edit = (container: unknown, tokens: readonly string[]) => unknown;

/**
 * `value` with `edit` made to the container at tokens[depth..length - 1]: each container on the way is
 * copied with its one changed member, the rest shared. Every container on the way must exist (§4.1: no
 * missing parent is created).
 */
function editAt(value: unknown, tokens: readonly string[], depth: number, edit: Edit): unknown {
  if (depth === tokens.length - 1) return edit(value, tokens);
  const inner = memberAt(value, tokens, depth);
  return withMember(value, tokens[depth] as string, editAt(inner, tokens, depth + 1, edit));
}

/** The value a whole pointer names (RFC 6901 §4), which must exist. */
function valueAt(document: unknown, tokens: readonly string[]): unknown {
  return tokens.reduce<unknown>((value, _token, depth) => memberAt(value, tokens, depth), document);
}

/** The member tokens[depth] of `container`: an object's own member, or an array's element. */
function memberAt(container: unknown, tokens: readonly string[], depth: number): unknown {
  const token = tokens[depth] as string;
  if (Array.isArray(container)) return container[elementIndex(container, tokens, depth, container.length - 1)];
  if (isJsonObject(container) && Object.hasOwn(container, token)) return container[token];
  throw new Unresolvable(missing(container, tokens, depth));
}

/** Why tokens[0..depth] names nothing, `container` being the value tokens[0..depth - 1] names. */
function missing(container: unknown, tokens: readonly string[], depth: number): string {
  const path = `path ${pointerText(tokens, depth + 1)} does not exist`;
  if (isJsonObject(container) || Array.isArray(container)) return path;
  return `${path}: the value at ${pointerText(tokens, depth)} is neither an object nor an array`;
}

/**
 * The index tokens[depth] names in `array`, at most `last` (the last element, or the length for an add).
 * RFC 6901 §4: digits without a leading zero; '-' is the element after the last, which only an add may
 * name (RFC 6902 §4.1).
 */
function elementIndex(array: readonly unknown[], tokens: readonly string[], depth: number, last: number): number {
  const token = tokens[depth] as string;
  const where = `the array at ${pointerText(tokens, depth)}`;
  if (token === '-' && last === array.length) return last;
  if (token === '-')
    throw new Unresolvable(
      `path ${pointerText(tokens, depth + 1)} does not exist: '-' is after the last element of ${where}`,
    );
  if (!ARRAY_INDEX.test(token)) throw new Unresolvable(`'${token}' is not an index of ${where} (RFC 6901 §4)`);
  const index = Number(token);
  const elements = array.length === 1 ? '1 element' : `${array.length} elements`;
  if (index > last) throw new Unresolvable(`index ${token} is out of range: ${where} has ${elements}`);
  return index;
}

/** §4.1: an object member is added or replaced; an element is inserted before the index, or at the end. */
function addTo(value: unknown): Edit {
  return (container, tokens) => {
    const depth = tokens.length - 1;
    if (Array.isArray(container)) {
      return container.toSpliced(elementIndex(container, tokens, depth, container.length), 0, value);
    }
    if (isJsonObject(container)) return withMember(container, tokens[depth] as string, value);
    throw new Unresolvable(missing(container, tokens, depth));
  };
}

/** §4.2: the member or element, which must exist, is removed; later elements move down one. */
const removeFrom: Edit = (container, tokens) => {
  memberAt(container, tokens, tokens.length - 1);
  const token = tokens.at(-1) as string;
  if (Array.isArray(container)) return container.toSpliced(Number(token), 1);
  const members = new Map(Object.entries(container as JsonObject));
  members.delete(token);
  return Object.fromEntries(members);
};

/** §4.3: the value at the target, which must exist, is replaced. */
function replaceIn(value: unknown): Edit {
  return (container, tokens) => {
    memberAt(container, tokens, tokens.length - 1);
    return withMember(container, tokens.at(-1) as string, value);
  };
}

/**
 * A copy of `container` (an object, or an array and a valid index) with `token`'s member set to `value`.
 * fromEntries defines each key as data: a member named __proto__ stays a member, never the prototype.
 */
function withMember(container: unknown, token: string, value: unknown): unknown {
  if (Array.isArray(container)) return container.with(Number(token), value);
  return Object.fromEntries(new Map(Object.entries(container as JsonObject)).set(token, value));
}

/** The pointer to tokens[0..length - 1], escaped again (RFC 6901 §3). */
function pointerText(tokens: readonly string[], length: number): string {
  return tokens
    .slice(0, length)
    .map((token) => `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
}

/**
 * The contract's shapes, for the fields a patch changed: content an object, metadata an object or null.
 * A field the patch left as it was is not judged: what another tool stored there is not this write's.
 */
function assertFieldShapes(before: PatchedFields, after: PatchedFields): void {
  if (after.content !== before.content && !isJsonObject(after.content)) {
    throw new ValidationError(CONTENT_NOT_OBJECT, [{ path: 'body', message: CONTENT_NOT_OBJECT }]);
  }
  if (after.metadata !== before.metadata && after.metadata !== null && !isJsonObject(after.metadata)) {
    throw new ValidationError(METADATA_NOT_OBJECT, [{ path: 'body', message: METADATA_NOT_OBJECT }]);
  }
}
