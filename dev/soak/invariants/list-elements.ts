import { describe, type Exchange, type InvariantCheck } from '../history.ts';

const mayHaveLanded = (e: Exchange) => e.status === 200 || e.status === 0 || e.status >= 500;

/**
 * Each shared list at the end: every acknowledged append's element is there, unless a removal of that id
 * landed or may have; every element there was sent by an append that landed or may have; and none is there
 * twice (a retried append applied once).
 */
export const listElementsKept: InvariantCheck = {
  name: 'every acknowledged append is in its list once, unless removed; no element no append sent',
  violations: ({ exchanges, final }) => {
    const violations: string[] = [];
    const patchesOf = new Map<string, Exchange[]>();
    for (const e of exchanges) {
      if (e.patch !== undefined && mayHaveLanded(e))
        patchesOf.set(e.learningId, [...(patchesOf.get(e.learningId) ?? []), e]);
    }
    for (const [learningId, state] of final) {
      const elements = state?.elements;
      if (elements === undefined) continue;
      const patches = patchesOf.get(learningId) ?? [];
      const removed = new Set(patches.filter((e) => e.patch?.kind === 'remove').map((e) => e.patch?.id));
      const appended = new Set(patches.filter((e) => e.patch?.kind === 'append').map((e) => e.patch?.id));
      for (const e of patches) {
        if (
          e.status === 200 &&
          e.patch?.kind === 'append' &&
          !elements.includes(e.patch.id) &&
          !removed.has(e.patch.id)
        )
          violations.push(`${learningId} lost the element of ${describe(e)}`);
      }
      for (const [index, id] of elements.entries()) {
        if (!appended.has(id)) violations.push(`${learningId} holds element ${id}, which no append sent`);
        if (elements.indexOf(id) !== index) violations.push(`${learningId} holds element ${id} twice`);
      }
    }
    return violations;
  },
};
