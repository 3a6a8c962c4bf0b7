import { KEYED_SHARE, type Writer } from './writer.ts';

/** A whole write: content replaced by { nonce }, now and then with metadata naming the caller. Takes any target. */
export const whole: Writer = {
  takes: () => true,
  write: ({ actor }, context) => {
    const nonce = context.nonce();
    return {
      recorded: { nonce, merge: undefined },
      contentType: 'application/json',
      ifMatchChance: 0.6,
      keyChance: KEYED_SHARE,
      body: () => (context.next() < 0.3 ? { content: { nonce }, metadata: { by: actor } } : { content: { nonce } }),
      malformed200: (answered, otherwise) =>
        answered.answeredNonce !== nonce ? 'a 200 not holding the write' : otherwise,
    };
  },
};
