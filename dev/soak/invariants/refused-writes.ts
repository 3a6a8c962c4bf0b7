import { describe, type InvariantCheck, logicalWrites } from '../history.ts';

/**
 * What a refused (4xx) write sent, a whole write's nonce, a merge's value or an append's element, shows in no
 * answer and no record. A keyed write sent again is refused only when every sending of it was: a resend
 * refused after a handover or a deletion says nothing of an earlier sending whose outcome is unknown.
 */
export const refusedWritesChangeNothing: InvariantCheck = {
  name: 'no refused write changed anything',
  violations: ({ exchanges, final }) => {
    const violations: string[] = [];
    const refusals = logicalWrites(exchanges)
      .filter((sent) => sent.every((e) => e.status >= 400 && e.status < 500))
      .flat();
    const refused = new Set([
      ...refusals.map((e) => e.nonce),
      ...refusals.map((e) => e.merge?.value),
      ...refusals.filter((e) => e.patch?.kind === 'append').map((e) => e.patch?.id),
    ]);
    refused.delete(undefined);
    refused.delete(null);
    const shown = (keys: Record<string, unknown> | undefined) =>
      Object.values(keys ?? {}).find((v) => refused.has(v as string));
    const listed = (elements: string[] | undefined) => elements?.find((id) => refused.has(id));
    for (const e of exchanges) {
      if (
        e.status === 200 &&
        (refused.has(e.answeredNonce) ||
          shown(e.answeredKeys) !== undefined ||
          listed(e.answeredElements) !== undefined)
      )
        violations.push(`${describe(e)} shows a refused write`);
    }
    for (const [learningId, state] of final) {
      if (
        state !== undefined &&
        (refused.has(state.nonce) || shown(state.keys) !== undefined || listed(state.elements) !== undefined)
      )
        violations.push(`${learningId} holds refused write ${state.nonce}`);
    }
    return violations;
  },
};
