import { describe, type InvariantCheck, isWrite } from '../history.ts';

export const ifMatchChain: InvariantCheck = {
  name: 'acknowledged If-Match writes form a chain: each at its If-Match version + 1',
  violations: ({ exchanges }) => {
    const violations: string[] = [];
    for (const e of exchanges) {
      if (e.status === 200 && isWrite(e) && e.ifMatchVersion !== undefined) {
        if (e.version !== e.ifMatchVersion + 1)
          violations.push(`${describe(e)}: If-Match ${e.ifMatchVersion}, answered version ${e.version}`);
      }
    }
    return violations;
  },
};
