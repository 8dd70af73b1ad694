// The scheduler's small pure parts: the per-location Damper (also used by the master and tests),
// a min-heap of due times, and a sliding window of start lags for percentiles.
import type { LocationStatus } from './types.js';

export const MAX_DAMPING = 100;

/** An integer in [min, max]; `fallback` for undefined or a value that is not a finite number. */
export function clampInt(value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/**
 * Flap damping of one location's view of one check. The first result sets the status at once;
 * afterwards it flips only after `threshold` consecutive results that disagree with it (one
 * agreeing result resets the count). threshold 1 follows every result.
 */
export class Damper {
  readonly threshold: number;
  #status: LocationStatus | null = null;
  #streak = 0;

  constructor(threshold = 2) {
    this.threshold = clampInt(threshold, 1, MAX_DAMPING, 2);
  }

  /** the damped status, or null before the first result */
  get status(): LocationStatus | null {
    return this.#status;
  }

  feed(ok: boolean): LocationStatus {
    const seen: LocationStatus = ok === true ? 'UP' : 'DOWN';
    if (this.#status === null || seen === this.#status) {
      this.#status = seen;
      this.#streak = 0;
      return seen;
    }
    if (++this.#streak >= this.threshold) {
      this.#status = seen;
      this.#streak = 0;
    }
    return this.#status;
  }
}

/** A binary min-heap of values by numeric key; ties come out in insertion order. */
export class MinHeap<T> {
  #keys: number[] = [];
  #seqs: number[] = [];
  #vals: T[] = [];
  #seq = 0;

  get size(): number {
    return this.#vals.length;
  }

  clear(): void {
    this.#keys = [];
    this.#seqs = [];
    this.#vals = [];
  }

  peek(): T | undefined {
    return this.#vals[0];
  }

  peekKey(): number | undefined {
    return this.#keys[0];
  }

  push(key: number, val: T): void {
    this.#keys.push(key);
    this.#seqs.push(this.#seq++);
    this.#vals.push(val);
    let i = this.#vals.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  pop(): T | undefined {
    const n = this.#vals.length;
    if (n === 0) return undefined;
    const top = this.#vals[0];
    this.#swap(0, n - 1);
    this.#keys.pop();
    this.#seqs.pop();
    this.#vals.pop();
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n - 1 && this.#less(l, m)) m = l;
      if (r < n - 1 && this.#less(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
    return top;
  }

  #less(a: number, b: number): boolean {
    const ka = this.#keys[a]!;
    const kb = this.#keys[b]!;
    return ka < kb || (ka === kb && this.#seqs[a]! < this.#seqs[b]!);
  }

  #swap(a: number, b: number): void {
    [this.#keys[a], this.#keys[b]] = [this.#keys[b]!, this.#keys[a]!];
    [this.#seqs[a], this.#seqs[b]] = [this.#seqs[b]!, this.#seqs[a]!];
    [this.#vals[a], this.#vals[b]] = [this.#vals[b]!, this.#vals[a]!];
  }
}

/** Start lags of the last `windowMs`, in a fixed ring (the oldest samples fall out first when it is full). */
export class LagWindow {
  static readonly CAPACITY = 1 << 17;
  readonly #at = new Float64Array(LagWindow.CAPACITY);
  readonly #lag = new Float64Array(LagWindow.CAPACITY);
  #next = 0;
  #count = 0;

  constructor(readonly windowMs: number) {}

  add(atMono: number, lagMs: number): void {
    this.#at[this.#next] = atMono;
    this.#lag[this.#next] = lagMs;
    this.#next = (this.#next + 1) % LagWindow.CAPACITY;
    if (this.#count < LagWindow.CAPACITY) this.#count++;
  }

  /** nearest-rank percentiles of the samples taken since nowMono - windowMs (zeros without samples) */
  percentiles(nowMono: number, windowMs = this.windowMs): { p50: number; p99: number; max: number } {
    const from = nowMono - windowMs;
    const picked: number[] = [];
    for (let k = 0; k < this.#count; k++) {
      const i = (this.#next - 1 - k + LagWindow.CAPACITY) % LagWindow.CAPACITY;
      if (this.#at[i]! < from) break; // samples are in time order: everything older is out too
      picked.push(this.#lag[i]!);
    }
    if (picked.length === 0) return { p50: 0, p99: 0, max: 0 };
    const sorted = Float64Array.from(picked).sort();
    const rank = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return { p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1]! };
  }
}
