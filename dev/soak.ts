// The soak: the real HTTP stack (serverless-offline running the deployable bundle) over dynalite behind a
// fault proxy, many concurrent clients for a bounded number of requests, records handed over and deleted
// mid-run, DynamoDB throttling, hanging and losing answers after commit. A third of the records are shared
// memories: most writes to them are merge patches, each client (an agent) setting or removing keys of its
// own under content.m. Every request and answer is
// recorded, and the history is checked at the end against what must always hold (checkHistory).
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../lib/config.ts';
import { createDocumentClient } from '../lib/dynamodb.ts';
import { entityTag, etagScope } from '../lib/etag.ts';
import { VERSION_ATTRIBUTE } from '../lib/service-attributes.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { ensureLearningsTable, localClient, startDynalite } from './local-dynamodb.ts';
import { startOffline } from './offline.ts';
import { ADMIN_SCOPE, DEV_JWT_SECRET, signToken } from './tokens.ts';

export interface SoakOptions {
  requests: number;
  clients: number;
  records: number;
  /** Inject DynamoDB faults (throttling bursts, hung calls, answers lost after commit). */
  faults: boolean;
  seed: number;
  progress?: (line: string) => void;
}

export const SOAK_DEFAULTS: SoakOptions = { requests: 20_000, clients: 64, records: 48, faults: true, seed: 1 };

/** One request and its answer, as a client saw them. */
export interface Exchange {
  learningId: string;
  actor: string;
  admin: boolean;
  /** A write carries content with a nonce no other request uses; a read sends {}. */
  nonce: string | undefined;
  /** A merge patch sets content.m[key] to a nonce no other request uses, or removes it (null). */
  merge: { key: string; value: string | null } | undefined;
  ifMatchVersion: number | undefined;
  start: number;
  end: number;
  /** 0 when no HTTP answer came. */
  status: number;
  /** The version the answer's ETag names. */
  version: number | undefined;
  /** content.nonce of a 200 answer. */
  answeredNonce: string | undefined;
  /** content.m of a 200 answer, when it is a map. */
  answeredKeys: Record<string, unknown> | undefined;
  /** What is wrong with the answer's form, if anything. */
  malformed: string | undefined;
}

/** A change another tool made to the table during the run, directly (not through the service). */
export interface ChaosEvent {
  kind: 'create' | 'handover' | 'delete';
  learningId: string;
  /** The owner from then on (create, handover); null for no owner. */
  owner?: string | null;
  start: number;
  end: number;
}

export interface StoredState {
  version: number;
  nonce: string | undefined;
  /** content.m, when it is a map. */
  keys?: Record<string, unknown> | undefined;
}

export interface History {
  exchanges: Exchange[];
  chaos: ChaosEvent[];
  /** performance.now() of each DynamoDB call that met an injected fault. */
  faultedAt: number[];
  /** Each record at the end; undefined when absent. */
  final: Map<string, StoredState | undefined>;
  /** Heap used by the service process after a full GC: after warm-up, and at the end. */
  heap: { afterWarmUp: number; atEnd: number } | undefined;
}

export interface Invariant {
  name: string;
  violations: string[];
}

const ALLOWED_STATUSES = new Set([200, 403, 404, 412, 503]);
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const HEAP_GROWTH_ALLOWED = 1.1;
const HEAP_SLACK_BYTES = 4 * 1024 * 1024;

