// Demo learnings for `npm start`: two owners' records and one with no owner (admins only).
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

const now = Math.floor(Date.now() / 1000);

export const DEMO_LEARNINGS = [
  {
    learning_id: 'lrn_alice_profile',
    learning_type: 'user_profile',
    namespace: 'user',
    user_id: 'alice',
    agent_id: 'support-agent',
    content: { name: 'Alice', preferences: { language: 'en', tone: 'concise' } },
    metadata: { source: 'onboarding' },
    created_at: now,
    updated_at: now,
  },
  {
    learning_id: 'lrn_bob_memory',
    learning_type: 'user_memory',
    namespace: 'user',
    user_id: 'bob',
    agent_id: 'support-agent',
    content: { memory: 'Bob prefers email over phone' },
    metadata: null,
    created_at: now,
    updated_at: now,
  },
  {
    learning_id: 'lrn_shared_entity',
    learning_type: 'entity_memory',
    namespace: 'global',
    entity_id: 'acme',
    entity_type: 'company',
    content: { facts: ['Acme builds rockets'] },
    metadata: { confidence: 0.9 },
    created_at: now,
    updated_at: now,
  },
] as const;

/** Puts each demo learning unless it is already there, so a restart keeps earlier edits. */
export async function seedDemoLearnings(client: DynamoDBClient, table: string): Promise<void> {
  for (const learning of DEMO_LEARNINGS) {
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: marshall(learning),
          ConditionExpression: 'attribute_not_exists(learning_id)',
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
