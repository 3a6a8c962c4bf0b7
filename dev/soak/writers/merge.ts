import { KEYED_SHARE, type Writer } from './writer.ts';

/**
 * On a shared memory most writes are merge patches: the client's own key under content.m (one of two), set to
 * a fresh nonce or removed (null).
 */
export const merge: Writer = {
  takes: (target, { next, sharedMemories }) => !target.read && sharedMemories.has(target.learningId) && next() < 0.85,
  write: ({ client }, { next, nonce }) => {
    const merge = { key: `c${client}-${Math.floor(next() * 2)}`, value: next() < 0.15 ? null : nonce() };
    return {
      recorded: { nonce: undefined, merge },
      contentType: 'application/merge-patch+json',
      ifMatchChance: 0.2,
      keyChance: KEYED_SHARE,
      body: () => ({ content: { m: { [merge.key]: merge.value } } }),
      malformed200: (answered, otherwise) =>
        otherwise ??
        ((answered.answeredKeys?.[merge.key] ?? null) !== merge.value ? 'a 200 not holding the merge' : undefined),
    };
  },
  tally: { label: 'merge patches', counts: (e) => e.merge !== undefined },
};
