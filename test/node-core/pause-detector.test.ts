// The pause detector against clocks a test moves by hand: a system suspend (only the wall clock moves),
// a stopped process (both move, the tick comes late), ordinary ticks, and a wall clock set back.
import { describe, expect, it } from 'vitest';
import { type Pause, PauseDetector } from '../../node-core/src/pause-detector.js';
import type { Clock, TimerHandle } from '../../node-core/src/util/clock.js';

/** a clock whose time moves only when the test says, and whose one pending timer the test fires */
function handClock() {
  let wall = 1_700_000_000_000;
  let mono = 0;
  let pending: (() => void) | null = null;
  const clock: Clock = {
    now: () => wall,
    monotonic: () => mono,
    setTimeout: (fn) => {
      pending = fn;
      return { __timer: true } as unknown as TimerHandle;
    },
    clearTimeout: () => {
      pending = null;
    },
  };
  return {
    clock,
    /** both clocks move by ms, then the tick runs (a late tick: the process did not run) */
    tick(ms: number, wallExtra = 0) {
      wall += ms + wallExtra;
      mono += ms;
      const fn = pending;
      pending = null;
      fn?.();
    },
  };
}

describe('PauseDetector', () => {
  it('stays quiet on ordinary ticks and small delays (GC, a busy event loop)', () => {
    const h = handClock();
    const seen: Pause[] = [];
    new PauseDetector(h.clock, (p) => seen.push(p)).start();
    for (let i = 0; i < 50; i++) h.tick(1000);
    h.tick(4_900); // 3.9 s late: below the 5 s threshold
    expect(seen).toEqual([]);
  });

  it('reports a system suspend: the wall clock jumped, the monotonic clock did not', () => {
    const h = handClock();
    const seen: Pause[] = [];
    new PauseDetector(h.clock, (p) => seen.push(p)).start();
    h.tick(1000);
    h.tick(1000, 90_000);
    expect(seen).toEqual([{ pausedMs: 91_000, kind: 'suspended', hiddenMs: 90_000 }]);
    h.tick(1000);
    expect(seen).toHaveLength(1); // once
  });

  it('reports a stopped process (SIGSTOP, a paused VM): both clocks moved, the tick came late', () => {
    const h = handClock();
    const seen: Pause[] = [];
    new PauseDetector(h.clock, (p) => seen.push(p)).start();
    h.tick(61_000);
    expect(seen).toEqual([{ pausedMs: 61_000, kind: 'stopped', hiddenMs: 0 }]);
  });

  it('ignores a wall clock set back, and stop() ends the ticks', () => {
    const h = handClock();
    const seen: Pause[] = [];
    const d = new PauseDetector(h.clock, (p) => seen.push(p));
    d.start();
    h.tick(1000, -3_600_000);
    expect(seen).toEqual([]);
    d.stop();
    h.tick(1000, 90_000); // no timer pending any more: nothing runs
    expect(seen).toEqual([]);
  });
});
