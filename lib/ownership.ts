// Who may change which record, in both the places it is decided: the condition DynamoDB checks inside the
// one UpdateItem, and the classification of a record when that condition failed (or for an empty body,
// which writes nothing). A change to the rule is made here, in both at once.
//
// An admin may change any record that exists. Anyone else only a record whose user_id is theirs: a record
// with user_id absent or NULL has no owner and is for admins only (403); a record owned by someone else is
// reported as not found (404), so that its existence is not revealed.
import type { Principal } from './auth.ts';
import type { StoredLearning } from './learning.ts';

// Condition fragments, named for what they guarantee. A missing or NULL user_id never equals the caller.
const recordExists = 'attribute_exists(#learning_id)';
const callerOwnsRecord = '#user_id = :caller';

/** The ownership condition of a write, its names and values added to the expression's. */
export function ownershipCondition(
  principal: Principal,
  names: Record<string, string>,
  values: Record<string, unknown>,
): string {
  if (principal.isAdmin) {
    names['#learning_id'] = 'learning_id';
    return recordExists;
  }
  names['#user_id'] = 'user_id';
  values[':caller'] = principal.userId;
  return callerOwnsRecord;
}

export type Access = 'allowed' | 'not-found' | 'no-owner';

/** What the caller may do with the record as it stands (undefined: there is none). */
export function accessTo(item: StoredLearning | undefined, principal: Principal): Access {
  // Stryker disable next-line StringLiteral: equivalent, every access but 'allowed' and 'no-owner' answers 404
  if (item === undefined) return 'not-found';
  if (principal.isAdmin) return 'allowed';
  const owner = item.user_id;
  if (owner === undefined || owner === null) return 'no-owner';
  // Stryker disable next-line StringLiteral: equivalent, as above
  return owner === principal.userId ? 'allowed' : 'not-found';
}
