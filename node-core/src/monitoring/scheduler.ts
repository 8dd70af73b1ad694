// Runs this node's checks at their intervals (issue 12): one min-heap of due times behind a single
// timer, a concurrency cap with a FIFO queue, no round overlapping itself, and per-location damping.
/*
 * Design. Each enabled check has one entry with its next scheduled time on a monotonic clock. The
 * first run is spread over the interval (random offset), later runs keep that phase (fixed rate, no
 * drift). When a slot comes due: if the check's previous round is still queued or running, the slot
 * is skipped and counted (a round never overlaps itself); otherwise the round joins the FIFO queue,
 * which starts rounds while fewer than `concurrency` run. lagMs = actual start - scheduled start,
 * so a saturated node shows its backlog as lag. A probe that throws or never settles becomes a
 * failed result (a watchdog aborts it after timeoutMs x attempts + graceMs). Removing or changing a
 * check, and stop(), abort its in-flight round and drop that round's result.
 */
import type { Logger } from '../log.js';
import { realClock, type Clock, type Random, type TimerHandle } from '../util/clock.js';
import { BucketWindow, demandOf, LevelWindow, LOAD_WINDOW_MS } from './load.js';
import { Damper, LagWindow, MinHeap, clampInt } from './scheduler-parts.js';
import type { CheckDef, CheckResult, ProbeResult, ProbeRunner } from './types.js';

export { Damper, MAX_DAMPING } from './scheduler-parts.js';

/** interval bounds, seconds: a hostile or broken definition is clamped into them, never spins */
export const MIN_INTERVAL_SEC = 5;
export const MAX_INTERVAL_SEC = 86_400;
export const MAX_CONCURRENCY = 10_000;
/** used when a definition's timeoutMs is not a usable number */
const FALLBACK_TIMEOUT_MS = 30_000;

export interface SchedulerOptions {
  runProbe: ProbeRunner;
  /** each finished round, with the check's current definition; a throw here is logged, never fatal */
  onResult: (result: CheckResult, check: CheckDef) => void;
  /** now() stamps results; monotonic() and the timers drive the schedule (default: the real clock) */
  clock?: Clock;
  /** rounds running at once (1..MAX_CONCURRENCY, default 64); more wait in a queue and show as lag */
  concurrency?: number;
  /** a location's status flips after this many consecutive disagreeing results (1..100, default 2) */
  damping?: number;
  /** offsets of first runs within the interval (default Math.random) */
  random?: Random;
  /** TESTS AND BENCHMARKS ONLY: multiplies every interval (0.01: a 5 s interval lasts 50 ms); 0.0001..1, default 1 */
  timeScale?: number;
  /** a round that has not settled timeoutMs x (retries + 1) + graceMs after its start is aborted as failed (default 1000) */
  graceMs?: number;
  /** stats() lag percentiles cover this window (default 60 s) */
  lagWindowMs?: number;
  logger?: Logger;
}

export interface SchedulerStats {
  running: number;
  queued: number;
  /** start lag over the last lagWindowMs, ms (0 without starts) */
  lagP50: number;
  lagP99: number;
  lagMax: number;
  /** checks scheduled (enabled) */
  checks: number;
  startedTotal: number;
  /** slots skipped because the previous round had not finished (or the node was too late by a whole interval) */
  skippedTotal: number;
  /** rounds failed by the watchdog (the probe never settled) */
  timedOutTotal: number;
}

/** this scheduler's load over the last LOAD_WINDOW_MS (load.ts) */
export interface SchedulerLoad {
  lagP99Ms: number;
  /** slot-ms busy / (window x concurrency), 0..1 */
  utilisation: number;
  /** work offered in locations (load.ts demandOf) */
  demand: number;
  queued: number;
  concurrency: number;
}

interface Round {
  readonly ac: AbortController;
  done: boolean;
  watchdog: TimerHandle | undefined;
}

interface Entry {
  def: CheckDef;
  readonly probeKey: string;
  readonly intervalMs: number;
  readonly damper: Damper;
  /** the next scheduled start (monotonic ms) */
  due: number;
  /** the scheduled start of the round waiting in the queue, or null */
  queued: number | null;
  round: Round | null;
  removed: boolean;
}

/** Definition fields that do not change what is probed: editing them keeps the timer and the damper. */
const COSMETIC = new Set(['name', 'server', 'createdAt', 'updatedAt', 'createdBy', 'enabled']);

