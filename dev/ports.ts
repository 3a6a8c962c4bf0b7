// Ports on the loopback address for the servers the tests, the soak and `npm start` run: a free one, and
// listening on a given one with a failure that says which port is taken.
import { type AddressInfo, createServer, type Server } from 'node:net';

export function freePort(): Promise<number> {
  return bindAndRelease(0, 'port');
}

/** `server` listening on 127.0.0.1:`port` (0: any free one); `name` labels the port in the failure. */
export function listen(server: Server, port: number, name = 'port'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`${name}: port ${port} is in use`) : error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Fails, as listen() does, when `port` is taken: to refuse a start before anything else is started. */
export async function ensurePortFree(port: number, name: string): Promise<void> {
  await bindAndRelease(port, name);
}

/** Listens on `port` and closes again; the port it had (a free one for 0). */
async function bindAndRelease(port: number, name: string): Promise<number> {
  const server = createServer();
  await listen(server, port, name);
  const bound = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return bound;
}
