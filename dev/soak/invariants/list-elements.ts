import { describe, type Exchange, type InvariantCheck, logicalWrites } from '../history.ts';

const mayHaveLanded = (e: Exchange) => e.status === 200 || e.status === 0 || e.status >= 500;

/**
 * Each shared list at the end: every acknowledged append's element is there, unless a removal of that id
 * landed or may have; every element there was sent by an append that landed or may have; and none is there
 * twice (a retried append applied once). An append sent again with its key is one append, acknowledged when
 * any of its sendings was answered 200 (a replay included: its key's earlier sending landed).
 */
export const listElementsKept: InvariantCheck = {
  name: 'every acknowledged append is in its list once, unless removed; no element no append sent',
  violations: ({ exchanges, final }) => {
    const violations: string[] = [];
    const patchesOf = new Map<string, Exchange[][]>();
    for (const sent of logicalWrites(exchanges)) {
      const first = sent[0] as Exchange;
      if (first.patch !== undefined && sent.some(mayHaveLanded))
        patchesOf.set(first.learningId, [...(patchesOf.get(first.learningId) ?? []), sent]);
    }
    for (const [learningId, state] of final) {
      const elements = state?.elements;
      if (elements === undefined) continue;
      const patches = patchesOf.get(learningId) ?? [];
      const idsOf = (kind: 'append' | 'remove') =>
        new Set(patches.filter(([e]) => e?.patch?.kind === kind).map(([e]) => e?.patch?.id));
      const removed = idsOf('remove');
      const appended = idsOf('append');
      for (const sent of patches) {
        const acknowledged = sent.find((e) => e.status === 200);
        const id = acknowledged?.patch?.kind === 'append' ? acknowledged.patch.id : undefined;
        if (acknowledged !== undefined && id !== undefined && !elements.includes(id) && !removed.has(id))
          violations.push(`${learningId} lost the element of ${describe(acknowledged)}`);
      }
      for (const [index, id] of elements.entries()) {
        if (!appended.has(id)) violations.push(`${learningId} holds element ${id}, which no append sent`);
        if (elements.indexOf(id) !== index) violations.push(`${learningId} holds element ${id} twice`);
      }
    }
    return violations;
  },
};
