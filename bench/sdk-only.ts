// The floor the deployable bundle is measured against: only the DynamoDB document client, built and
// configured at import the way the handler does at cold start.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: process.env.AWS_REGION }));
export { UpdateCommand };
