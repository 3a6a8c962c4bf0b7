// The soak's checker must catch each kind of broken history, or a green soak proves nothing.
import { describe, expect, it } from 'vitest';
import { type ChaosEvent, checkHistory, type Exchange, type History } from '../../dev/soak/index.ts';

const exchange = (overrides: Partial<Exchange>): Exchange => ({
  learningId: 'r1',
  actor: 'u0',
  admin: false,
  nonce: 'n1',
  merge: undefined,
  ifMatchVersion: undefined,
  start: 10,
  end: 20,
  status: 200,
  version: 1,
  answeredNonce: 'n1',
  answeredKeys: undefined,
  malformed: undefined,
  ...overrides,
});

/** An acknowledged merge patch of content.m[key], answered at `version`. */
const merged = (key: string, value: string | null, version: number | undefined, start = 10): Exchange =>
  exchange({
    nonce: undefined,
    merge: { key, value },
    version,
    start,
    end: start + 10,
    answeredKeys: value === null ? {} : { [key]: value },
  });

/** An acknowledged JSON Patch of content.l, answered at `version` with the list's element ids then. */
const patched = (kind: 'append' | 'remove', id: string, version: number, elements: string[], status = 200): Exchange =>
  exchange({
    nonce: undefined,
    patch: { kind, id },
    version,
    status,
    answeredNonce: status === 200 ? 'seed-r1' : undefined,
    answeredElements: status === 200 ? elements : undefined,
  });
const list = (version: number, elements: string[]) => new Map([['r1', { version, nonce: 'seed-r1', elements }]]);

/**
 * A write sent with Idempotency-Key `key`, as each of its sendings was answered, one after the other: 503 or
 * no answer (0), then the last answer. Each sending starts a while after the one before, unless it says when.
 */
const sentWithKey = (write: Exchange, key: string, answers: Partial<Exchange>[]): Exchange[] =>
  answers.map((answer, index) => {
    const start = answer.start ?? write.start + index * 20;
    const unanswered = answer.status === 0 || answer.status === 503;
    return {
      ...write,
      ...(unanswered ? { version: undefined, answeredNonce: undefined, answeredElements: undefined } : {}),
      key,
      attempt: index + 1,
      ...answer,
      start,
      end: answer.end ?? start + 10,
    };
  });
const replay = (version: number, answered: Partial<Exchange> = {}): Partial<Exchange> => ({
  status: 200,
  replayed: true,
  version,
  ...answered,
});

const created: ChaosEvent = { kind: 'create', learningId: 'r1', owner: 'u0', start: 0, end: 1 };

function history(overrides: Partial<History> = {}): History {
  return {
    exchanges: [exchange({})],
    chaos: [created],
    faultedAt: [],
    final: new Map([['r1', { version: 1, nonce: 'n1' }]]),
    heap: { afterWarmUp: 50e6, atEnd: 51e6 },
    ...overrides,
  };
}

const broken = (h: History) =>
  checkHistory(h)
    .filter((invariant) => invariant.violations.length > 0)
    .map((invariant) => invariant.name);

