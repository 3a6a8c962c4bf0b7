// One client request: the traffic mix picks a record and a caller, the first writer that takes them builds
// the request (writers/), and the request and its answer go into the history as an Exchange. A write that
// carries an Idempotency-Key is sent again with it while its answer is a 503 or never comes, each sending
// an Exchange of its own.
import { entityTag } from '../../lib/etag.ts';
import { type Exchange, elementIds, mapOf } from './history.ts';
import type { Draw } from './random.ts';
import { type SoakRecords, USERS } from './records.ts';
import type { SoakStack } from './stack.ts';
import { WRITERS } from './writers/index.ts';
import type { Target, Write, WriterContext } from './writers/writer.ts';

export interface Traffic {
  draw: Draw;
  records: SoakRecords;
  service: Pick<SoakStack, 'baseUrl' | 'tokens' | 'scope'>;
  /** The version each record was last seen at, in a 200's or a 412's ETag: what If-Match sends. */
  knownVersion: Map<string, number>;
  exchanges: Exchange[];
  /** Requests issued so far, across clients; a keyed write sent again counts once. */
  issued: number;
  /** An Idempotency-Key no other write sends. */
  newKey(): string;
  writerContext: WriterContext & { listsSeen: Map<string, readonly string[]> };
}

export function createTraffic(draw: Draw, records: SoakRecords, service: Traffic['service']): Traffic {
  let nonces = 0;
  const writerContext = {
    next: draw.next,
    nonce: () => `n${++nonces}`,
    sharedMemories: records.sharedMemories,
    sharedLists: records.sharedLists,
    listsSeen: new Map<string, string[]>(),
  };
  let keys = 0;
  // A space inside, which the header allows, so that the run sends one.
  const newKey = () => `soak key ${++keys}`;
  return { draw, records, service, knownVersion: new Map(), exchanges: [], issued: 0, newKey, writerContext };
}

/**
 * The traffic mix: mostly the owner (an admin for a record without one), then strangers, admins, the owner
 * reading, and records that are gone or never were.
 */
function pickTarget({ draw: { next, pick }, records, issued }: Traffic, client: number): Target {
  const roll = next();
  let learningId = pick(records.live);
  const owner = records.believedOwner.get(learningId);
  let actor: string;
  if (roll < 0.55) actor = owner ?? 'admin';
  else if (roll < 0.7) actor = pick(USERS.filter((user) => user !== owner));
  else if (roll < 0.85) actor = 'admin';
  else if (roll < 0.93) actor = owner ?? pick(USERS);
  else {
    learningId = records.gone.length > 0 && next() < 0.7 ? pick(records.gone) : `soak_missing_${client}_${issued}`;
    actor = next() < 0.5 ? 'admin' : pick(USERS);
  }
  return { client, learningId, actor, read: roll >= 0.85 && roll < 0.93 };
}

/** How many times a keyed write whose answer was a 503, or never came, is sent again with its key. */
const MAX_RESENDS = 3;
/** The pause before sending a keyed write again, when the answer named no Retry-After. */
const RESEND_PAUSE_MS = 1000;

export async function oneRequest(traffic: Traffic, client: number): Promise<void> {
  const target = pickTarget(traffic, client);
  const { learningId, actor } = target;
  const writer = WRITERS.find((candidate) => candidate.takes(target, traffic.writerContext));
  if (writer === undefined) throw new Error(`No writer takes a request to ${learningId}`);
  const write = writer.write(target, traffic.writerContext);
  const withIfMatch = write.ifMatchChance > 0 && traffic.draw.next() < write.ifMatchChance;
  const ifMatchVersion = withIfMatch ? (traffic.knownVersion.get(learningId) ?? 0) : undefined;
  const headers: Record<string, string> = {
    authorization: `Bearer ${traffic.service.tokens.get(actor)}`,
    'content-type': write.contentType,
  };
  if (ifMatchVersion !== undefined) headers['if-match'] = entityTag(traffic.service.scope, ifMatchVersion);
  const body = JSON.stringify(write.body());
  const keyed = write.keyChance > 0 && traffic.draw.next() < write.keyChance;
  const key = keyed ? traffic.newKey() : undefined;
  if (key !== undefined) headers['idempotency-key'] = key;
  // A keyed write whose outcome the client cannot know is sent again, the same request with the same key:
  // the service applies it once, and answers a request whose key it has seen as a replay.
  for (let attempt = 1; ; attempt++) {
    const exchange: Exchange = {
      learningId,
      actor,
      admin: actor === 'admin',
      nonce: write.recorded.nonce,
      merge: write.recorded.merge,
      patch: write.recorded.patch,
      ifMatchVersion,
      key,
      attempt,
      start: performance.now(),
      end: 0,
      status: 0,
      version: undefined,
      answeredNonce: undefined,
      answeredKeys: undefined,
      malformed: undefined,
    };
    let retryAfter: string | null = null;
    try {
      const response = await fetch(`${traffic.service.baseUrl}/learnings/${encodeURIComponent(learningId)}`, {
        method: 'PATCH',
        headers,
        body,
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      retryAfter = response.headers.get('retry-after');
      readAnswer(traffic, exchange, response, text, write);
    } catch {
      exchange.end = performance.now();
    }
    traffic.exchanges.push(exchange);
    const outcomeUnknown = exchange.status === 0 || exchange.status === 503;
    if (key === undefined || !outcomeUnknown || attempt > MAX_RESENDS) return;
    await pause(resendPause(retryAfter));
  }
}

/** The pause the answer's Retry-After asks for (in seconds), or RESEND_PAUSE_MS. */
function resendPause(retryAfter: string | null): number {
  const seconds = Number(retryAfter ?? Number.NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : RESEND_PAUSE_MS;
}

function pause(ms: number): Promise<unknown> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records the answer in the exchange, and the version it names for later If-Match. */
function readAnswer(traffic: Traffic, exchange: Exchange, response: Response, text: string, write: Write): void {
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
  const replayedHeader = response.headers.get('idempotent-replayed');
  exchange.replayed = replayedHeader === 'true';
  if (replayedHeader !== null && replayedHeader !== 'true')
    exchange.malformed ??= `Idempotent-Replayed: ${replayedHeader}`;
  if (response.status === 200) {
    const content = answer.content as { nonce?: string; m?: unknown; l?: unknown } | undefined;
    exchange.answeredNonce = content?.nonce;
    exchange.answeredKeys = mapOf(content?.m);
    exchange.answeredElements = elementIds(content?.l);
    if (exchange.answeredElements !== undefined) {
      traffic.writerContext.listsSeen.set(exchange.learningId, exchange.answeredElements);
    }
    let otherwise = exchange.malformed;
    if (answer.learning_id !== exchange.learningId) otherwise = 'a 200 for another record';
    if (version === undefined || Number.isNaN(version)) otherwise = 'a 200 without an ETag';
    exchange.malformed =
      write.malformed200 === undefined || exchange.replayed ? otherwise : write.malformed200(exchange, otherwise);
  } else if (typeof answer.detail !== 'string' || typeof answer.error_code !== 'string') {
    exchange.malformed ??= `not the error envelope: ${text.slice(0, 80)}`;
  }
  if (version !== undefined && !Number.isNaN(version) && (response.status === 200 || response.status === 412)) {
    traffic.knownVersion.set(exchange.learningId, version);
  }
}
