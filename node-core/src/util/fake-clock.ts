// A Clock whose time moves only when a test says so: timers fire in time order (ties in the order
// they were set) and pending promise callbacks run between timers, so async handlers complete.
import type { Clock, TimerHandle } from './clock.js';

/** 2026-01-01T00:00:00Z: a fixed start so that logs and snapshots are repeatable. */
export const FAKE_EPOCH = Date.UTC(2026, 0, 1);

/** advance() gives up after this many timers by default: a timer re-arming itself at 0 ms would spin forever. */
const MAX_TIMERS_PER_ADVANCE = 1_000_000;

interface Timer {
  readonly __timer: true;
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private current: number;
  private readonly start: number;
  private seq = 0;
  /** binary min-heap on (at, seq) */
  private readonly heap: Timer[] = [];

  constructor(
    startMs: number = FAKE_EPOCH,
    private readonly maxTimersPerAdvance = MAX_TIMERS_PER_ADVANCE,
  ) {
    this.current = startMs;
    this.start = startMs;
  }

  /** what suspend() added to the wall clock alone */
  private wallOffset = 0;

  /** whole milliseconds, like Date.now() (timers may fire at fractional times) */
  now(): number {
    return Math.floor(this.current + this.wallOffset);
  }

  /**
   * A system suspend as Linux shows it to a process: the wall clock moves on by `ms`, the monotonic
   * clock (and so every timer) does not.
   */
  suspend(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.suspend: ms must be >= 0, got ${ms}`);
    this.wallOffset += ms;
  }

  monotonic(): number {
    return this.current - this.start;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const t: Timer = { __timer: true, at: this.current + delay, seq: this.seq++, fn, cancelled: false };
    this.push(t);
    return t;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) (handle as Timer).cancelled = true;
  }

  /** timers set and not yet fired or cleared */
  pendingTimers(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by ms, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.current + ms;
    await flushPromises();
    for (let fired = 0; ; fired++) {
      if (fired >= this.maxTimersPerAdvance) throw new Error(`FakeClock.advance: more than ${this.maxTimersPerAdvance} timers fired; a timer loop?`);
      const next = this.popDue(target);
      if (!next) break;
      this.current = next.at;
      next.fn();
      await flushPromises();
    }
    this.current = target;
  }

  /** Advances in steps of stepMs until cond() holds or maxMs have passed; says whether cond() holds. */
  async runUntil(cond: () => boolean, maxMs: number, stepMs = 1): Promise<boolean> {
    if (!(stepMs > 0)) throw new RangeError(`FakeClock.runUntil: stepMs must be > 0, got ${stepMs}`);
    await flushPromises();
    for (let waited = 0; !cond(); waited += stepMs) {
      if (waited >= maxMs) return false;
      await this.advance(Math.min(stepMs, maxMs - waited));
    }
    return true;
  }

  private popDue(target: number): Timer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > target) return undefined;
      this.pop();
      if (!top.cancelled) return top;
    }
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** Lets queued promise callbacks (and anything they chain) run; a few macrotask turns cover nested awaits. */
export async function flushPromises(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
