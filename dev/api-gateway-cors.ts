// API Gateway's CORS handling for an HTTP API, in front of serverless-offline, from the settings that
// configure API Gateway itself (deploy/cors.cjs). serverless-offline answers CORS its own way: without
// httpApi.cors it allows every origin with credentials, and with it still sets Access-Control-Allow-Origin
// to whatever origin asked on every non-preflight answer. API Gateway instead answers a preflight itself,
// adds the CORS headers only for a configured origin, and ignores any the backend sends. So `npm start`
// and the tests put this in front, and a browser meets locally what it meets deployed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CorsSettings } from '../deploy/cors.cjs';
import { forwardRequest } from './forward.ts';
import { listen } from './ports.ts';

export interface CorsFront {
  baseUrl: string;
  close(): Promise<void>;
}

function allowedOrigin(settings: CorsSettings | undefined, origin: string | undefined): string | undefined {
  if (settings === undefined || origin === undefined) return undefined;
  return settings.allowedOrigins.includes('*') || settings.allowedOrigins.includes(origin) ? origin : undefined;
}

function answerPreflight(settings: CorsSettings | undefined, incoming: IncomingMessage, outgoing: ServerResponse) {
  const origin = allowedOrigin(settings, incoming.headers.origin);
  const method = String(incoming.headers['access-control-request-method'] ?? '').toUpperCase();
  const headers: Record<string, string> = { vary: 'Origin' };
  if (settings !== undefined && origin !== undefined && settings.allowedMethods.includes(method)) {
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': settings.allowedMethods.join(','),
      'access-control-allow-headers': settings.allowedHeaders.join(',').toLowerCase(),
      'access-control-max-age': String(settings.maxAge),
    });
  }
  incoming.resume();
  outgoing.writeHead(204, headers);
  outgoing.end();
}

/** Listens on 127.0.0.1:`port` (0: a free one) and forwards everything else to `target`. */
export async function startCorsFront(target: string, settings: CorsSettings | undefined, port = 0): Promise<CorsFront> {
  const targetUrl = new URL(target);
  const server = createServer((incoming, outgoing) => {
    if (incoming.method === 'OPTIONS' && incoming.headers['access-control-request-method'] !== undefined) {
      answerPreflight(settings, incoming, outgoing);
      return;
    }
    const upstream = forwardRequest(targetUrl, incoming, (answer) => {
      const headers = Object.fromEntries(
        Object.entries(answer.headers).filter(([name]) => !name.startsWith('access-control-')),
      );
      const origin = allowedOrigin(settings, incoming.headers.origin);
      if (settings !== undefined && origin !== undefined) {
        headers['access-control-allow-origin'] = origin;
        headers['access-control-expose-headers'] = settings.exposedResponseHeaders.join(',').toLowerCase();
        headers.vary = 'Origin';
      }
      outgoing.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'application/json' });
      outgoing.end('{"message":"Bad Gateway"}');
    });
  });
  await listen(server, port, 'PORT');
  const address = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
