// The write engine without DynamoDB: each kind of plan and the classifier of failed conditions, run against
// a scripted store that answers each call as the test says and records what it was asked.

import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../lib/auth.ts';
import {
  ForbiddenError,
  LearningNotFoundError,
  PreconditionFailedError,
  ServiceUnavailableError,
  ValidationError,
} from '../../lib/errors.ts';
import { entityTag, type Preconditions } from '../../lib/etag.ts';
import type { StoredLearning } from '../../lib/learning.ts';
import { type LearningStore, StorageError, type UpdateOutcome } from '../../lib/learnings-repository.ts';
import { executeWrite, MAX_WRITES, readLearning, type WritePlan } from '../../lib/write/engine.ts';
import { type IdempotencyKey, idempotencyKey, KEY_WINDOW_SECONDS, TRIM_AT } from '../../lib/write/idempotency.ts';
import type { UpdateCommands } from '../../lib/write/update-command.ts';

const NOW = 1_700_000_000;
const alice: Principal = { userId: 'alice', scopes: [], isAdmin: false };
const record = (fields: Record<string, unknown> = {}): StoredLearning => ({
  learning_id: 'l',
  user_id: 'alice',
  content: { a: 1 },
  etag_version: 3,
  updated_at: 1,
  ...fields,
});

/** A scripted answer to a write: an outcome, an error, or one made from the command (to hold its write id). */
type ScriptedWrite = UpdateOutcome | Error | ((commands: UpdateCommands) => UpdateOutcome);

/** A store that answers reads and writes from scripts, and records every call. */
class ScriptedStore implements LearningStore {
  readonly calls: string[] = [];
  readonly commands: UpdateCommands[] = [];
  readonly trims: UpdateCommandInput[] = [];
  readonly #writes: ScriptedWrite[];
  readonly #reads: (StoredLearning | undefined)[];
  constructor(writes: ScriptedWrite[], reads: (StoredLearning | undefined)[] = []) {
    this.#writes = writes;
    this.#reads = reads;
  }
  async find(): Promise<StoredLearning | undefined> {
    this.calls.push('find');
    return this.#reads.shift();
  }
  async update(commands: UpdateCommands): Promise<UpdateOutcome> {
    this.calls.push('update');
    this.commands.push(commands);
    const outcome = this.#writes.shift();
    if (outcome === undefined) throw new Error('no more scripted writes');
    if (outcome instanceof Error) throw outcome;
    return typeof outcome === 'function' ? outcome(commands) : outcome;
  }
  async updateIfStill(command: UpdateCommandInput): Promise<void> {
    this.calls.push('updateIfStill');
    this.trims.push(command);
  }
}

/** The write id an attempt wrote. */
const writeIdOf = (commands: UpdateCommands) => commands.command.ExpressionAttributeValues?.[':write'] as string;

const written = (item: StoredLearning): UpdateOutcome => ({ updated: true, item });
const refused = (current: StoredLearning | undefined, mayHaveApplied = false): UpdateOutcome => ({
  updated: false,
  current,
  mayHaveApplied,
});

/** A plan that writes `#content.#m0 = :m0` as paths (or cannot, or never fits), and records what it was given. */
function plan(options: Partial<WritePlan> & { pathsWork?: boolean; tooLarge?: boolean } = {}) {
  const seen: (StoredLearning | undefined)[] = [];
  const computedFrom: StoredLearning[] = [];
  const writePlan: WritePlan = {
    paths: (expression, stored) => {
      // Each attempt builds its paths twice: its write, and the write that takes over a foreign counter.
      if (seen.length === 0 || seen.at(-1) !== stored) seen.push(stored);
      if (options.pathsWork === false) return false;
      const repeat = options.tooLarge === true ? 400 : 1;
      for (let index = 0; index < repeat; index++) {
        expression.set(`${expression.name('content')}.${expression.key(`k${index}`)}`, expression.dataValue(index));
      }
      return true;
    },
    valuesFrom: (stored) => {
      computedFrom.push(stored);
      return { content: { merged: true } };
    },
    retries: false,
    ...options,
  } as WritePlan;
  return { writePlan, seen, computedFrom };
}

const request = (preconditions?: Preconditions, principal = alice, key?: IdempotencyKey) => ({
  table: 't',
  scope: '/t',
  learningId: 'l',
  principal,
  now: NOW,
  preconditions,
  key,
});

