// Time as the protocol sees it: injected so that election and commit rules run under a fake clock
// in unit tests (fake-clock.ts) and under the real one everywhere else.

export type TimerHandle = { readonly __timer: true };

export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
  /** monotonic milliseconds, for measuring intervals */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t as unknown as TimerHandle;
  },
  clearTimeout: (h) => {
    if (h) clearTimeout(h as unknown as NodeJS.Timeout);
  },
};

/** A random source in [0, 1); injected so tests can be repeated with a seed. */
export type Random = () => number;

/** Small seeded PRNG (mulberry32) for tests and simulations. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
