import { describe, type InvariantCheck } from '../history.ts';

const ALLOWED_STATUSES = new Set([200, 403, 404, 412, 503]);
// A guarded removal from a list that moved since it was seen cannot apply: 409, for a JSON Patch only.
const ALLOWED_FOR_PATCHES = new Set([...ALLOWED_STATUSES, 409]);

export const answersInContract: InvariantCheck = {
  name: 'every answer is in the contract',
  violations: ({ exchanges }) => {
    const violations: string[] = [];
    for (const e of exchanges) {
      if (e.malformed !== undefined) violations.push(`${describe(e)}: ${e.malformed}`);
      else if (
        e.status !== 0 &&
        e.status < 500 &&
        !(e.patch === undefined ? ALLOWED_STATUSES : ALLOWED_FOR_PATCHES).has(e.status)
      )
        violations.push(`${describe(e)}: unexpected status`);
    }
    return violations;
  },
};