const conditionOf = (store: ScriptedStore, index: number) => store.commands[index]?.command.ConditionExpression;

describe('a plan of document paths', () => {
  it('is one UpdateItem, its paths inside, ownership in the condition; the written item is the answer', async () => {
    const item = record({ etag_version: 4 });
    const store = new ScriptedStore([written(item)]);
    const { writePlan, seen } = plan();
    expect(await executeWrite(store, request(), writePlan)).toEqual({ item, replayed: false });
    expect(store.calls).toEqual(['update']);
    expect(seen).toEqual([undefined]);
    expect(store.commands[0]?.command.UpdateExpression).toBe(
      'SET #content.#m0 = :m0, #write = :write, #updated_at = :updated_at, #version = if_not_exists(#version, :zero) + :one',
    );
    // A fresh id for each request: the container's 64 random bits, then a count of its requests.
    const first = writeIdOf(store.commands[0] as UpdateCommands);
    expect(first).toMatch(/^[\w-]{12,}$/);
    const again = new ScriptedStore([written(item)]);
    await executeWrite(again, request(), plan().writePlan);
    const second = writeIdOf(again.commands[0] as UpdateCommands);
    expect(second).not.toBe(first);
    // The same 11 characters, then a count in base 36.
    expect(second.slice(0, 11)).toBe(first.slice(0, 11));
    expect(second.slice(11)).toMatch(/^[0-9a-z]+$/);
    expect(Number.parseInt(second.slice(11), 36)).toBeGreaterThan(Number.parseInt(first.slice(11), 36));
    expect(conditionOf(store, 0)).toBe('#user_id = :caller');
  });
});

describe('a plan that needs the stored value', () => {
  it('reads the record, then writes the values computed from it on the condition that it is still at its version', async () => {
    const stored = record({ etag_version: 6 });
    const store = new ScriptedStore([written(record({ etag_version: 7 }))], [stored]);
    const { writePlan, computedFrom } = plan({ pathsWork: false });
    await executeWrite(store, request(), writePlan);
    expect(store.calls).toEqual(['find', 'update']);
    expect(computedFrom).toEqual([stored]);
    expect(conditionOf(store, 0)).toBe('#user_id = :caller AND #version = :version1');
    expect(store.commands[0]?.command.ExpressionAttributeValues).toMatchObject({
      ':version1': 6,
      ':content': { merged: true },
    });
  });

  it('paths past DynamoDB expression limits take the same way', async () => {
    const store = new ScriptedStore([written(record())], [record()]);
    await executeWrite(store, request(), plan({ tooLarge: true }).writePlan);
    expect(store.calls).toEqual(['find', 'update']);
  });

  it('the read is refused as a write would be: no write follows', async () => {
    for (const [stored, error] of [
      [undefined, LearningNotFoundError],
      [record({ user_id: 'bob' }), LearningNotFoundError],
      [record({ user_id: null }), ForbiddenError],
    ] as const) {
      const store = new ScriptedStore([], [stored]);
      await expect(executeWrite(store, request(), plan({ pathsWork: false }).writePlan)).rejects.toThrow(error);
      expect(store.calls).toEqual(['find']);
    }
    const stale = new ScriptedStore([], [record()]);
    await expect(executeWrite(stale, request({ match: [2] }), plan({ pathsWork: false }).writePlan)).rejects.toThrow(
      PreconditionFailedError,
    );
  });
});

