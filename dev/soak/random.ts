/** The run's draws: a small deterministic generator, so that a run can be repeated with its seed. */
export interface Draw {
  next(): number;
  pick<T>(items: readonly T[]): T;
}

export function draws(seed: number): Draw {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T };
}
