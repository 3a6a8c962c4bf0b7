// serverless-offline with the project's real serverless.yml, on free ports, for end-to-end tests over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { freePort } from './ports.ts';

export interface RunningOffline {
  baseUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** `onOutput` receives serverless-offline's output as it comes (it is kept for output() either way). */
export async function startOffline(
  env: Record<string, string>,
  onOutput?: (chunk: string) => void,
): Promise<RunningOffline> {
  const port = await freePort();
  const child: ChildProcess = spawn('node_modules/.bin/sls', ['offline', 'start', '--stage', 'local'], {
    // The ports chosen here come last: a caller's PORT is the port of what stands in front of this.
    env: {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      ...env,
      PORT: String(port),
      OFFLINE_LAMBDA_PORT: String(await freePort()),
      ESBUILD_WORK_FOLDER: `.esbuild-test-${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    await rm(`.esbuild-test-${port}`, { recursive: true, force: true });
  };
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serverless-offline did not start:\n${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(chunk.toString());
      if (output.includes('Server ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serverless-offline exited with ${code}:\n${output}`)));
  });
  try {
    await started;
  } catch (error) {
    // A start that failed leaves nothing behind: the group may hold esbuild's and the Lambda workers.
    await stop();
    throw error;
  }
  return { baseUrl: `http://127.0.0.1:${port}`, output: () => output, stop };
}