describe('the soak checker', () => {
  it('finds nothing wrong with a consistent history', () => {
    expect(broken(history())).toEqual([]);
    expect(checkHistory(history())).toHaveLength(11);
  });

  it.each<[string, Partial<History>, RegExp]>([
    ['an answer out of the contract', { exchanges: [exchange({ malformed: 'not JSON' })] }, /contract/],
    ['a 500 with no fault injected', { exchanges: [exchange({ status: 500 })] }, /no 5xx/],
    ['a request that got no answer, no fault injected', { exchanges: [exchange({ status: 0 })] }, /no 5xx/],
    ["a stranger's write acknowledged", { exchanges: [exchange({ actor: 'u9' })] }, /owner or an admin/],
    [
      "the old owner's write acknowledged after a handover",
      {
        exchanges: [exchange({ start: 30, end: 40 })],
        chaos: [created, { kind: 'handover', learningId: 'r1', owner: 'u1', start: 20, end: 25 }],
      },
      /owner or an admin/,
    ],
    [
      'a write acknowledged after the record was deleted',
      {
        exchanges: [exchange({ actor: 'admin', admin: true, start: 30, end: 40 })],
        chaos: [created, { kind: 'delete', learningId: 'r1', start: 20, end: 25 }],
        final: new Map([['r1', undefined]]),
      },
      /deleted record/,
    ],
    ['an If-Match write acknowledged off the chain', { exchanges: [exchange({ ifMatchVersion: 3 })] }, /chain/],
    [
      'two writes acknowledged at one version',
      {
        exchanges: [exchange({}), exchange({ nonce: 'n2', answeredNonce: 'n2' })],
        final: new Map([['r1', { version: 1, nonce: 'n2' }]]),
      },
      /one version, one content/,
    ],
    [
      'a read showing other content at a version',
      { exchanges: [exchange({}), exchange({ nonce: undefined, answeredNonce: 'n9' })] },
      /one version, one content/,
    ],
    [
      'a refused write that shows up later',
      {
        exchanges: [exchange({}), exchange({ nonce: 'n2', status: 412, answeredNonce: undefined })],
        final: new Map([['r1', { version: 2, nonce: 'n2' }]]),
      },
      /refused write/,
    ],
    [
      'a final state behind the last acknowledged write',
      { exchanges: [exchange({ version: 2 })], final: new Map([['r1', { version: 1, nonce: 'seed-r1' }]]) },
      /final state/,
    ],
    [
      'a deleted record that exists again',
      {
        exchanges: [],
        chaos: [created, { kind: 'delete', learningId: 'r1', start: 20, end: 25 }],
        final: new Map([['r1', { version: 0, nonce: 'seed-r1' }]]),
      },
      /final state/,
    ],
    ['a record gone missing', { final: new Map([['r1', undefined]]) }, /final state/],
    ['a heap that grew', { heap: { afterWarmUp: 50e6, atEnd: 80e6 } }, /heap/],
    [
      "an acknowledged append's element lost",
      {
        exchanges: [patched('append', 'e1', 1, ['e1']), patched('append', 'e2', 2, ['e1', 'e2'])],
        final: list(2, ['e2']),
      },
      /acknowledged append/,
    ],
    [
      'an element appended twice',
      { exchanges: [patched('append', 'e1', 1, ['e1'])], final: list(1, ['e1', 'e1']) },
      /acknowledged append/,
    ],
    [
      'an element no append sent',
      { exchanges: [patched('append', 'e1', 1, ['e1'])], final: list(1, ['e1', 'e9']) },
      /acknowledged append/,
    ],
    [
      'a refused append that shows up',
      {
        exchanges: [patched('append', 'e1', 1, ['e1']), patched('append', 'e2', 1, [], 409)],
        final: list(1, ['e1', 'e2']),
      },
      /refused write/,
    ],
    [
      "an acknowledged merge's key lost",
      {
        exchanges: [exchange({}), merged('k', 'v1', 2)],
        final: new Map([['r1', { version: 2, nonce: 'n1', keys: {} }]]),
      },
      /merge's key is lost/,
    ],
    [
      "an acknowledged merge's key holding an earlier merge's value",
      {
        exchanges: [merged('k', 'v1', 1), merged('k', 'v2', 2)],
        final: new Map([['r1', { version: 2, nonce: 'n1', keys: { k: 'v1' } }]]),
      },
      /merge's key is lost/,
    ],
    [
      'an acknowledged removal undone',
      {
        exchanges: [merged('k', 'v1', 1), merged('k', null, 2)],
        final: new Map([['r1', { version: 2, nonce: 'n1', keys: { k: 'v1' } }]]),
      },
      /merge's key is lost/,
    ],
    [
      'a key holding a value no merge sent',
      { exchanges: [merged('k', 'v1', 1)], final: new Map([['r1', { version: 1, nonce: 'n1', keys: { k: 'v9' } }]]) },
      /merge's key is lost/,
    ],
    [
      'a refused merge that shows up later',
      {
        exchanges: [{ ...merged('k', 'v1', undefined), status: 412 }],
        final: new Map([['r1', { version: 1, nonce: 'n1', keys: { k: 'v1' } }]]),
      },
      /refused write/,
    ],
    [
      'a keyed write applied twice: two sendings answered 200, neither a replay',
      {
        exchanges: sentWithKey(exchange({}), 'k1', [
          { status: 200, version: 1 },
          { status: 200, version: 2 },
        ]),
        final: new Map([['r1', { version: 2, nonce: 'n1' }]]),
      },
      /no write applied twice/,
    ],
    [
      'a keyed append whose element is there twice, with an append of unknown outcome to account for the versions',
      {
        exchanges: [
          { ...patched('append', 'e9', 1, [], 503), start: 5, end: 15 },
          ...sentWithKey(patched('append', 'e1', 2, ['e1', 'e1']), 'k1', [{ status: 503 }, { status: 200 }]),
        ],
        faultedAt: [15],
        final: list(2, ['e1', 'e1']),
      },
      /no write applied twice/,
    ],
    [
      'a replay that wrote: a version no other write made',
      {
        exchanges: sentWithKey(exchange({}), 'k1', [{ status: 503 }, replay(2)]),
        faultedAt: [15],
        final: new Map([['r1', { version: 2, nonce: 'n1' }]]),
      },
      /no write applied twice/,
    ],
    [
      'a whole write seen at two versions, with a write of unknown outcome to account for the versions',
      {
        exchanges: [
          exchange({ nonce: 'n3', status: 503, version: undefined, answeredNonce: undefined, start: 5, end: 15 }),
          ...sentWithKey(exchange({}), 'k1', [{ status: 0 }, { status: 200, version: 2 }]),
          exchange({ nonce: undefined, start: 12, end: 14 }),
          exchange({ nonce: 'n2', answeredNonce: 'n2', version: 3, start: 60, end: 70 }),
        ],
        faultedAt: [15],
        final: new Map([['r1', { version: 3, nonce: 'n2' }]]),
      },
      /no write applied twice/,
    ],
    [
      'a replay before the version its If-Match write made',
      {
        exchanges: sentWithKey(exchange({ ifMatchVersion: 1 }), 'k1', [{ status: 503 }, replay(1)]),
        faultedAt: [15],
      },
      /no write applied twice/,
    ],
    [
      'a key refused as sent with another body',
      {
        exchanges: sentWithKey(exchange({}), 'k1', [{ status: 503 }, { status: 422, version: undefined }]),
        faultedAt: [15],
      },
      /no write applied twice/,
    ],
    ['a replay of a request that sent no key', { exchanges: [exchange({ replayed: true })] }, /no write applied twice/],
  ])('finds %s', (_name, overrides, invariant) => {
    const names = broken(history(overrides));
    expect(
      names.some((name) => invariant.test(name)),
      names.join('; '),
    ).toBe(true);
  });

  it.each<[string, Exchange[], string[]]>([
    [
      'an element appended, another removed, one lost in an unanswered append',
      [
        patched('append', 'e1', 1, ['e1']),
        patched('append', 'e2', 2, ['e1', 'e2']),
        patched('remove', 'e1', 3, ['e2']),
        { ...patched('append', 'e3', 4, []), status: 0, answeredElements: undefined },
      ],
      ['e2'],
    ],
    [
      'the same, the unanswered append landed',
      [
        patched('append', 'e1', 1, ['e1']),
        { ...patched('append', 'e3', 2, []), status: 503, answeredElements: undefined },
      ],
      ['e1', 'e3'],
    ],
  ])('finds nothing wrong with a list holding %s', (_name, exchanges, elements) => {
    expect(broken(history({ exchanges, final: list(exchanges.length, elements), faultedAt: [15] }))).toEqual([]);
  });

  it.each<[string, Exchange[], Record<string, unknown>]>([
    ['its key set by the last acknowledged merge', [merged('k', 'v1', 1), merged('k', 'v2', 2)], { k: 'v2' }],
    ['a later whole write that replaced content', [merged('k', 'v1', 1), exchange({ version: 2 })], {}],
    [
      'a later merge of unknown outcome',
      [merged('k', 'v1', 1, 10), { ...merged('k', null, undefined, 5), status: 503, end: 30 }],
      {},
    ],
    ['other keys of other agents', [merged('k', 'v1', 1), merged('j', 'v2', 2)], { k: 'v1', j: 'v2' }],
  ])('accepts a merge history: %s', (_name, exchanges, keys) => {
    const version = Math.max(...exchanges.map((e) => e.version ?? 0));
    const h = history({ exchanges, faultedAt: [25], final: new Map([['r1', { version, nonce: 'n1', keys }]]) });
    expect(broken(h)).toEqual([]);
  });

  it.each<[string, Partial<History>]>([
    [
      'a whole write with If-Match answered 503, then replayed after another write',
      {
        exchanges: [
          exchange({ nonce: 'n2', answeredNonce: 'n2', version: 2, start: 22, end: 24 }),
          ...sentWithKey(exchange({ ifMatchVersion: 0 }), 'k1', [
            { status: 503 },
            replay(2, { answeredNonce: 'n2', start: 30 }),
          ]),
        ],
        final: new Map([['r1', { version: 2, nonce: 'n2' }]]),
      },
    ],
    [
      "a first sending answered as a replay: its own write, whose answer DynamoDB lost, then another's",
      {
        exchanges: [
          ...sentWithKey(exchange({ start: 10, end: 40 }), 'k1', [replay(2, { answeredNonce: 'n2', end: 40 })]),
          exchange({ nonce: 'n2', answeredNonce: 'n2', version: 2, start: 20, end: 25 }),
        ],
        final: new Map([['r1', { version: 2, nonce: 'n2' }]]),
      },
    ],
    [
      'a whole write that got no answer, applied by its resend',
      {
        exchanges: sentWithKey(exchange({}), 'k1', [{ status: 0 }, { status: 200, version: 1 }]),
        final: new Map([['r1', { version: 1, nonce: 'n1' }]]),
      },
    ],
    [
      'an append answered 503, then replayed: one append, acknowledged',
      {
        exchanges: sentWithKey(patched('append', 'e1', 1, ['e1']), 'k1', [{ status: 503 }, { status: 503 }, replay(1)]),
        faultedAt: [15, 35],
        final: list(1, ['e1']),
      },
    ],
    [
      'a merge answered 503 that landed, its resend refused after a handover',
      {
        exchanges: sentWithKey(merged('k', 'v1', undefined), 'k1', [{ status: 503 }, { status: 403 }]),
        chaos: [created, { kind: 'handover', learningId: 'r1', owner: 'u1', start: 22, end: 25 }],
        final: new Map([['r1', { version: 1, nonce: 'seed-r1', keys: { k: 'v1' } }]]),
      },
    ],
    [
      "a merge replayed after a whole write replaced content: the replay's version is not the merge's",
      {
        exchanges: [
          exchange({ version: 2, start: 22, end: 24 }),
          ...sentWithKey(merged('k', 'v1', undefined), 'k1', [
            { status: 503 },
            replay(2, { answeredKeys: undefined, start: 30 }),
          ]),
        ],
        final: new Map([['r1', { version: 2, nonce: 'n1' }]]),
      },
    ],
  ])('accepts a keyed write sent again: %s', (_name, overrides) => {
    expect(broken(history({ faultedAt: [15], ...overrides }))).toEqual([]);
  });

  it('accepts a 503 while a fault was injected, and a write whose outcome is unknown in the final state', () => {
    const h = history({
      exchanges: [exchange({}), exchange({ nonce: 'n2', status: 503, version: undefined, answeredNonce: undefined })],
      faultedAt: [15],
      final: new Map([['r1', { version: 2, nonce: 'n2' }]]),
    });
    expect(broken(h)).toEqual([]);
  });
});