describe('the classifier of a failed condition', () => {
  it('a record that is not there, or not the caller: 404 or 403, and 503 when an attempt may have applied', async () => {
    const cases = [
      [undefined, LearningNotFoundError],
      [record({ user_id: 'bob' }), LearningNotFoundError],
      [record({ user_id: undefined }), ForbiddenError],
    ] as const;
    for (const [current, error] of cases) {
      await expect(executeWrite(new ScriptedStore([refused(current)]), request(), plan().writePlan)).rejects.toThrow(
        error,
      );
      await expect(
        executeWrite(new ScriptedStore([refused(current, true)]), request(), plan().writePlan),
      ).rejects.toThrow(ServiceUnavailableError);
    }
  });

  it('a record at a version If-Match does not name: 412 with its current ETag, 503 when it may have applied', async () => {
    const error = await executeWrite(
      new ScriptedStore([refused(record({ etag_version: 5 }))]),
      request({ match: [3] }),
      plan().writePlan,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as PreconditionFailedError).headers.ETag).toBe(entityTag('/t', 5));
    await expect(
      executeWrite(
        new ScriptedStore([refused(record({ etag_version: 5 }), true)]),
        request({ match: [3] }),
        plan().writePlan,
      ),
    ).rejects.toThrow(ServiceUnavailableError);
  });

  it('this very write, committed by an attempt whose answer was lost: the record holds its write id', async () => {
    const mine = (commands: UpdateCommands) =>
      refused(record({ etag_version: 9, etag_write: writeIdOf(commands) }), true);
    for (const preconditions of [undefined, { match: [3] }]) {
      const answer = await executeWrite(new ScriptedStore([mine]), request(preconditions), plan().writePlan);
      expect(answer).toEqual({ item: expect.objectContaining({ etag_version: 9 }), replayed: false });
    }
    // Not in the record, If-Match naming one version and the record still at it: not applied, sent again.
    const unmoved = new ScriptedStore([refused(record({ etag_version: 3 }), true), written(record())]);
    await executeWrite(unmoved, request({ match: [3] }), plan().writePlan);
    expect(unmoved.calls).toEqual(['update', 'update']);
    // Sent again on that same version, with the same write id.
    expect(conditionOf(unmoved, 1)).toBe('#user_id = :caller AND #version = :version1');
    expect(unmoved.commands[1]?.command.ExpressionAttributeValues?.[':version1']).toBe(3);
    expect(writeIdOf(unmoved.commands[1] as UpdateCommands)).toBe(writeIdOf(unmoved.commands[0] as UpdateCommands));
    for (const [version, match] of [
      [4, [3]],
      [3, [3, 5]],
    ] as const) {
      const unknown = new ScriptedStore([refused(record({ etag_version: version }), true)]);
      await expect(executeWrite(unknown, request({ match: [...match] }), plan().writePlan)).rejects.toThrow(
        ServiceUnavailableError,
      );
    }
    // Another request's id: without a key the write may have applied before that one: 503, never again.
    for (const retries of [false, true]) {
      const store = new ScriptedStore([refused(record({ etag_write: 'another' }), true)]);
      await expect(executeWrite(store, request(), plan({ retries }).writePlan)).rejects.toThrow(
        ServiceUnavailableError,
      );
      expect(store.calls).toEqual(['update']);
    }
  });

  it('a plan that does not retry: a record the caller may change now changed after the write was refused', async () => {
    await expect(executeWrite(new ScriptedStore([refused(record())]), request(), plan().writePlan)).rejects.toThrow(
      LearningNotFoundError,
    );
    await expect(
      executeWrite(new ScriptedStore([refused(record())]), request({ match: [3] }), plan().writePlan),
    ).rejects.toThrow(PreconditionFailedError);
    await expect(
      executeWrite(new ScriptedStore([refused(record(), true)]), request(), plan().writePlan),
    ).rejects.toThrow(ServiceUnavailableError);
  });

  it('a plan that retries runs again on the item the failure returned, at most four writes, then 503', async () => {
    const first = record({ content: ['a list'] });
    const second = record({ content: 'text', etag_version: 4 });
    const after = record({ etag_version: 5 });
    const again = plan({ retries: true });
    const store = new ScriptedStore([refused(first), refused(second), written(after)]);
    expect((await executeWrite(store, request(), again.writePlan)).item).toBe(after);
    expect(again.seen).toEqual([undefined, first, second]);
    expect(store.calls).toEqual(['update', 'update', 'update']);
    const endless = new ScriptedStore(Array.from({ length: MAX_WRITES }, () => refused(record())));
    await expect(executeWrite(endless, request(), plan({ retries: true }).writePlan)).rejects.toThrow(
      ServiceUnavailableError,
    );
    expect(endless.calls).toHaveLength(MAX_WRITES);
  });

  it('a retried whole value is conditioned on the version of the item the failure returned', async () => {
    const store = new ScriptedStore(
      [refused(record({ etag_version: 8 })), written(record({ etag_version: 9 }))],
      [record({ etag_version: 7 })],
    );
    await executeWrite(store, request(), plan({ pathsWork: false, retries: true }).writePlan);
    expect(store.calls).toEqual(['find', 'update', 'update']);
    expect(store.commands.map(({ command }) => command.ExpressionAttributeValues?.[':version1'])).toEqual([7, 8]);
  });
});

