// Makes dynalite answer like DynamoDB proper, and counts the calls: a ConditionalCheckFailedException
// for an UpdateItem that asked for ReturnValuesOnConditionCheckFailure=ALL_OLD gets the old item added
// (read from dynalite directly, uncounted), as DynamoDB returns it.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from './ports.ts';

export interface CountingProxy {
  endpoint: string;
  /** DynamoDB operations received since the last reset, e.g. ['UpdateItem']. */
  calls: string[];
  close(): void;
}

function post(
  target: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: '/',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({
            status: answer.statusCode ?? 500,
            headers: answer.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function startAllOldProxy(dynaliteEndpoint: string): Promise<CountingProxy> {
  const target = new URL(dynaliteEndpoint);
  const calls: string[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const operation =
        String(incoming.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      calls.push(operation);
      const headers = Object.fromEntries(
        Object.entries(incoming.headers).map(([name, value]) => [name, String(value)]),
      );
      const answer = await post(target, headers, body);
      let answerBody = answer.body;
      const input = JSON.parse(body) as {
        TableName: string;
        Key: unknown;
        ReturnValuesOnConditionCheckFailure?: string;
      };
      if (
        operation === 'UpdateItem' &&
        answer.status === 400 &&
        answerBody.includes('ConditionalCheckFailedException') &&
        input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD'
      ) {
        const old = await post(
          target,
          // dynalite checks that a request looks signed, not the signature: the caller's headers do.
          { ...headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
          JSON.stringify({ TableName: input.TableName, Key: input.Key, ConsistentRead: true }),
        );
        const { Item } = JSON.parse(old.body) as { Item?: unknown };
        if (Item !== undefined) answerBody = JSON.stringify({ ...JSON.parse(answerBody), Item });
      }
      outgoing.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'proxy' });
      outgoing.end(answerBody);
    });
  });
  await listen(server, 0);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => server.close(),
  };
}
