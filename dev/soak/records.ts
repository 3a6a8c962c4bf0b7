// The soak's records, and what other tools do to them behind the service's back (directly in the table): each
// created with an owner (or none) and a seed nonce, a third of them shared memories and some shared lists;
// handed over to another
// owner, or deleted and replaced by a new one, mid-run. Each change is recorded as a ChaosEvent.
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { versionOf } from '../../lib/service-attributes.ts';
import { type ChaosEvent, elementIds, mapOf, type StoredState } from './history.ts';
import type { Draw } from './random.ts';

export const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const TABLE = 'agno_learnings';

export class SoakRecords {
  readonly live: string[] = [];
  readonly gone: string[] = [];
  /** Each record's owner, as the clients believe it (set before the change is made). */
  readonly believedOwner = new Map<string, string | null>();
  readonly sharedMemories = new Set<string>();
  /** Records whose content.l agents edit with JSON Patch, and nothing else writes. */
  readonly sharedLists = new Set<string>();
  readonly chaos: ChaosEvent[] = [];
  readonly #direct: DynamoDBDocumentClient;
  readonly #seed: number;
  readonly #draw: Draw;
  #created = 0;
  #changes = Promise.resolve();

  constructor(direct: DynamoDBDocumentClient, seed: number, draw: Draw) {
    this.#direct = direct;
    this.#seed = seed;
    this.#draw = draw;
  }

  async create(): Promise<void> {
    const learningId = `soak_${this.#seed}_${this.#created++}`;
    const owner = this.#created % 7 === 0 ? null : this.#draw.pick(USERS);
    const list = this.#created % 3 !== 0 && this.#created % 4 === 0;
    const start = performance.now();
    await this.#direct.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          learning_id: learningId,
          learning_type: 'user_profile',
          user_id: owner,
          content: list ? { nonce: `seed-${learningId}`, l: [] } : { nonce: `seed-${learningId}` },
          created_at: 1_700_000_000,
          updated_at: 1_700_000_000,
        },
      }),
    );
    this.chaos.push({ kind: 'create', learningId, owner, start, end: performance.now() });
    this.believedOwner.set(learningId, owner);
    if (this.#created % 3 === 0) this.sharedMemories.add(learningId);
    if (list) this.sharedLists.add(learningId);
    this.live.push(learningId);
  }

  /** A handover or a deletion. Changes happen one at a time, each recorded before the next. */
  disturb(): Promise<void> {
    this.#changes = this.#changes.then(() => (this.#draw.next() < 0.6 ? this.#handOver() : this.#remove()));
    return this.#changes;
  }

  async #handOver(): Promise<void> {
    const learningId = this.#draw.pick(this.live);
    const owner = this.#draw.pick(USERS.filter((user) => user !== this.believedOwner.get(learningId)));
    this.believedOwner.set(learningId, owner);
    const start = performance.now();
    await this.#direct.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { learning_id: learningId },
        UpdateExpression: 'SET user_id = :owner',
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
    this.chaos.push({ kind: 'handover', learningId, owner, start, end: performance.now() });
  }

  async #remove(): Promise<void> {
    const learningId = this.live.splice(Math.floor(this.#draw.next() * this.live.length), 1)[0] as string;
    this.gone.push(learningId);
    const start = performance.now();
    await this.#direct.send(new DeleteCommand({ TableName: TABLE, Key: { learning_id: learningId } }));
    this.chaos.push({ kind: 'delete', learningId, start, end: performance.now() });
    await this.create();
  }

  /** Every record, live or deleted, as the table holds it now (read consistently); undefined when absent. */
  async finalStates(): Promise<Map<string, StoredState | undefined>> {
    const final = new Map<string, StoredState | undefined>();
    for (const learningId of [...this.live, ...this.gone]) {
      const { Item } = await this.#direct.send(
        new GetCommand({ TableName: TABLE, Key: { learning_id: learningId }, ConsistentRead: true }),
      );
      final.set(
        learningId,
        Item === undefined
          ? undefined
          : {
              version: versionOf(Item),
              nonce: (Item.content as { nonce?: string } | undefined)?.nonce,
              keys: mapOf((Item.content as { m?: unknown } | undefined)?.m),
              elements: elementIds((Item.content as { l?: unknown } | undefined)?.l),
            },
      );
    }
    return final;
  }
}