function probeKey(def: CheckDef): string {
  const rec = def as unknown as Record<string, unknown>;
  return JSON.stringify(Object.keys(rec).filter((k) => !COSMETIC.has(k)).sort().map((k) => [k, rec[k]]));
}

export class CheckScheduler {
  readonly #run: ProbeRunner;
  readonly #onResult: SchedulerOptions['onResult'];
  readonly #clock: Clock;
  readonly #concurrency: number;
  readonly #damping: number;
  readonly #random: Random;
  readonly #scale: number;
  readonly #graceMs: number;
  readonly #log: Logger | undefined;
  readonly #entries = new Map<number, Entry>();
  readonly #heap = new MinHeap<Entry>();
  readonly #lag: LagWindow;
  #queue: Entry[] = [];
  #qHead = 0;
  #queuedCount = 0;
  #running = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #paused = false;
  #stopped = false;
  #startedTotal = 0;
  #skippedTotal = 0;
  #timedOutTotal = 0;
  /** slots in use over time, rounds that came due and rounds started, over LOAD_WINDOW_MS */
  readonly #busy: LevelWindow;
  readonly #due = new BucketWindow(LOAD_WINDOW_MS);
  readonly #started = new BucketWindow(LOAD_WINDOW_MS);

  constructor(opts: SchedulerOptions) {
    this.#run = opts.runProbe;
    this.#onResult = opts.onResult;
    this.#clock = opts.clock ?? realClock;
    this.#concurrency = clampInt(opts.concurrency, 1, MAX_CONCURRENCY, 64);
    this.#damping = clampInt(opts.damping, 1, 100, 2);
    this.#random = opts.random ?? Math.random;
    const scale = opts.timeScale ?? 1;
    this.#scale = Number.isFinite(scale) ? Math.min(1, Math.max(0.0001, scale)) : 1;
    this.#graceMs = clampInt(opts.graceMs, 0, 600_000, 1000);
    this.#log = opts.logger;
    this.#lag = new LagWindow(clampInt(opts.lagWindowMs, 1, 3_600_000, 60_000));
    this.#busy = new LevelWindow(this.#clock.monotonic());
  }

