// `npm start` as a user runs it: on the ports they choose (PORT, DOCS_PORT, DYNALITE_PORT), and leaving no
// process behind when it is stopped or when it cannot start. Every process the start spawns inherits a
// marker variable; /proc tells whether any of them is still alive.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/ports.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Processes whose environment holds `marker` (Linux's /proc). */
function processesMarked(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return check();
}

function start(ports: { PORT: number; DOCS_PORT: number; DYNALITE_PORT: number }) {
  const marker = `START_TEST_MARKER=${Math.random().toString(36).slice(2)}`;
  const [name, value] = marker.split('=') as [string, string];
  const env = { ...process.env, [name]: value, PORT: String(ports.PORT), DOCS_PORT: String(ports.DOCS_PORT) };
  const child = spawn(process.execPath, ['scripts/start.ts'], {
    env: { ...env, DYNALITE_PORT: String(ports.DYNALITE_PORT) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, marker, exited, output: () => output };
}

const status = async (url: string, init?: RequestInit) => {
  try {
    return (await fetch(url, { ...init, signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
};

const ports = async () => ({ PORT: await freePort(), DOCS_PORT: await freePort(), DYNALITE_PORT: await freePort() });

describe('npm start', () => {
  it('serves the API, its page and DynamoDB on PORT, DOCS_PORT and DYNALITE_PORT, and stops whole', async () => {
    const chosen = await ports();
    const run = start(chosen);
    const api = `http://127.0.0.1:${chosen.PORT}/learnings/lrn_alice_profile`;
    const up = await eventually(async () => (await status(api, { method: 'PATCH' })) === 401, 60_000);
    expect(up, run.output()).toBe(true);
    expect(await status(`http://127.0.0.1:${chosen.DOCS_PORT}/`)).toBe(200);
    // dynalite answers any request (400 without a target): it is there.
    expect(await status(`http://127.0.0.1:${chosen.DYNALITE_PORT}/`, { method: 'POST' })).toBe(400);
    expect(run.output()).toContain(`http://localhost:${chosen.PORT}`);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(await eventually(() => processesMarked(run.marker).length === 0, 10_000)).toBe(true);
    expect(await status(api, { method: 'PATCH' })).toBe(0);
  }, 90_000);

  it.each(['PORT', 'DOCS_PORT', 'DYNALITE_PORT'] as const)(
    'fails with a message naming the port when %s is taken, and leaves no process behind',
    async (taken) => {
      const chosen = await ports();
      const squatter: Server = createServer();
      await new Promise<void>((resolve) => squatter.listen(chosen[taken], '127.0.0.1', resolve));
      try {
        const run = start(chosen);
        const code = await Promise.race([
          run.exited,
          new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000)),
        ]);
        expect(code, run.output()).toBe(1);
        expect(run.output()).toContain(`${taken}: port ${chosen[taken]} is in use`);
        expect(await eventually(() => processesMarked(run.marker).length === 0, 10_000)).toBe(true);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    },
    90_000,
  );
});