describe('paths that name a value by a path the item does not have', () => {
  it('DynamoDB refusing them as invalid: nothing was written, so the record is read and written knowing its shape', async () => {
    const stored = record({ etag_version: 2 });
    const invalid = new StorageError(
      'invalid-path',
      new Error('The document path provided in the update expression is invalid'),
    );
    const store = new ScriptedStore([invalid, written(record({ etag_version: 3 }))], [stored]);
    const again = plan({ retries: true, paths: (_expression, item) => item === undefined });
    await executeWrite(store, request(), again.writePlan);
    expect(store.calls).toEqual(['update', 'find', 'update']);
    expect(store.commands[1]?.command.ExpressionAttributeValues?.[':version1']).toBe(2);
  });

  it('refused as invalid once the shape is known, or any other storage failure: the error is the answer', async () => {
    const invalid = () => new StorageError('invalid-path', new Error('invalid'));
    const known = new ScriptedStore([invalid()], [record()]);
    await expect(executeWrite(known, request(), plan({ pathsWork: false }).writePlan)).rejects.toThrow(StorageError);
    expect(known.calls).toEqual(['find', 'update']);
    const throttled = new ScriptedStore([new StorageError('unavailable', new Error('throttled'))]);
    await expect(executeWrite(throttled, request(), plan().writePlan)).rejects.toThrow(StorageError);
    expect(throttled.calls).toEqual(['update']);
  });
});

