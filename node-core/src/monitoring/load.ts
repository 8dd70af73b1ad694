// A location's load over the last ~10 s (probe slots in use, work that came due, process CPU), and the
// farm's load as its master adds it up: what tells the loan brain a farm is saturated and how many
// locations its checks need (loans-spec "Why loans can relieve load").
import type { LocationLoad } from '../loans/types.js';

/** load figures cover this sliding window */
export const LOAD_WINDOW_MS = 10_000;
/** a farm aims at this utilisation per location: needed = ceil(demand / TARGET_UTILISATION) */
export const TARGET_UTILISATION = 0.7;
/** demand is capped here (a location that starts nothing while work comes due) */
export const MAX_DEMAND = 1000;

/** Sums of values added over the last windowMs, in bucketMs buckets (the oldest bucket falls out whole). */
export class BucketWindow {
  readonly #n: number;
  readonly #sums: Float64Array;
  readonly #ids: Float64Array;

  constructor(
    readonly windowMs = LOAD_WINDOW_MS,
    readonly bucketMs = 1000,
  ) {
    this.#n = Math.max(1, Math.ceil(windowMs / bucketMs));
    this.#sums = new Float64Array(this.#n);
    this.#ids = new Float64Array(this.#n).fill(-Infinity);
  }

  add(nowMs: number, v: number): void {
    const b = Math.floor(nowMs / this.bucketMs);
    const i = ((b % this.#n) + this.#n) % this.#n;
    if (this.#ids[i] !== b) {
      this.#ids[i] = b;
      this.#sums[i] = 0;
    }
    this.#sums[i]! += v;
  }

  sum(nowMs: number): number {
    const b = Math.floor(nowMs / this.bucketMs);
    let s = 0;
    for (let i = 0; i < this.#n; i++) if (this.#ids[i]! > b - this.#n && this.#ids[i]! <= b) s += this.#sums[i]!;
    return s;
  }

  /** the time the window covers now: (n - 1) whole buckets and the current one so far */
  span(nowMs: number): number {
    return (this.#n - 1) * this.bucketMs + (nowMs - Math.floor(nowMs / this.bucketMs) * this.bucketMs);
  }
}

/** The integral of a level (slots in use) over the window: level-ms per bucket. */
export class LevelWindow {
  readonly #w: BucketWindow;
  #level = 0;
  #since: number;
  readonly #start: number;

  constructor(nowMs: number, windowMs = LOAD_WINDOW_MS) {
    this.#w = new BucketWindow(windowMs);
    this.#since = nowMs;
    this.#start = nowMs;
  }

  /** the level changes at nowMs */
  set(nowMs: number, level: number): void {
    this.#advance(nowMs);
    this.#level = level;
  }

  /** level-ms over the window, and the span it covers (shorter for a young window) */
  integral(nowMs: number): { sum: number; span: number } {
    this.#advance(nowMs);
    return { sum: this.#w.sum(nowMs), span: Math.min(this.#w.span(nowMs), Math.max(0, nowMs - this.#start)) };
  }

  #advance(nowMs: number): void {
    let t = Math.max(this.#since, nowMs - this.#w.windowMs);
    // bounded: at most one step per bucket of the window, plus one
    for (let steps = 0; t < nowMs && steps <= this.#w.windowMs / this.#w.bucketMs + 1; steps++) {
      const end = Math.min(nowMs, (Math.floor(t / this.#w.bucketMs) + 1) * this.#w.bucketMs);
      if (this.#level > 0) this.#w.add(t, this.#level * (end - t));
      t = end;
    }
    this.#since = Math.max(this.#since, nowMs);
  }
}

/** This process's CPU as a fraction of one core over the last window (process.cpuUsage deltas / wall time). */
export class CpuSampler {
  readonly #samples: Array<{ wall: number; cpuUs: number }> = [];

  constructor(
    private readonly wallMs: () => number = () => performance.now(),
    private readonly cpuUs: () => number = () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    },
    readonly windowMs = LOAD_WINDOW_MS,
  ) {}

  /** takes a sample (call about once a second); keeps the window's samples plus one older */
  sample(): void {
    const wall = this.wallMs();
    this.#samples.push({ wall, cpuUs: this.cpuUs() });
    while (this.#samples.length > 2 && this.#samples[1]!.wall <= wall - this.windowMs) this.#samples.shift();
    if (this.#samples.length > 64) this.#samples.shift();
  }

  /** fraction of one core (may exceed 1 on several cores); 0 before two samples */
  fraction(): number {
    if (this.#samples.length < 2) return 0;
    const a = this.#samples[0]!;
    const b = this.#samples[this.#samples.length - 1]!;
    const wall = b.wall - a.wall;
    return wall > 0 ? Math.max(0, (b.cpuUs - a.cpuUs) / 1000 / wall) : 0;
  }
}

/**
 * Demand, in locations: the work offered, not just the work done. A location that keeps up starts
 * every round that comes due, so demand = utilisation. A saturated one reads utilisation 1.0 however
 * much waits, so its utilisation is scaled by rounds due / rounds started over the window (a round
 * that comes due while its previous one still waits in the queue counts as due, not started); one that
 * started nothing while work came due reads 1 + queued / concurrency.
 */
export function demandOf(utilisation: number, due: number, started: number, queued: number, concurrency: number): number {
  let d: number;
  if (started > 0) d = utilisation * Math.max(1, due / started);
  else d = due > 0 || queued > 0 ? 1 + queued / Math.max(1, concurrency) : utilisation;
  return Math.min(MAX_DEMAND, Number.isFinite(d) ? d : MAX_DEMAND);
}

/** the farm's load from its fresh pool members' loads (see FarmLoad) */
export interface FarmLoad {
  /** locations in the pool: fresh home locations not lent out, plus attached guests */
  pool: number;
  home: number;
  guests: number;
  /** worst check start lag p99 over fresh pool members, ms */
  lagP99Ms: number;
  /** busiest process CPU over fresh pool members, fraction of one core */
  cpu: number;
  /** probe slots in use summed over the pool, in locations (1.0 = one location fully busy) */
  utilisation: number;
  /** work offered summed over the pool, in locations (>= utilisation; see demandOf) */
  demand: number;
  /** locations the checks need: max(K when there are enabled checks (0: the pool), ceil(demand / 0.7)) */
  needed: number;
}

export function farmLoadOf(loads: ReadonlyArray<LocationLoad | null>, home: number, guests: number, k: number, enabledChecks: number): FarmLoad {
  let lag = 0;
  let cpu = 0;
  let util = 0;
  let demand = 0;
  for (const l of loads) {
    if (!l) continue;
    lag = Math.max(lag, l.lagP99Ms);
    cpu = Math.max(cpu, l.cpu);
    util += l.utilisation;
    demand += l.demand ?? l.utilisation;
  }
  const pool = home + guests;
  const base = enabledChecks > 0 ? (k === 0 ? pool : k) : 0;
  return { pool, home, guests, lagP99Ms: lag, cpu, utilisation: util, demand, needed: Math.max(base, Math.ceil(demand / TARGET_UTILISATION - 1e-9)) };
}
