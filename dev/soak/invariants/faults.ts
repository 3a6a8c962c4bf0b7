import { describe, type InvariantCheck } from '../history.ts';

/** A 5xx or a lost request must overlap a DynamoDB call that met an injected fault. */
export const failuresOnlyFromFaults: InvariantCheck = {
  name: 'no 5xx and no lost request outside injected faults',
  violations: ({ exchanges, faultedAt }) => {
    const violations: string[] = [];
    const sorted = [...faultedAt].sort((a, b) => a - b);
    for (const e of exchanges) {
      if (e.status !== 0 && e.status < 500) continue;
      if (!sorted.some((at) => at >= e.start && at <= e.end)) violations.push(`${describe(e)} with no fault injected`);
    }
    return violations;
  },
};