  /** Replaces the set of checks: unchanged ones keep their timers, changed ones restart, absent or disabled ones stop. */
  setChecks(checks: readonly CheckDef[]): void {
    if (this.#stopped) return;
    const wanted = new Map<number, CheckDef>();
    for (const c of checks) {
      if (!c || typeof c !== 'object' || !Number.isSafeInteger(c.id)) {
        this.#log?.warn({ check: c && typeof c === 'object' ? c.id : String(c) }, 'monitoring: a check without a valid id is not scheduled');
        continue;
      }
      if (c.enabled !== false && !wanted.has(c.id)) wanted.set(c.id, c);
    }
    for (const [id, e] of this.#entries) if (!wanted.has(id)) this.#retire(e);
    const now = this.#clock.monotonic();
    for (const [id, def] of wanted) {
      const key = probeKey(def);
      const old = this.#entries.get(id);
      if (old && old.probeKey === key) {
        old.def = def;
        continue;
      }
      if (old) this.#retire(old);
      const intervalMs = this.#intervalMs(def.intervalSec);
      const e: Entry = { def, probeKey: key, intervalMs, damper: new Damper(this.#damping), due: 0, queued: null, round: null, removed: false };
      const frac = this.#random();
      e.due = now + (Number.isFinite(frac) ? Math.min(Math.max(frac, 0), 1) : 0) * intervalMs;
      this.#entries.set(id, e);
      if (!this.#paused) this.#heap.push(e.due, e);
    }
    if (this.#heap.size > 2 * this.#entries.size + 1024) this.#rebuildHeap(false);
    this.#pump();
    this.#arm();
  }

  /** Starts no new rounds (in-flight ones finish and report) until resume(). */
  pause(): void {
    if (this.#paused || this.#stopped) return;
    this.#paused = true;
    this.#disarm();
    for (let i = this.#qHead; i < this.#queue.length; i++) this.#queue[i]!.queued = null;
    this.#queue = [];
    this.#qHead = 0;
    this.#queuedCount = 0;
  }

  /** Picks up each check at its next slot on its old phase (slots missed while paused are not counted as skipped). */
  resume(): void {
    if (!this.#paused || this.#stopped) return;
    this.#paused = false;
    this.#rebuildHeap(true);
    this.#arm();
  }

  /** Stops for good: aborts in-flight rounds (their results are dropped) and forgets every check. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#disarm();
    for (const e of this.#entries.values()) this.#retire(e);
    this.#entries.clear();
    this.#heap.clear();
    this.#queue = [];
    this.#qHead = 0;
  }

  stats(): SchedulerStats {
    const lag = this.#lag.percentiles(this.#clock.monotonic());
    return {
      running: this.#running,
      queued: this.#queuedCount,
      lagP50: lag.p50,
      lagP99: lag.p99,
      lagMax: lag.max,
      checks: this.#entries.size,
      startedTotal: this.#startedTotal,
      skippedTotal: this.#skippedTotal,
      timedOutTotal: this.#timedOutTotal,
    };
  }

  /** lag p99, utilisation and demand over the last LOAD_WINDOW_MS */
  load(): SchedulerLoad {
    const now = this.#clock.monotonic();
    const { sum, span } = this.#busy.integral(now);
    const utilisation = span > 0 ? Math.min(1, sum / (span * this.#concurrency)) : 0;
    return {
      lagP99Ms: this.#lag.percentiles(now, LOAD_WINDOW_MS).p99,
      utilisation,
      demand: demandOf(utilisation, this.#due.sum(now), this.#started.sum(now), this.#queuedCount, this.#concurrency),
      queued: this.#queuedCount,
      concurrency: this.#concurrency,
    };
  }

  #intervalMs(sec: number): number {
    // NaN (or not a number at all) counts as the minimum; +Infinity as the maximum
    const s = typeof sec === 'number' && !Number.isNaN(sec) ? Math.min(MAX_INTERVAL_SEC, Math.max(MIN_INTERVAL_SEC, sec)) : MIN_INTERVAL_SEC;
    return s * 1000 * this.#scale;
  }

  /** Takes a check off the schedule: aborts its round, drops it from the queue. */
  #retire(e: Entry): void {
    e.removed = true;
    if (e.queued !== null) {
      e.queued = null;
      this.#queuedCount--;
    }
    if (e.round) this.#endRound(e, e.round);
    if (this.#entries.get(e.def.id) === e) this.#entries.delete(e.def.id);
  }

  #rebuildHeap(realign: boolean): void {
    this.#heap.clear();
    const now = this.#clock.monotonic();
    for (const e of this.#entries.values()) {
      if (realign && e.due < now) e.due += Math.ceil((now - e.due) / e.intervalMs) * e.intervalMs;
      this.#heap.push(e.due, e);
    }
  }

  #disarm(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** Keeps the single timer set for the earliest due slot. */
  #arm(): void {
    if (this.#paused || this.#stopped) return;
    while (this.#heap.size > 0 && this.#heap.peek()!.removed) this.#heap.pop();
    const top = this.#heap.peekKey();
    if (top === undefined) return this.#disarm();
    if (this.#timer && top >= this.#timerAt) return;
    this.#disarm();
    this.#timerAt = top;
    const delay = Math.min(2 ** 31 - 1, Math.max(0, top - this.#clock.monotonic()));
    this.#timer = this.#clock.setTimeout(() => this.#tick(), delay);
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#paused || this.#stopped) return;
    const now = this.#clock.monotonic();
    // bounded: each live entry comes out at most once per tick, since its next slot is after `now`
    for (let n = 0; n < 1_000_000; n++) {
      const at = this.#heap.peekKey();
      if (at === undefined || at > now + 1) break;
      const e = this.#heap.pop()!;
      if (e.removed) continue;
      // due: work offered. A slot skipped because the round still waits in the queue is due work the
      // node did not start; one skipped because the round is still running is the check's own slowness
      if (!e.round) this.#due.add(now, 1);
      if (e.round || e.queued !== null) this.#skippedTotal++;
      else {
        e.queued = at;
        this.#queue.push(e);
        this.#queuedCount++;
      }
      let next = at + e.intervalMs;
      if (next <= now) {
        // late by whole intervals (a blocked event loop, a suspended machine): skip those slots
        const missed = Math.floor((now - next) / e.intervalMs) + 1;
        this.#skippedTotal += missed;
        this.#due.add(now, missed);
        next += missed * e.intervalMs;
      }
      e.due = next;
      this.#heap.push(next, e);
    }
    this.#pump();
    this.#arm();
  }

  /** Starts queued rounds while there is room. */
  #pump(): void {
    while (!this.#paused && !this.#stopped && this.#running < this.#concurrency && this.#qHead < this.#queue.length) {
      const e = this.#queue[this.#qHead++]!;
      if (e.removed || e.queued === null) continue;
      const scheduled = e.queued;
      e.queued = null;
      this.#queuedCount--;
      this.#start(e, scheduled);
    }
    if (this.#qHead > 1024 && this.#qHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#qHead);
      this.#qHead = 0;
    }
  }

  #start(e: Entry, scheduled: number): void {
    const startMono = this.#clock.monotonic();
    const at = this.#clock.now();
    const lagMs = Math.max(0, startMono - scheduled);
    this.#lag.add(startMono, lagMs);
    this.#startedTotal++;
    this.#started.add(startMono, 1);
    this.#running++;
    this.#busy.set(startMono, this.#running);
    const round: Round = { ac: new AbortController(), done: false, watchdog: undefined };
    e.round = round;
    const def = e.def;
    const elapsed = (): number => this.#clock.monotonic() - startMono;
    const timeout = Number.isFinite(def.timeoutMs) && def.timeoutMs > 0 ? def.timeoutMs : FALLBACK_TIMEOUT_MS;
    const limitMs = Math.min(3_600_000, timeout * (clampInt(def.retries, 0, 5, 0) + 1) + this.#graceMs);
    const finish = (r: ProbeResult): void => {
      if (round.done) return; // aborted by removal/stop, or the watchdog came first
      this.#endRound(e, round);
      this.#report(e, r, at, lagMs);
      this.#pump();
      this.#arm();
    };
    round.watchdog = this.#clock.setTimeout(() => {
      this.#timedOutTotal++;
      finish({ ok: false, responseTime: elapsed(), attempts: 1, error: `probe did not finish within ${Math.round(limitMs)} ms` });
    }, limitMs);
    let p: Promise<ProbeResult>;
    try {
      p = Promise.resolve(this.#run(def, round.ac.signal));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) => finish(sane(r, elapsed())),
      (err: unknown) => finish({ ok: false, responseTime: elapsed(), attempts: 1, error: `probe failed: ${err instanceof Error ? err.message : String(err)}` }),
    );
  }

  /** Ends a round: frees its slot and aborts its probe (a no-op for one that settled). */
  #endRound(e: Entry, round: Round): void {
    if (round.done) return;
    round.done = true;
    this.#clock.clearTimeout(round.watchdog);
    this.#running--;
    this.#busy.set(this.#clock.monotonic(), this.#running);
    if (e.round === round) e.round = null;
    round.ac.abort();
  }

  #report(e: Entry, r: ProbeResult, at: number, lagMs: number): void {
    if (e.removed || this.#stopped) return;
    const result: CheckResult = { checkId: e.def.id, at, ok: r.ok, responseTime: r.responseTime, lagMs, status: e.damper.feed(r.ok) };
    if (r.error !== undefined) result.error = r.error;
    if (r.httpStatus !== undefined) result.httpStatus = r.httpStatus;
    if (r.certExpiresAt !== undefined) result.certExpiresAt = r.certExpiresAt;
    try {
      this.#onResult(result, e.def);
    } catch (err) {
      this.#log?.error({ err, checkId: e.def.id }, 'monitoring: the result handler threw');
    }
  }
}

/** A runner's answer made safe to store and report (a broken runner is a failed result). */
function sane(r: ProbeResult, elapsedMs: number): ProbeResult {
  if (!r || typeof r !== 'object') return { ok: false, responseTime: elapsedMs, attempts: 1, error: 'probe returned no result' };
  const out: ProbeResult = {
    ok: r.ok === true,
    responseTime: Number.isFinite(r.responseTime) && r.responseTime >= 0 ? r.responseTime : elapsedMs,
    attempts: Number.isSafeInteger(r.attempts) && r.attempts > 0 ? r.attempts : 1,
  };
  if (typeof r.error === 'string') out.error = r.error;
  else if (!out.ok) out.error = 'probe failed without a reason';
  if (Number.isSafeInteger(r.httpStatus)) out.httpStatus = r.httpStatus;
  if (Number.isFinite(r.certExpiresAt)) out.certExpiresAt = r.certExpiresAt;
  return out;
}
