import { describe, type InvariantCheck, isWrite } from '../history.ts';

/**
 * A replay is left out: it answers the record as it stands, after the write its key's earlier request made
 * (no-write-applied-twice.ts checks that it is not before it).
 */
export const ifMatchChain: InvariantCheck = {
  name: 'acknowledged If-Match writes form a chain: each at its If-Match version + 1',
  violations: ({ exchanges }) => {
    const violations: string[] = [];
    for (const e of exchanges) {
      if (e.status === 200 && isWrite(e) && e.replayed !== true && e.ifMatchVersion !== undefined) {
        if (e.version !== e.ifMatchVersion + 1)
          violations.push(`${describe(e)}: If-Match ${e.ifMatchVersion}, answered version ${e.version}`);
      }
    }
    return violations;
  },
};
