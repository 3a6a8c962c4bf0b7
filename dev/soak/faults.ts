import type { FaultProxy } from '../fault-proxy.ts';

export interface FaultInjection {
  /** Stops injecting, waits for the loop to end, and lets every call pass again. */
  stop(): Promise<void>;
  /** Stops injecting at the loop's next turn, without waiting. */
  halt(): void;
}

/**
 * Faults come in stretches of about a second, between quiet stretches as long: a request that runs wholly
 * inside a quiet stretch meets no fault, so any 5xx it gets is the service's own (invariants/faults.ts).
 * Without `enabled`, nothing is injected.
 */
export function injectFaults(proxy: FaultProxy, next: () => number, enabled: boolean): FaultInjection {
  const state = { running: enabled };
  const loop = faultLoop(proxy, next, state);
  return {
    async stop() {
      state.running = false;
      await loop;
      proxy.mode = 'pass';
      proxy.next.length = 0;
    },
    halt() {
      state.running = false;
    },
  };
}

async function faultLoop(proxy: FaultProxy, next: () => number, state: { running: boolean }): Promise<void> {
  while (state.running) {
    await pause(800 + next() * 400);
    const stretchEnds = performance.now() + 800 + next() * 400;
    while (state.running && performance.now() < stretchEnds) {
      const kind = next();
      if (kind < 0.3) {
        proxy.mode = 'throttle';
        await pause(20 + next() * 40);
        proxy.mode = 'pass';
      } else if (kind < 0.5) {
        proxy.next.push('hang');
      } else {
        proxy.next.push('lose-answer');
      }
      await pause(30 + next() * 60);
    }
    // A fault still queued would fall into the quiet stretch.
    proxy.next.length = 0;
  }
}

function pause(ms: number): Promise<unknown> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
