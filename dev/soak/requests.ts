// One client request: the traffic mix picks a record and a caller, the first writer that takes them builds
// the request (writers/), and the request and its answer go into the history as an Exchange.
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
  /** Requests issued so far, across clients. */
  issued: number;
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
  return { draw, records, service, knownVersion: new Map(), exchanges: [], issued: 0, writerContext };
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
  const body = write.body();
  const exchange: Exchange = {
    learningId,
    actor,
    admin: actor === 'admin',
    nonce: write.recorded.nonce,
    merge: write.recorded.merge,
    patch: write.recorded.patch,
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
    const response = await fetch(`${traffic.service.baseUrl}/learnings/${encodeURIComponent(learningId)}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    readAnswer(traffic, exchange, response, text, write);
  } catch {
    exchange.end = performance.now();
  }
  traffic.exchanges.push(exchange);
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
    exchange.malformed = write.malformed200 === undefined ? otherwise : write.malformed200(exchange, otherwise);
  } else if (typeof answer.detail !== 'string' || typeof answer.error_code !== 'string') {
    exchange.malformed ??= `not the error envelope: ${text.slice(0, 80)}`;
  }
  if (version !== undefined && !Number.isNaN(version) && (response.status === 200 || response.status === 412)) {
    traffic.knownVersion.set(exchange.learningId, version);
  }
}
