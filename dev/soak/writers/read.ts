import type { Writer } from './writer.ts';

/** A read: an empty PATCH ({}), which changes nothing and answers the record as it stands. */
export const read: Writer = {
  takes: (target) => target.read,
  write: () => ({
    recorded: { nonce: undefined, merge: undefined },
    contentType: 'application/json',
    ifMatchChance: 0,
    keyChance: 0,
    body: () => ({}),
  }),
};
