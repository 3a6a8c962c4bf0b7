import { chaosByRecord, describe, type Exchange, type InvariantCheck, isWrite } from '../history.ts';

export const finalStateFollowsAcknowledged: InvariantCheck = {
  name: 'the final state is the last acknowledged write or a later one; deleted records stay deleted',
  violations: ({ exchanges, chaos, final }) => {
    const eventsOf = chaosByRecord(chaos);
    const unknownOutcome = new Set(exchanges.filter((e) => e.status === 0 || e.status >= 500).map((e) => e.nonce));
    const acknowledged = lastAcknowledgedWrites(exchanges);
    const violations: string[] = [];
    for (const [learningId, state] of final) {
      const deleted = (eventsOf.get(learningId) ?? []).some((event) => event.kind === 'delete');
      if (deleted) {
        if (state !== undefined) violations.push(`${learningId} was deleted, and exists again`);
        continue;
      }
      if (state === undefined) {
        violations.push(`${learningId} is missing`);
        continue;
      }
      const last = acknowledged.get(learningId);
      if (last !== undefined && state.version < (last.version ?? 0))
        violations.push(`${learningId} is at version ${state.version}, before acknowledged ${describe(last)}`);
      const fromAcknowledged = exchanges.some((e) => e.status === 200 && e.answeredNonce === state.nonce);
      const seed = state.nonce?.startsWith('seed-') === true;
      if (!fromAcknowledged && !seed && !unknownOutcome.has(state.nonce))
        violations.push(`${learningId} holds ${state.nonce}, which no acknowledged or unanswered write sent`);
    }
    return violations;
  },
};

/**
 * Each record's acknowledged write at the highest version. A replay is left out: the version it answers is
 * the record's as it stood, not the one its write made.
 */
function lastAcknowledgedWrites(exchanges: Exchange[]): Map<string, Exchange> {
  const acknowledged = new Map<string, Exchange>();
  for (const e of exchanges) {
    if (e.status !== 200 || !isWrite(e) || e.replayed === true || e.version === undefined) continue;
    const last = acknowledged.get(e.learningId);
    if (last === undefined || (last.version ?? 0) < e.version) acknowledged.set(e.learningId, e);
  }
  return acknowledged;
}
