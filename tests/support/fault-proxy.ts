// A DynamoDB endpoint that forwards to dynalite, or misbehaves on demand: throttles, hangs, resets the
// connection, or answers garbage. Lets tests drive the real client through real network failures.
import { createServer, request as forward, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'pass' | 'throttle' | 'hang' | 'reset' | 'garbage';

export interface FaultProxy {
  endpoint: string;
  mode: FaultMode;
  /** Requests that reached the proxy, by mode at the time. */
  requests: FaultMode[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const hanging = new Set<ServerResponse>();
  const server = createServer((incoming, outgoing) => {
    const mode = proxy.mode;
    proxy.requests.push(mode);
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
    const upstream = forward(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: FaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    mode: 'pass',
    requests: [],
    close: () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