describe('a write with an Idempotency-Key', () => {
  const key = idempotencyKey('alice', 'k-1', 'json-patch', [{ op: 'add', path: '/content/a', value: 1 }]);
  const keyed = (preconditions?: Preconditions) => request(preconditions, alice, key);
  const entry = (seconds: number, fingerprint = key.fingerprint) => ({ [key.attribute]: `${seconds} ${fingerprint}` });

  it('is conditioned on the record holding no live entry for the key, and sets it: one UpdateItem', async () => {
    const store = new ScriptedStore([written(record())]);
    await executeWrite(store, keyed(), plan().writePlan);
    const { command } = store.commands[0] as UpdateCommands;
    expect(command.ConditionExpression).toBe('#user_id = :caller AND (attribute_not_exists(#key) OR #key < :expired)');
    expect(command.UpdateExpression).toContain('#key = :key');
    expect(command.ExpressionAttributeNames).toMatchObject({ '#key': key.attribute });
    expect(command.ExpressionAttributeValues).toMatchObject({
      ':key': `${NOW} ${key.fingerprint}`,
      ':expired': String(NOW - KEY_WINDOW_SECONDS),
    });
    expect(store.calls).toEqual(['update']);
  });

  it('the key with the same body written by an earlier request: the record as it stands, replayed, before If-Match', async () => {
    const earlier = record({ etag_version: 7, ...entry(NOW - 5) });
    const answer = await executeWrite(new ScriptedStore([refused(earlier)]), keyed({ match: [3] }), plan().writePlan);
    expect(answer).toEqual({ item: earlier, replayed: true });
  });

  it('an answer lost: its own write id says this write; its key alone (another write landed since) says a replay', async () => {
    const mine = (commands: UpdateCommands) =>
      refused(record({ etag_write: writeIdOf(commands), ...entry(NOW) }), true);
    expect((await executeWrite(new ScriptedStore([mine]), keyed(), plan().writePlan)).replayed).toBe(false);
    const since = refused(record({ etag_write: 'later', ...entry(NOW) }), true);
    expect((await executeWrite(new ScriptedStore([since]), keyed(), plan().writePlan)).replayed).toBe(true);
  });

  it('the key with another body: 422, nothing written', async () => {
    const other = record(entry(NOW - 5, 'another-body-hash'));
    const store = new ScriptedStore([refused(other)]);
    await expect(executeWrite(store, keyed(), plan({ retries: true }).writePlan)).rejects.toThrow(ValidationError);
    expect(store.calls).toEqual(['update']);
  });

  it('an entry older than the window is no entry: the failure is classified as without a key', async () => {
    const expired = record(entry(NOW - KEY_WINDOW_SECONDS - 1, 'another-body-hash'));
    await expect(executeWrite(new ScriptedStore([refused(expired)]), keyed(), plan().writePlan)).rejects.toThrow(
      LearningNotFoundError,
    );
    // At exactly the window's edge the entry still holds.
    const edge = record(entry(NOW - KEY_WINDOW_SECONDS));
    expect((await executeWrite(new ScriptedStore([refused(edge)]), keyed(), plan().writePlan)).replayed).toBe(true);
  });

  it('an answer lost and no entry in the record: the key guards the write, which runs again', async () => {
    for (const retries of [false, true]) {
      const store = new ScriptedStore([refused(record(), true), written(record({ etag_version: 4 }))]);
      await executeWrite(store, keyed(), plan({ retries }).writePlan);
      expect(store.calls).toEqual(['update', 'update']);
      // Sent again with the key's condition and the same write id: of the two, at most one can apply.
      const [lost, again] = store.commands as [UpdateCommands, UpdateCommands];
      expect(again.command.ConditionExpression).toContain('(attribute_not_exists(#key) OR #key < :expired)');
      expect(writeIdOf(again)).toBe(writeIdOf(lost));
    }
    // Unless the record is no longer at a version If-Match accepts: 412.
    const moved = new ScriptedStore([refused(record({ etag_version: 5 }), true)]);
    await expect(executeWrite(moved, keyed({ match: [3] }), plan().writePlan)).rejects.toThrow(PreconditionFailedError);
  });

  it('a read before writing (paths that cannot be) answers a replay before If-Match and before the plan runs', async () => {
    const earlier = record({ etag_version: 9, ...entry(NOW - 5) });
    const { writePlan, computedFrom } = plan({ pathsWork: false });
    const store = new ScriptedStore([], [earlier]);
    expect(await executeWrite(store, keyed({ match: [3] }), writePlan)).toEqual({ item: earlier, replayed: true });
    expect(store.calls).toEqual(['find']);
    expect(computedFrom).toEqual([]);
  });

  it('a path refused as invalid, then a read that finds the key: the replay, with no write after', async () => {
    const invalid = new StorageError('invalid-path', new Error('The document path provided is invalid'));
    const earlier = record({ etag_version: 9, ...entry(NOW - 5) });
    const store = new ScriptedStore([invalid], [earlier]);
    expect(await executeWrite(store, keyed({ match: [3] }), plan().writePlan)).toEqual({
      item: earlier,
      replayed: true,
    });
    expect(store.calls).toEqual(['update', 'find']);
  });

  it('trims the expired entries once TRIM_AT of them gather, after the write; a write without a key never does', async () => {
    const expiredEntries = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`etag_key_${index}`, `${NOW - 700} f`]));
    const gathered = record({ ...expiredEntries(TRIM_AT), etag_key_live: `${NOW} f` });
    const store = new ScriptedStore([written(gathered)]);
    expect((await executeWrite(store, keyed(), plan().writePlan)).item).toBe(gathered);
    expect(store.calls).toEqual(['update', 'updateIfStill']);
    expect(store.trims[0]?.UpdateExpression).toMatch(/^REMOVE #m0, /);
    const fewer = new ScriptedStore([written(record(expiredEntries(TRIM_AT - 1)))]);
    await executeWrite(fewer, keyed(), plan().writePlan);
    expect(fewer.calls).toEqual(['update']);
    const unkeyed = new ScriptedStore([written(gathered)]);
    await executeWrite(unkeyed, request(), plan().writePlan);
    expect(unkeyed.calls).toEqual(['update']);
  });
});

describe('readLearning, for a body that writes nothing', () => {
  it('answers the record the caller may change at an accepted version, and refuses as a write would', async () => {
    const item = record();
    expect(await readLearning(new ScriptedStore([], [item]), request())).toBe(item);
    await expect(readLearning(new ScriptedStore([], [undefined]), request())).rejects.toThrow(LearningNotFoundError);
    await expect(readLearning(new ScriptedStore([], [record({ user_id: null })]), request())).rejects.toThrow(
      ForbiddenError,
    );
    await expect(readLearning(new ScriptedStore([], [item]), request({ noneMatch: [3] }))).rejects.toThrow(
      PreconditionFailedError,
    );
    const shared = record({ user_id: null });
    const admin = { ...alice, isAdmin: true };
    expect(await readLearning(new ScriptedStore([], [shared]), request(undefined, admin))).toBe(shared);
  });
});
