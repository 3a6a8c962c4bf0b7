// A DynamoDB endpoint that forwards to dynalite, or misbehaves on demand: throttles, hangs, resets the
// connection, answers garbage, or forwards the request and then loses the answer (the write committed,
// the caller never hears of it). Lets tests drive the real client through real network failures.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardRequest } from './forward.ts';
import { listen } from './ports.ts';

export type FaultMode = 'pass' | 'throttle' | 'hang' | 'reset' | 'garbage' | 'lose-answer';

export interface FaultProxy {
  endpoint: string;
  mode: FaultMode;
  /** Modes for the next requests, one each, before `mode` applies again. */
  next: FaultMode[];
  /** Requests that reached the proxy, by mode at the time. */
  requests: FaultMode[];
  /** performance.now() of each request that met a fault (any mode but pass). */
  faultedAt: number[];
  /** With lose-answer: run after DynamoDB answered, before the connection is cut (another writer, say). */
  afterLoss?: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const hanging = new Set<ServerResponse>();
  const server = createServer((incoming, outgoing) => {
    const mode = proxy.next.shift() ?? proxy.mode;
    proxy.requests.push(mode);
    if (mode !== 'pass') proxy.faultedAt.push(performance.now());
    if (mode === 'hang') {
      hanging.add(outgoing);
      return;
    }
    if (mode === 'reset') {
      incoming.socket.destroy();
      return;
    }
    if (mode === 'throttle' || mode === 'garbage') {
      incoming.resume();
      outgoing.writeHead(mode === 'throttle' ? 400 : 200, { 'content-type': 'application/x-amz-json-1.0' });
      outgoing.end(
        mode === 'throttle'
          ? JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
              message: 'The level of configured provisioned throughput for the table was exceeded.',
            })
          : '<html>502 Bad Gateway</html>',
      );
      return;
    }
    const upstream = forwardRequest(targetUrl, incoming, (answer) => {
      if (mode === 'lose-answer') {
        answer.resume();
        answer.on('end', async () => {
          await proxy.afterLoss?.();
          incoming.socket.destroy();
        });
        return;
      }
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.destroy());
  });
  await listen(server, 0);
  const { port } = server.address() as AddressInfo;
  const proxy: FaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    mode: 'pass',
    next: [],
    requests: [],
    faultedAt: [],
    close: () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
