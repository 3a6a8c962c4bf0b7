import { describe, type InvariantCheck } from '../history.ts';

const ALLOWED_STATUSES = new Set([200, 403, 404, 412, 503]);

export const answersInContract: InvariantCheck = {
  name: 'every answer is in the contract',
  violations: ({ exchanges }) => {
    const violations: string[] = [];
    for (const e of exchanges) {
      if (e.malformed !== undefined) violations.push(`${describe(e)}: ${e.malformed}`);
      else if (e.status !== 0 && !ALLOWED_STATUSES.has(e.status) && e.status < 500)
        violations.push(`${describe(e)}: unexpected status`);
    }
    return violations;
  },
};
