import { KEYED_SHARE, type Writer } from './writer.ts';

/**
 * On a shared list every write is a JSON Patch of content.l: mostly an append of an element whose id is a
 * fresh nonce; otherwise the removal of an element as the last answer on the list showed it, guarded by a
 * test of its id at that index (a 409 when the list moved since: the next answer shows it anew). A list
 * not seen yet is read first, with an empty patch.
 */
export const jsonPatch: Writer = {
  takes: (target, { sharedLists }) => !target.read && sharedLists.has(target.learningId),
  write: ({ learningId }, { next, nonce, listsSeen }) => {
    const seen = listsSeen.get(learningId);
    const remove = seen !== undefined && seen.length > 0 && next() < 0.3;
    if (seen === undefined) {
      return {
        recorded: { nonce: undefined, merge: undefined },
        contentType: JSON_PATCH,
        ifMatchChance: 0,
        keyChance: 0,
        body: () => [],
      };
    }
    const index = remove ? Math.floor(next() * seen.length) : -1;
    const id = remove ? (seen[index] as string) : nonce();
    return {
      recorded: { nonce: undefined, merge: undefined, patch: { kind: remove ? 'remove' : 'append', id } },
      contentType: JSON_PATCH,
      ifMatchChance: 0.1,
      keyChance: KEYED_SHARE,
      body: () =>
        remove
          ? [
              { op: 'test', path: `/content/l/${index}/id`, value: id },
              { op: 'remove', path: `/content/l/${index}` },
            ]
          : [{ op: 'add', path: '/content/l/-', value: { id } }],
      malformed200: (answered, otherwise) => {
        if (otherwise !== undefined) return otherwise;
        const held = answered.answeredElements?.includes(id) === true;
        return held === remove ? `a 200 ${remove ? 'still holding' : 'not holding'} element ${id}` : undefined;
      },
    };
  },
  tally: { label: 'JSON patches', counts: (e) => e.patch !== undefined },
};

const JSON_PATCH = 'application/json-patch+json';