/** The invariants of the run, each with the ways the history breaks it (empty: held). */
export function checkHistory(history: History): Invariant[] {
  const { exchanges, chaos, faultedAt, final } = history;
  const invariants: Invariant[] = [];
  const check = (name: string, find: (violations: string[]) => void) => {
    const violations: string[] = [];
    find(violations);
    invariants.push({ name, violations });
  };
  const describe = (e: Exchange) =>
    `${e.actor} ${e.merge !== undefined ? `merge m.${e.merge.key}=${e.merge.value}` : e.nonce === undefined ? '{}' : `write ${e.nonce}`} on ${e.learningId} → ${e.status}${e.version === undefined ? '' : ` @${e.version}`}`;
  const eventsOf = new Map<string, ChaosEvent[]>();
  for (const event of chaos) eventsOf.set(event.learningId, [...(eventsOf.get(event.learningId) ?? []), event]);

  check('every answer is in the contract', (violations) => {
    for (const e of exchanges) {
      if (e.malformed !== undefined) violations.push(`${describe(e)}: ${e.malformed}`);
      else if (e.status !== 0 && !ALLOWED_STATUSES.has(e.status) && e.status < 500)
        violations.push(`${describe(e)}: unexpected status`);
    }
  });

  check('no 5xx and no lost request outside injected faults', (violations) => {
    const sorted = [...faultedAt].sort((a, b) => a - b);
    for (const e of exchanges) {
      if (e.status !== 0 && e.status < 500) continue;
      if (!sorted.some((at) => at >= e.start && at <= e.end)) violations.push(`${describe(e)} with no fault injected`);
    }
  });

  check('no write by anyone but the owner or an admin landed; nothing landed on a deleted record', (violations) => {
    for (const e of exchanges) {
      if (e.status !== 200) continue;
      const events = eventsOf.get(e.learningId) ?? [];
      const deleted = events.find((event) => event.kind === 'delete');
      if (deleted !== undefined && e.start > deleted.end) violations.push(`${describe(e)} after its deletion`);
      if (e.admin || !isWrite(e)) continue;
      // The caller must have owned the record at some moment while the request ran.
      const owned = events.some((event, index) => {
        if (event.owner !== e.actor) return false;
        const until = events.slice(index + 1).find((later) => later.kind !== 'create');
        return event.start <= e.end && (until === undefined || until.end >= e.start);
      });
      if (!owned) violations.push(`${describe(e)} by a caller who never owned it meanwhile`);
    }
  });

  check('acknowledged If-Match writes form a chain: each at its If-Match version + 1', (violations) => {
    for (const e of exchanges) {
      if (e.status === 200 && isWrite(e) && e.ifMatchVersion !== undefined) {
        if (e.version !== e.ifMatchVersion + 1)
          violations.push(`${describe(e)}: If-Match ${e.ifMatchVersion}, answered version ${e.version}`);
      }
    }
  });

  // Every answer and the final state agree on what each version of a record holds, and no two
  // acknowledged writes share a version.
  check('one version, one content: never two acknowledged writes at one version', (violations) => {
    const seen = new Map<string, { nonce: string | undefined; write: boolean; by: string }>();
    const note = (key: string, nonce: string | undefined, write: boolean, by: string) => {
      const before = seen.get(key);
      if (before === undefined) seen.set(key, { nonce, write, by });
      else if (before.nonce !== nonce || (write && before.write))
        violations.push(`${key}: ${before.by} (${before.nonce}) and ${by} (${nonce})`);
      else if (write) seen.set(key, { nonce, write, by });
    };
    for (const e of exchanges) {
      if (e.status === 200 && e.version !== undefined) {
        note(`${e.learningId}@${e.version}`, e.answeredNonce, isWrite(e), describe(e));
      }
    }
    for (const [learningId, state] of final) {
      if (state !== undefined) note(`${learningId}@${state.version}`, state.nonce, false, 'the final state');
    }
  });

  check('no refused write changed anything', (violations) => {
    const refusals = exchanges.filter((e) => isWrite(e) && e.status >= 400 && e.status < 500);
    const refused = new Set([...refusals.map((e) => e.nonce), ...refusals.map((e) => e.merge?.value)]);
    refused.delete(undefined);
    refused.delete(null);
    const shown = (keys: Record<string, unknown> | undefined) =>
      Object.values(keys ?? {}).find((v) => refused.has(v as string));
    for (const e of exchanges) {
      if (e.status === 200 && (refused.has(e.answeredNonce) || shown(e.answeredKeys) !== undefined))
        violations.push(`${describe(e)} shows a refused write`);
    }
    for (const [learningId, state] of final) {
      if (state !== undefined && (refused.has(state.nonce) || shown(state.keys) !== undefined))
        violations.push(`${learningId} holds refused write ${state.nonce}`);
    }
  });

  check('the final state is the last acknowledged write or a later one; deleted records stay deleted', (violations) => {
    const unknownOutcome = new Set(exchanges.filter((e) => e.status === 0 || e.status >= 500).map((e) => e.nonce));
    const acknowledged = new Map<string, Exchange>();
    for (const e of exchanges) {
      if (e.status !== 200 || !isWrite(e) || e.version === undefined) continue;
      const last = acknowledged.get(e.learningId);
      if (last === undefined || (last.version ?? 0) < e.version) acknowledged.set(e.learningId, e);
    }
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
  });

  check("no acknowledged merge's key is lost, unless a later write removed or replaced it", (violations) => {
    const unknown = (e: Exchange) => e.status === 0 || e.status >= 500;
    const writesOf = new Map<string, Exchange[]>();
    for (const e of exchanges) {
      if (isWrite(e) && (e.status === 200 || unknown(e)))
        writesOf.set(e.learningId, [...(writesOf.get(e.learningId) ?? []), e]);
    }
    for (const [learningId, state] of final) {
      if (state === undefined) continue;
      const writes = writesOf.get(learningId) ?? [];
      const keys = new Set([
        ...Object.keys(state.keys ?? {}),
        ...writes.flatMap((e) => (e.merge ? [e.merge.key] : [])),
      ]);
      for (const key of keys) {
        const found = state.keys?.[key];
        const merges = writes.filter((e) => e.merge?.key === key);
        const sets = (e: Exchange) => (e.merge?.value ?? undefined) === found;
        if (found !== undefined && !merges.some(sets)) {
          violations.push(`${learningId} m.${key} holds ${String(found)}, which no merge sent`);
          continue;
        }
        const last = merges
          .filter((e) => e.status === 200)
          .reduce<Exchange | undefined>(
            (a, e) => (a === undefined || (a.version ?? 0) < (e.version ?? 0) ? e : a),
            undefined,
          );
        if (last === undefined || sets(last)) continue;
        // Later than the last acknowledged merge: acknowledged at a later version, or of unknown outcome and
        // not over before it began.
        const later = (e: Exchange) =>
          e !== last && (e.status === 200 ? (e.version ?? 0) > (last.version ?? 0) : e.end > last.start);
        const replaced = writes.some((e) => e.merge === undefined && later(e));
        if (!replaced && !merges.some((e) => later(e) && sets(e)))
          violations.push(`${learningId} m.${key} holds ${String(found)}, after ${describe(last)}`);
      }
    }
  });

  if (history.heap !== undefined) {
    const { afterWarmUp, atEnd } = history.heap;
    check(`the service's heap does not grow (after GC, at most ×${HEAP_GROWTH_ALLOWED} + 4 MiB)`, (violations) => {
      if (atEnd > afterWarmUp * HEAP_GROWTH_ALLOWED + HEAP_SLACK_BYTES)
        violations.push(`${mib(afterWarmUp)} after warm-up, ${mib(atEnd)} at the end`);
    });
  }
  return invariants;
}

