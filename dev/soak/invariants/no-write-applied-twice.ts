// No write is applied twice. The soak's clients send an Idempotency-Key with some writes and send such a
// write again, with its key, while its answer is a 503 or never comes; the service applies a keyed write
// once and answers each later sending of it as a replay, which writes nothing. Without a key a write is
// sent once, and the service must not apply it twice either. What the history shows of that:
// - a key's sendings: at most one applied (a 200 that is no replay), never a 422 (the soak never sends a key
//   with another body), one request for every sending;
// - a replay answers a version at least the one its write made (If-Match + 1);
// - no version is skipped: every version an answer or the final state names was made by a distinct write
//   that began before it was seen, each write counted once however many times it was sent;
// - a whole write's content (its nonce alone) is seen at one version only, and no answer lists an element
//   twice (list-elements.ts checks the lists at the end).
import {
  describe,
  type Exchange,
  type History,
  type InvariantCheck,
  logicalWrites,
  mayHaveWritten,
} from '../history.ts';

export const noWriteAppliedTwice: InvariantCheck = {
  name: 'no write applied twice: a keyed write sent again applies once, a replay changes nothing, no version skipped',
  violations: (history) => [
    ...replayHeaderViolations(history.exchanges),
    ...keyViolations(history.exchanges),
    ...versionViolations(history),
    ...wholeContentViolations(history),
    ...listedTwiceViolations(history.exchanges),
  ],
};

/** A replay answers a request that sent a key, with a 200. */
function replayHeaderViolations(exchanges: Exchange[]): string[] {
  return exchanges
    .filter((e) => e.replayed === true && (e.key === undefined || e.status !== 200))
    .map((e) => `${describe(e)}: a replay ${e.key === undefined ? 'of a request that sent no key' : 'that is no 200'}`);
}

/** What is wrong with each keyed write's sendings, taken together. */
function keyViolations(exchanges: Exchange[]): string[] {
  const violations: string[] = [];
  for (const sent of logicalWrites(exchanges)) {
    const first = sent[0] as Exchange;
    if (first.key === undefined) continue;
    if (sent.some((e) => requestOf(e) !== requestOf(first)))
      violations.push(`key ${first.key} sent with two different requests, which the soak's client never does`);
    const applied = sent.filter((e) => e.status === 200 && e.replayed !== true);
    if (applied.length > 1)
      violations.push(`key ${first.key} applied ${applied.length} times: ${applied.map(describe).join('; ')}`);
    for (const e of sent) {
      if (e.status === 422)
        violations.push(`${describe(e)}: refused as a key sent with another body, which the soak never sends`);
      if (e.status !== 200 || e.replayed !== true) continue;
      if (e.ifMatchVersion !== undefined && (e.version ?? -1) <= e.ifMatchVersion)
        violations.push(`${describe(e)}: a replay before the version its write made (If-Match ${e.ifMatchVersion})`);
    }
  }
  return violations;
}

/** What a sending of a write sends, as one string: record, caller, what it writes, If-Match. */
function requestOf(e: Exchange): string {
  return JSON.stringify([e.learningId, e.actor, e.nonce, e.merge, e.patch, e.ifMatchVersion]);
}

/**
 * Each write that applies raises its record's version by one, and only writes do: a version an answer names
 * (a 200, 409 or 412) or the final state holds is at most the number of distinct writes to the record that
 * began before it was seen and may have applied. A write sent again counts once, from its first sending that
 * may have written. A version beyond that was made by a write applied twice, or skipped. Only each record's
 * first such version is named: every later one follows from it.
 */
function versionViolations({ exchanges, final }: History): string[] {
  const writeStarts = new Map<string, number[]>();
  for (const sent of logicalWrites(exchanges)) {
    const starts = sent.filter(mayHaveWritten).map((e) => e.start);
    if (starts.length === 0) continue;
    const learningId = (sent[0] as Exchange).learningId;
    writeStarts.set(learningId, [...(writeStarts.get(learningId) ?? []), Math.min(...starts)]);
  }
  const seen: { learningId: string; version: number; at: number; by: string }[] = [];
  for (const e of exchanges) {
    if ((e.status === 200 || e.status === 409 || e.status === 412) && Number.isInteger(e.version))
      seen.push({ learningId: e.learningId, version: e.version as number, at: e.end, by: describe(e) });
  }
  for (const [learningId, state] of final) {
    if (state !== undefined)
      seen.push({ learningId, version: state.version, at: Number.POSITIVE_INFINITY, by: 'the final state' });
  }
  seen.sort((a, b) => a.at - b.at);
  const violations: string[] = [];
  const named = new Set<string>();
  for (const { learningId, version, at, by } of seen) {
    if (named.has(learningId)) continue;
    const writes = (writeStarts.get(learningId) ?? []).filter((start) => start <= at).length;
    if (version <= writes) continue;
    named.add(learningId);
    violations.push(`${learningId} at version ${version} (${by}), yet only ${writes} writes begun by then could apply`);
  }
  return violations;
}

/**
 * A whole write replaces content with its nonce alone; a merge after it adds content.m and keeps the nonce,
 * and no other write leaves content as that nonce alone. So the nonce alone, with neither content.m nor
 * content.l, is seen at one version only: the one its write made.
 */
function wholeContentViolations({ exchanges, final }: History): string[] {
  const sentNonces = new Set(exchanges.flatMap((e) => (e.nonce === undefined ? [] : [e.nonce])));
  const versionsOf = new Map<string, Set<number>>();
  const note = (learningId: string, nonce: string | undefined, version: number | undefined) => {
    if (nonce === undefined || version === undefined || !sentNonces.has(nonce)) return;
    const content = `${learningId} held ${nonce} alone`;
    versionsOf.set(content, new Set([...(versionsOf.get(content) ?? []), version]));
  };
  for (const e of exchanges) {
    if (e.status === 200 && e.answeredKeys === undefined && e.answeredElements === undefined)
      note(e.learningId, e.answeredNonce, e.version);
  }
  for (const [learningId, state] of final) {
    if (state !== undefined && state.keys === undefined && state.elements === undefined)
      note(learningId, state.nonce, state.version);
  }
  return [...versionsOf.entries()]
    .filter(([, versions]) => versions.size > 1)
    .map(([content, versions]) => `${content} at versions ${[...versions].sort((a, b) => a - b).join(', ')}`);
}

/** No answer lists an element of a shared list twice. */
function listedTwiceViolations(exchanges: Exchange[]): string[] {
  return exchanges.flatMap((e) => {
    const twice = e.answeredElements?.find((id, index, ids) => ids.indexOf(id) !== index);
    return twice === undefined ? [] : [`${describe(e)} lists element ${twice} twice`];
  });
}
