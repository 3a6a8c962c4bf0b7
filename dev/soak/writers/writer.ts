// What a kind of request is to the soak: which targets it takes, the request it sends, what the history
// records of it, and what its 200 must show.
import type { Exchange } from '../history.ts';

/** A request's record and caller, as the traffic mix chose them (requests.ts). */
export interface Target {
  client: number;
  learningId: string;
  actor: string;
  /** The caller means only to read: an empty PATCH. */
  read: boolean;
}

/** What a writer may use: the run's generator, nonces no other request uses, the shared records. */
export interface WriterContext {
  next(): number;
  nonce(): string;
  sharedMemories: ReadonlySet<string>;
  sharedLists: ReadonlySet<string>;
  /** Each shared list's element ids as the last 200 on it answered them. */
  listsSeen: ReadonlyMap<string, readonly string[]>;
}

/** The share of writes that carry an Idempotency-Key: the other writes send none, as before keys existed. */
export const KEYED_SHARE = 0.5;

export interface Writer {
  /** Whether this writer sends the request to the target. Asked in the list's order; it may draw. */
  takes(target: Target, context: WriterContext): boolean;
  write(target: Target, context: WriterContext): Write;
  /** A row of the run's table: the requests that were this writer's (and how many were acknowledged). */
  tally?: { label: string; counts: (e: Exchange) => boolean };
}

/** One request a writer sends. */
export interface Write {
  /** What the history records of the request. */
  recorded: Pick<Exchange, 'nonce' | 'merge' | 'patch'>;
  contentType: string;
  /** The chance that the request carries If-Match; 0: never, and nothing is drawn. */
  ifMatchChance: number;
  /**
   * The chance that the request carries an Idempotency-Key of its own, drawn after the body; 0: never, and
   * nothing is drawn. A keyed write whose answer is a 503 or never comes is sent again with its key.
   */
  keyChance: number;
  /** The body, built after the If-Match draw (the order in which a seed's run has always drawn). */
  body(): unknown;
  /**
   * What is wrong with a 200 to this request, given what was recorded of it and `otherwise`, what is wrong
   * with any 200 (another record, no ETag); the writer says which of the two is named. Absent: `otherwise`.
   * A replay is not asked: it answers the record as it stands, which later writes may have changed since.
   */
  malformed200?(answered: Exchange, otherwise: string | undefined): string | undefined;
}