function isWrite(e: Exchange): boolean {
  return e.nonce !== undefined || e.merge !== undefined;
}

/** A value that is a JSON object (content.m), or undefined. */
function mapOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A small deterministic generator, so that a run can be repeated with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

/** Heap used by a Node process after a full GC, through its inspector (a WebSocket URL). */
async function heapUsedAfterGc(inspectorUrl: string): Promise<number> {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let id = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const callId = ++id;
      const onMessage = (message: MessageEvent) => {
        const data = JSON.parse(String(message.data)) as { id?: number; result?: Record<string, unknown> };
        if (data.id !== callId) return;
        socket.removeEventListener('message', onMessage);
        resolve(data.result ?? {});
      };
      socket.addEventListener('message', onMessage);
      socket.send(JSON.stringify({ id: callId, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const { result } = (await call('Runtime.evaluate', {
      expression: 'process.memoryUsage().heapUsed',
      returnByValue: true,
    })) as { result?: { value?: number } };
    return result?.value ?? Number.NaN;
  } finally {
    socket.close();
  }
}

export interface SoakReport {
  history: History;
  invariants: Invariant[];
  seconds: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { requests, clients, records, faults, seed, progress = () => undefined } = options;
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const dynamoDb = await startDynalite();
  await ensureLearningsTable(localClient(dynamoDb.endpoint), 'agno_learnings');
  const proxy = await startFaultProxy(dynamoDb.endpoint);
  const direct = createDocumentClient(
    loadConfig({ JWT_ALGORITHMS: 'HS256', JWT_VERIFICATION_KEY: DEV_JWT_SECRET, DYNAMODB_ENDPOINT: dynamoDb.endpoint })
      .dynamoDb,
  );
  const offline = await startOffline({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    JWT_ALGORITHMS: 'HS256',
    JWT_VERIFICATION_KEY: DEV_JWT_SECRET,
    // Shorter than the defaults, so that a hung call costs the run less; long enough that a busy machine's
    // first requests (a cold container, 64 at once) do not time out.
    DYNAMODB_CONNECT_TIMEOUT_MS: '1000',
    DYNAMODB_REQUEST_TIMEOUT_MS: '800',
    DYNAMODB_MAX_ATTEMPTS: '3',
    LOG_REQUESTS: 'none',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim(),
  });
  const inspectorUrl = /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(offline.output())?.[0];
  const tokens = new Map<string, string>();
  for (const user of USERS) tokens.set(user, await signToken({ sub: user }));
  tokens.set('admin', await signToken({ sub: 'admin', scopes: [ADMIN_SCOPE] }));
  const scope = etagScope(undefined, 'agno_learnings');

  const chaos: ChaosEvent[] = [];
  const exchanges: Exchange[] = [];
  const live: string[] = [];
  const gone: string[] = [];
  const believedOwner = new Map<string, string | null>();
  const sharedMemories = new Set<string>();
  const knownVersion = new Map<string, number>();
  let created = 0;
  const create = async () => {
    const learningId = `soak_${seed}_${created++}`;
    const owner = created % 7 === 0 ? null : pick(USERS);
    const start = performance.now();
    await direct.send(
      new PutCommand({
        TableName: 'agno_learnings',
        Item: {
          learning_id: learningId,
          learning_type: 'user_profile',
          user_id: owner,
          content: { nonce: `seed-${learningId}` },
          created_at: 1_700_000_000,
          updated_at: 1_700_000_000,
        },
      }),
    );
    chaos.push({ kind: 'create', learningId, owner, start, end: performance.now() });
    believedOwner.set(learningId, owner);
    if (created % 3 === 0) sharedMemories.add(learningId);
    live.push(learningId);
  };
  for (let index = 0; index < records; index++) await create();

  const handOver = async () => {
    const learningId = pick(live);
    const owner = pick(USERS.filter((user) => user !== believedOwner.get(learningId)));
    believedOwner.set(learningId, owner);
    const start = performance.now();
    await direct.send(
      new UpdateCommand({
        TableName: 'agno_learnings',
        Key: { learning_id: learningId },
        UpdateExpression: 'SET user_id = :owner',
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
    chaos.push({ kind: 'handover', learningId, owner, start, end: performance.now() });
  };
  const remove = async () => {
    const learningId = live.splice(Math.floor(next() * live.length), 1)[0] as string;
    gone.push(learningId);
    const start = performance.now();
    await direct.send(new DeleteCommand({ TableName: 'agno_learnings', Key: { learning_id: learningId } }));
    chaos.push({ kind: 'delete', learningId, start, end: performance.now() });
    await create();
  };

  // Changes to the table happen one at a time, each recorded before the next.
  let chaosQueue = Promise.resolve();
  const disturb = () => {
    chaosQueue = chaosQueue.then(() => (next() < 0.6 ? handOver() : remove()));
    return chaosQueue;
  };

  let issued = 0;
  let nonces = 0;
  let heapAfterWarmUp: Promise<number> | undefined;
  const warmUp = Math.ceil(requests / 10);
  const chaosEvery = Math.max(1, Math.floor(requests / 60));
  const started = performance.now();

  const oneRequest = async (client: number) => {
    const roll = next();
    let learningId = pick(live);
    const owner = believedOwner.get(learningId);
    let actor: string;
    if (roll < 0.55) actor = owner ?? 'admin';
    else if (roll < 0.7) actor = pick(USERS.filter((user) => user !== owner));
    else if (roll < 0.85) actor = 'admin';
    else if (roll < 0.93) actor = owner ?? pick(USERS);
    else {
      learningId = gone.length > 0 && next() < 0.7 ? pick(gone) : `soak_missing_${client}_${issued}`;
      actor = next() < 0.5 ? 'admin' : pick(USERS);
    }
    const read = roll >= 0.85 && roll < 0.93;
    // On a shared memory most writes merge: the client's own key, set to a fresh nonce or removed.
    const merge =
      !read && sharedMemories.has(learningId) && next() < 0.85
        ? { key: `c${client}-${Math.floor(next() * 2)}`, value: next() < 0.15 ? null : `n${++nonces}` }
        : undefined;
    const nonce = read || merge !== undefined ? undefined : `n${++nonces}`;
    const withIfMatch = !read && next() < (merge === undefined ? 0.6 : 0.2);
    const ifMatchVersion = withIfMatch ? (knownVersion.get(learningId) ?? 0) : undefined;
    const headers: Record<string, string> = {
      authorization: `Bearer ${tokens.get(actor)}`,
      'content-type': merge === undefined ? 'application/json' : 'application/merge-patch+json',
    };
    if (ifMatchVersion !== undefined) headers['if-match'] = entityTag(scope, ifMatchVersion);
    const body =
      merge !== undefined
        ? { content: { m: { [merge.key]: merge.value } } }
        : read
          ? {}
          : next() < 0.3
            ? { content: { nonce }, metadata: { by: actor } }
            : { content: { nonce } };
    const exchange: Exchange = {
      learningId,
      actor,
      admin: actor === 'admin',
      nonce,
      merge,
      ifMatchVersion,
      start: performance.now(),
      end: 0,
      status: 0,
      version: undefined,
      answeredNonce: undefined,
      answeredKeys: undefined,
      malformed: undefined,
    };
    try {
      const response = await fetch(`${offline.baseUrl}/learnings/${encodeURIComponent(learningId)}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      exchange.end = performance.now();
      exchange.status = response.status;
      const tag = response.headers.get('etag');
      const version = tag === null ? undefined : Number(/^"(\d+)\./.exec(tag)?.[1]);
      exchange.version = version;
      let answer: Record<string, unknown> = {};
      try {
        answer = JSON.parse(text);
      } catch {
        exchange.malformed = `not JSON: ${text.slice(0, 80)}`;
      }
      if (response.status === 200) {
        const content = answer.content as { nonce?: string; m?: unknown } | undefined;
        exchange.answeredNonce = content?.nonce;
        exchange.answeredKeys = mapOf(content?.m);
        if (merge !== undefined && (exchange.answeredKeys?.[merge.key] ?? null) !== merge.value)
          exchange.malformed = 'a 200 not holding the merge';
        if (answer.learning_id !== learningId) exchange.malformed = 'a 200 for another record';
        if (version === undefined || Number.isNaN(version)) exchange.malformed = 'a 200 without an ETag';
        if (nonce !== undefined && content?.nonce !== nonce) exchange.malformed = 'a 200 not holding the write';
      } else if (typeof answer.detail !== 'string' || typeof answer.error_code !== 'string') {
        exchange.malformed ??= `not the error envelope: ${text.slice(0, 80)}`;
      }
      if (version !== undefined && !Number.isNaN(version) && (response.status === 200 || response.status === 412)) {
        knownVersion.set(learningId, version);
      }
    } catch {
      exchange.end = performance.now();
    }
    exchanges.push(exchange);
  };

  let faultsRunning = faults;
  // Faults come in stretches of about a second, between quiet stretches as long: a request that runs wholly
  // inside a quiet stretch meets no fault, so any 5xx it gets is the service's own (checkHistory).
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const faultLoop = (async () => {
    while (faultsRunning) {
      await pause(800 + next() * 400);
      const stretchEnds = performance.now() + 800 + next() * 400;
      while (faultsRunning && performance.now() < stretchEnds) {
        const kind = next();
        if (kind < 0.3) {
          proxy.mode = 'throttle';
          await pause(20 + next() * 40);
          proxy.mode = 'pass';
        } else if (kind < 0.5) {
          proxy.next.push('hang');
        } else {
          proxy.next.push('lose-answer');
        }
        await pause(30 + next() * 60);
      }
      // A fault still queued would fall into the quiet stretch.
      proxy.next.length = 0;
    }
  })();

  const worker = async (client: number) => {
    while (issued < requests) {
      const count = ++issued;
      if (count === warmUp && inspectorUrl !== undefined) heapAfterWarmUp = heapUsedAfterGc(inspectorUrl);
      if (count % chaosEvery === 0) await disturb();
      await oneRequest(client);
      if (count % 5000 === 0) progress(`${count} requests…`);
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, (_, client) => worker(client)));
    const seconds = (performance.now() - started) / 1000;
    faultsRunning = false;
    await faultLoop;
    proxy.mode = 'pass';
    proxy.next.length = 0;
    const heap =
      inspectorUrl === undefined || heapAfterWarmUp === undefined
        ? undefined
        : { afterWarmUp: await heapAfterWarmUp, atEnd: await heapUsedAfterGc(inspectorUrl) };
    const final = new Map<string, StoredState | undefined>();
    for (const learningId of [...live, ...gone]) {
      const { Item } = await direct.send(
        new GetCommand({ TableName: 'agno_learnings', Key: { learning_id: learningId }, ConsistentRead: true }),
      );
      final.set(
        learningId,
        Item === undefined
          ? undefined
          : {
              version: typeof Item[VERSION_ATTRIBUTE] === 'number' ? Item[VERSION_ATTRIBUTE] : 0,
              nonce: (Item.content as { nonce?: string } | undefined)?.nonce,
              keys: mapOf((Item.content as { m?: unknown } | undefined)?.m),
            },
      );
    }
    const history: History = { exchanges, chaos, faultedAt: [...proxy.faultedAt], final, heap };
    return { history, invariants: checkHistory(history), seconds };
  } finally {
    faultsRunning = false;
    await offline.stop();
    await proxy.close();
    await dynamoDb.close();
  }
}

/** The run as a table: requests, statuses, rate, latency, faults, heap, and each invariant. */
export function soakTable({ history, invariants, seconds }: SoakReport): string {
  const { exchanges } = history;
  const byStatus = new Map<number, number>();
  for (const e of exchanges) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  const latencies = exchanges.map((e) => e.end - e.start).sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const rows: [string, string][] = [
    ['requests', String(exchanges.length)],
    ...[...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]): [string, string] => [`  ${status === 0 ? 'no answer' : status}`, String(count)]),
    [
      'merge patches (acknowledged)',
      `${exchanges.filter((e) => e.merge !== undefined).length} (${exchanges.filter((e) => e.merge !== undefined && e.status === 200).length})`,
    ],
    ['per second', (exchanges.length / seconds).toFixed(0)],
    ['latency p50 / p99', `${percentile(0.5).toFixed(1)} ms / ${percentile(0.99).toFixed(1)} ms`],
    ['DynamoDB calls faulted', String(history.faultedAt.length)],
    [
      'records handed over / deleted',
      `${history.chaos.filter((c) => c.kind === 'handover').length} / ${history.chaos.filter((c) => c.kind === 'delete').length}`,
    ],
    [
      'service heap after GC (warm-up → end)',
      history.heap === undefined ? 'not measured' : `${mib(history.heap.afterWarmUp)} → ${mib(history.heap.atEnd)}`,
    ],
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  const lines = rows.map(([name, value]) => `${name.padEnd(width)}${value}`);
  lines.push('', 'invariants');
  for (const { name, violations } of invariants) {
    lines.push(`  ${violations.length === 0 ? 'held  ' : `BROKEN (${violations.length})`}  ${name}`);
    for (const violation of violations.slice(0, 5)) lines.push(`      ${violation}`);
  }
  return lines.join('\n');
}
