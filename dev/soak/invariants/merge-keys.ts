import { describe, type Exchange, type InvariantCheck, isWrite } from '../history.ts';

const unknown = (e: Exchange) => e.status === 0 || e.status >= 500;

export const mergeKeysKept: InvariantCheck = {
  name: "no acknowledged merge's key is lost, unless a later write removed or replaced it",
  violations: ({ exchanges, final }) => {
    // The writes that landed or may have: acknowledged (a replay shows that its key's earlier request
    // landed), or of unknown outcome.
    const writesOf = new Map<string, Exchange[]>();
    for (const e of exchanges) {
      if (isWrite(e) && (e.status === 200 || unknown(e)))
        writesOf.set(e.learningId, [...(writesOf.get(e.learningId) ?? []), e]);
    }
    const violations: string[] = [];
    for (const [learningId, state] of final) {
      if (state === undefined) continue;
      const writes = writesOf.get(learningId) ?? [];
      const keys = new Set([
        ...Object.keys(state.keys ?? {}),
        ...writes.flatMap((e) => (e.merge ? [e.merge.key] : [])),
      ]);
      for (const key of keys) {
        const violation = keyViolation(learningId, key, state.keys?.[key], writes);
        if (violation !== undefined) violations.push(violation);
      }
    }
    return violations;
  },
};

/** What is wrong with content.m[key] holding `found` at the end, given the record's writes, if anything. */
function keyViolation(learningId: string, key: string, found: unknown, writes: Exchange[]): string | undefined {
  const merges = writes.filter((e) => e.merge?.key === key);
  const sets = (e: Exchange) => (e.merge?.value ?? undefined) === found;
  if (found !== undefined && !merges.some(sets))
    return `${learningId} m.${key} holds ${String(found)}, which no merge sent`;
  // A replay's version is the record's as it stood, not the one its merge made: it does not name the last.
  const last = merges
    .filter((e) => e.status === 200 && e.replayed !== true)
    .reduce<Exchange | undefined>(
      (a, e) => (a === undefined || (a.version ?? 0) < (e.version ?? 0) ? e : a),
      undefined,
    );
  if (last === undefined || sets(last)) return undefined;
  // Later than the last acknowledged merge: acknowledged at a later version, or of unknown outcome or a
  // replay (landed at a version no answer names) and not over before it began.
  const later = (e: Exchange) =>
    e !== last &&
    (e.status === 200 && e.replayed !== true ? (e.version ?? 0) > (last.version ?? 0) : e.end > last.start);
  const replaced = writes.some((e) => e.merge === undefined && later(e));
  if (!replaced && !merges.some((e) => later(e) && sets(e)))
    return `${learningId} m.${key} holds ${String(found)}, after ${describe(last)}`;
  return undefined;
}
