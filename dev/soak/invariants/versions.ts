import { describe, type InvariantCheck, isWrite } from '../history.ts';

/**
 * Every answer and the final state agree on what each version of a record holds, and no two acknowledged
 * writes share a version. A replay counts as a read: it wrote nothing, and answers the record at a version
 * that a write made, often the very write its key's earlier request made.
 */
export const oneContentPerVersion: InvariantCheck = {
  name: 'one version, one content: never two acknowledged writes at one version',
  violations: ({ exchanges, final }) => {
    const violations: string[] = [];
    const seen = new Map<string, { nonce: string | undefined; write: boolean; by: string }>();
    const note = (key: string, nonce: string | undefined, write: boolean, by: string) => {
      const before = seen.get(key);
      if (before === undefined) seen.set(key, { nonce, write, by });
      else if (before.nonce !== nonce || (write && before.write))
        violations.push(`${key}: ${before.by} (${before.nonce}) and ${by} (${nonce})`);
      else if (write) seen.set(key, { nonce, write, by });
    };
    for (const e of exchanges) {
      if (e.status === 200 && e.version !== undefined) {
        const wrote = isWrite(e) && e.replayed !== true;
        note(`${e.learningId}@${e.version}`, contentOf(e.answeredNonce, e.answeredElements), wrote, describe(e));
      }
    }
    for (const [learningId, state] of final) {
      if (state !== undefined) {
        note(`${learningId}@${state.version}`, contentOf(state.nonce, state.elements), false, 'the final state');
      }
    }
    return violations;
  },
};

/** What identifies a record's content: its nonce, and on a shared list the ids of its elements. */
function contentOf(nonce: string | undefined, elements: string[] | undefined): string | undefined {
  return elements === undefined ? nonce : `${nonce} [${elements.join(',')}]`;
}
