// The fixed shape alone, as a reference for the warm figure: Middy (with its defaults, as the handler has
// them), its JSON body parser, one Zod parse of the body and a JSON answer, around the floor's very
// UpdateItem. No token, no ownership, no limits, no ETag, no log: what any handler of this shape pays.

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import * as z from 'zod/mini';
import { loadConfig } from '../lib/config.ts';
import { createDocumentClient } from '../lib/dynamodb.ts';
import { type UpdateCommands, updateCommands } from '../lib/write/update-command.ts';
import { setWholeValues } from '../lib/write/whole-replace.ts';
import { TABLE } from './common.ts';

const body = z.strictObject({
  content: z.optional(z.record(z.string(), z.unknown())),
  metadata: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
});
const client = createDocumentClient(loadConfig(process.env).dynamoDb);

type ShapeEvent = { body?: unknown; pathParameters: { learning_id: string } };

export const fixedShapeHandler = middy<ShapeEvent>()
  .use(httpJsonBodyParser({ disableContentTypeCheck: true }))
  .handler(async (event) => {
    const changes = body.parse(event.body);
    const { command } = updateCommands({
      table: TABLE,
      learningId: event.pathParameters.learning_id,
      changes: (expression) => setWholeValues(expression, changes),
      principal: { userId: 'alice', scopes: ['learnings:write'], isAdmin: false },
      now: Math.floor(Date.now() / 1000),
      preconditions: undefined,
      writeId: '0000000000000',
      key: undefined,
    }) as UpdateCommands;
    const { Attributes } = await client.send(new UpdateCommand(command));
    return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(Attributes) };
  });
