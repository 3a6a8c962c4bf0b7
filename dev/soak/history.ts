// What a soak run records, and what its invariants read: every request and its answer as a client saw them,
// the changes made to the table behind the service's back, the faults injected, and each record at the end.

/** One request and its answer, as a client saw them. */
export interface Exchange {
  learningId: string;
  actor: string;
  admin: boolean;
  /** A write carries content with a nonce no other request uses; a read sends {}. */
  nonce: string | undefined;
  /** A merge patch sets content.m[key] to a nonce no other request uses, or removes it (null). */
  merge: { key: string; value: string | null } | undefined;
  /**
   * A JSON Patch on a shared list, content.l: appends an element whose id is a nonce no other request
   * uses, or removes the element with that id (testing its id at the index last seen).
   */
  patch?: { kind: 'append' | 'remove'; id: string } | undefined;
  ifMatchVersion: number | undefined;
  /**
   * The Idempotency-Key the request sent, undefined without one. Each key belongs to one write: every
   * exchange that sends it sends that write again, the same request to the same record by the same caller.
   */
  key?: string | undefined;
  /** Which sending of its write this exchange is: the first, or a later one with the same key. */
  attempt?: number | undefined;
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
  /** The ids of content.l's elements in a 200 answer, when it is a list. */
  answeredElements?: string[] | undefined;
  /** The answer carried `Idempotent-Replayed: true`: the key's earlier request wrote, and this one did not. */
  replayed?: boolean | undefined;
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
  /** The ids of content.l's elements, when it is a list. */
  elements?: string[] | undefined;
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

/** An invariant of the run, with the ways the history breaks it (empty: held). */
export interface Invariant {
  name: string;
  violations: string[];
}

/** How one invariant is checked: from the history (final state included) to the ways it is broken. */
export interface InvariantCheck {
  name: string;
  /** Whether the history can judge the invariant at all (absent: always). */
  appliesTo?: (history: History) => boolean;
  violations: (history: History) => string[];
}

export function isWrite(e: Exchange): boolean {
  return e.nonce !== undefined || e.merge !== undefined || e.patch !== undefined;
}

/**
 * The writes as their clients meant them, each with the exchanges that sent it in the order they were
 * recorded: one exchange for a write without a key, and every exchange that sent a key for a keyed write.
 */
export function logicalWrites(exchanges: readonly Exchange[]): Exchange[][] {
  const writes: Exchange[][] = [];
  const byKey = new Map<string, Exchange[]>();
  for (const e of exchanges) {
    if (!isWrite(e)) continue;
    if (e.key === undefined) {
      writes.push([e]);
      continue;
    }
    const sent = byKey.get(e.key);
    if (sent !== undefined) sent.push(e);
    else {
      const first = [e];
      byKey.set(e.key, first);
      writes.push(first);
    }
  }
  return writes;
}

/**
 * Whether this exchange itself may have written the record: acknowledged, or of unknown outcome (no answer,
 * or a 5xx). A refusal wrote nothing. A replay may be its own sending's write: one whose DynamoDB answer was
 * lost, with another write landing since, is answered as a replay (the record is not what it made).
 */
export function mayHaveWritten(e: Exchange): boolean {
  return e.status === 0 || e.status >= 500 || e.status === 200;
}

/** An exchange in a line: who sent what to which record, and the answer. */
export function describe(e: Exchange): string {
  const key = e.key === undefined ? '' : ` [key ${e.key}, attempt ${e.attempt ?? 1}]`;
  const replayed = e.replayed === true ? ' replayed' : '';
  const version = e.version === undefined ? '' : ` @${e.version}`;
  return `${e.actor} ${what(e)}${key} on ${e.learningId} → ${e.status}${replayed}${version}`;
}

function what(e: Exchange): string {
  if (e.merge !== undefined) return `merge m.${e.merge.key}=${e.merge.value}`;
  if (e.patch !== undefined) return `${e.patch.kind} l:${e.patch.id}`;
  return e.nonce === undefined ? '{}' : `write ${e.nonce}`;
}

/** The changes made to each record, in the order they were made. */
export function chaosByRecord(chaos: ChaosEvent[]): Map<string, ChaosEvent[]> {
  const eventsOf = new Map<string, ChaosEvent[]>();
  for (const event of chaos) eventsOf.set(event.learningId, [...(eventsOf.get(event.learningId) ?? []), event]);
  return eventsOf;
}

/** A value that is a JSON object (content.m), or undefined. */
export function mapOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The ids of a list's elements ({ id } objects), or undefined when the value is no list. */
export function elementIds(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map((element) => String((element as { id?: unknown } | null)?.id)) : undefined;
}
