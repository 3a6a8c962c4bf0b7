// The one conditional UpdateItem of a write attempt: the body format's actions and conditions, and around
// them what every write holds — who may write (lib/ownership.ts), the versions If-Match and If-None-Match
// accept, the write id, the Idempotency-Key's entry, the new version and updated_at.
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Principal } from '../auth.ts';
import type { Preconditions } from '../etag.ts';
import { ownershipCondition } from '../ownership.ts';
import { VERSION_ATTRIBUTE, WRITE_ATTRIBUTE } from '../service-attributes.ts';
import { type BuiltExpression, UpdateExpression } from './expression.ts';
import { addKey, type IdempotencyKey } from './idempotency.ts';

/** What one UpdateItem of a write is made of. */
export interface WriteAttempt {
  table: string;
  learningId: string;
  principal: Principal;
  /** Unix seconds, written to updated_at. */
  now: number;
  /** The versions the record must, or must not, be at: If-Match and If-None-Match, or the version read. */
  preconditions: Preconditions | undefined;
  /** Adds the body format's actions and conditions; false when they cannot be written as document paths. */
  changes: (expression: UpdateExpression) => boolean;
  /** Written to WRITE_ATTRIBUTE, so that a write whose answer was lost can find itself in the record. */
  writeId: string;
  /** The request's Idempotency-Key, recorded on the condition that the record holds no live entry for it. */
  key: IdempotencyKey | undefined;
}

/** An UpdateItem ready to send, and the same write for a record whose counter another tool wrote. */
export interface UpdateCommands {
  table: string;
  learningId: string;
  command: UpdateCommandInput;
  takingOverCounter: () => UpdateCommandInput;
  /**
   * Whether the condition is only that the record exists (an admin's write with no precondition and no
   * path condition), so that its failure means there was no record.
   */
  existenceOnly: boolean;
}

/** The attempt's UpdateItem, or undefined when its changes cannot be paths, or not within DynamoDB's limits. */
export function updateCommands(attempt: WriteAttempt): UpdateCommands | undefined {
  const expression = new UpdateExpression();
  if (!buildWrite(attempt, expression, false)) return undefined;
  const built = expression.build();
  // The write that takes over a foreign counter has one condition more: it must fit as well.
  const takeOver = new UpdateExpression();
  buildWrite(attempt, takeOver, true);
  const takeOverBuilt = takeOver.build();
  if (!expression.fits(built) || !takeOver.fits(takeOverBuilt)) return undefined;
  return {
    table: attempt.table,
    learningId: attempt.learningId,
    command: commandInput(attempt, built),
    takingOverCounter: () => commandInput(attempt, takeOverBuilt),
    // An admin's write with no precondition and no condition of its body's.
    existenceOnly: expression.conditionCount() === 1 && attempt.principal.isAdmin,
  };
}

function commandInput(attempt: WriteAttempt, expression: BuiltExpression): UpdateCommandInput {
  return {
    TableName: attempt.table,
    Key: { learning_id: attempt.learningId },
    ...expression,
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * `takeOverCounter`: the record's counter holds a value of another type, which DynamoDB cannot add to; the
 * write sets it to 1 instead, and only if it still holds that other type.
 */
function buildWrite(attempt: WriteAttempt, expression: UpdateExpression, takeOverCounter: boolean): boolean {
  expression.condition(ownershipCondition(attempt.principal, expression));
  const { match, noneMatch } = attempt.preconditions ?? {};
  if (match !== undefined) expression.condition(versionIn(match, 'version', expression));
  if (noneMatch === '*') expression.condition(recordDoesNotExist(expression));
  else if (noneMatch !== undefined && noneMatch.length > 0) {
    expression.condition(`NOT ${parenthesised(versionIn(noneMatch, 'notVersion', expression), noneMatch)}`);
  }
  if (!attempt.changes(expression)) return false;
  expression.set(expression.name('write', WRITE_ATTRIBUTE), expression.value('write', attempt.writeId));
  if (attempt.key !== undefined) addKey(expression, attempt.key, attempt.now);
  expression.set(expression.name('updated_at'), expression.value('updated_at', attempt.now));
  const version = expression.name('version', VERSION_ATTRIBUTE);
  const one = expression.value('one', 1);
  if (takeOverCounter) {
    expression.set(version, one);
    // The counter holds something other than a number: this write takes it over.
    expression.condition(`NOT attribute_type(${version}, ${numberType(expression)})`);
  } else {
    expression.set(version, `if_not_exists(${version}, ${expression.value('zero', 0)}) + ${one}`, 2);
  }
  return true;
}

// If-None-Match: *. Never true beside the ownership condition: this PATCH never creates a record.
function recordDoesNotExist(expression: UpdateExpression): string {
  return `attribute_not_exists(${expression.name('learning_id')})`;
}

// attribute_type's operand names a type: N, for number.
function numberType(expression: UpdateExpression): string {
  return expression.value('number', 'N');
}

/** A condition that the record is at one of `versions`, its values named `:<label>1`, `:<label>2`… */
function versionIn(versions: readonly number[], label: string, expression: UpdateExpression): string {
  const version = expression.name('version', VERSION_ATTRIBUTE);
  // If-Match named no tag of this table: no version can match.
  if (versions.length === 0) return `${version} = ${expression.value('noVersion', -1)}`;
  const alternatives = versions.map((number, index) =>
    number === 0
      ? // A record whose counter is missing, or holds anything but a number (another tool wrote it), is at version 0.
        `(NOT attribute_type(${version}, ${numberType(expression)}) OR ${version} = ${expression.value('zero', 0)})`
      : `${version} = ${expression.value(`${label}${index + 1}`, number)}`,
  );
  return alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.join(' OR ')})`;
}

// DynamoDB refuses redundant parentheses: a single version-0 alternative is parenthesised already.
function parenthesised(condition: string, versions: readonly number[]): string {
  return versions.length > 1 || versions[0] === 0 ? condition : `(${condition})`;
}
