// Forwards an incoming request to another server on loopback, for the local proxies (dev/fault-proxy.ts,
// dev/api-gateway-cors.ts); what to do with the answer is theirs.
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export function forwardRequest(
  target: URL,
  incoming: IncomingMessage,
  onAnswer: (answer: IncomingMessage) => void,
): ClientRequest {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      path: incoming.url,
      method: incoming.method,
      headers: incoming.headers,
    },
    onAnswer,
  );
  incoming.pipe(upstream);
  return upstream;
}
