// Who may change which record, in both the places it is decided: the condition DynamoDB checks inside the
// one UpdateItem, and the classification of a record when that condition failed (or for an empty body,
// which writes nothing). A change to the rule is made here, in both at once.
//
// An admin may change any record that exists. Anyone else only a record whose user_id is theirs: a record
// with user_id absent or NULL has no owner and is for admins only (403); a record owned by someone else is
// reported as not found (404), so that its existence is not revealed.
import type { Principal } from './auth.ts';
import { type AppError, ForbiddenError, LearningNotFoundError } from './errors.ts';
import type { StoredLearning } from './learning.ts';
import type { UpdateExpression } from './write/expression.ts';

/**
 * The ownership condition of a write. A missing or NULL user_id never equals the caller, and an admin's
 * condition is only that the record exists.
 */
export function ownershipCondition(principal: Principal, expression: UpdateExpression): string {
  if (principal.isAdmin) return `attribute_exists(${expression.name('learning_id')})`;
  return `${expression.name('user_id')} = ${expression.value('caller', principal.userId)}`;
}

/**
 * The error that refuses the caller this record (404 when there is none, 403 when it has no owner), or
 * undefined when the caller may change it.
 */
export function refusalOf(item: StoredLearning | undefined, principal: Principal): AppError | undefined {
  if (item === undefined) return new LearningNotFoundError();
  if (principal.isAdmin) return undefined;
  const owner = item.user_id;
  if (owner === undefined || owner === null) {
    return new ForbiddenError('Only admins can modify learnings that have no owner (user_id is null)');
  }
  return owner === principal.userId ? undefined : new LearningNotFoundError();
}
