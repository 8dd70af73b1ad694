// CheckScheduler and Damper: spreading of first runs, no overlap, the concurrency cap and the lag it
// causes, damping, setChecks add/update/remove, pause/resume, stop, and hostile checks and probes.
// Most tests run on FakeClock (deterministic lag figures); the last ones run on real timers.
import { afterEach, describe, expect, it } from 'vitest';
import { CheckScheduler, Damper, type SchedulerOptions } from '../../../node-core/src/monitoring/scheduler.js';
import type { CheckDef, CheckResult, ProbeResult, ProbeRunner } from '../../../node-core/src/monitoring/types.js';
import { seededRandom } from '../../../node-core/src/util/clock.js';
import { FakeClock } from '../../../node-core/src/util/fake-clock.js';

function check(id: number, patch: Partial<CheckDef> = {}): CheckDef {
  return { id, name: `c${id}`, type: 'tcp', target: '127.0.0.1:9', intervalSec: 60, timeoutMs: 1000, retries: 0, server: null, enabled: true, createdAt: 0, updatedAt: 0, createdBy: 't', ...patch };
}

interface Rig {
  clock: FakeClock;
  s: CheckScheduler;
  results: CheckResult[];
  /** per check id: monotonic start times */
  starts: Map<number, number[]>;
  signals: Array<{ id: number; signal: AbortSignal }>;
}

/** A scheduler on a FakeClock whose probe takes `ms` fake milliseconds (abort-aware) and answers ok(check, n). */
function rig(opts: Partial<SchedulerOptions> & { ms?: number; ok?: (c: CheckDef, n: number) => boolean } = {}): Rig {
  const clock = new FakeClock();
  const results: CheckResult[] = [];
  const starts = new Map<number, number[]>();
  const signals: Rig['signals'] = [];
  const probe: ProbeRunner = (c, signal) => {
    const list = starts.get(c.id) ?? [];
    list.push(clock.monotonic());
    starts.set(c.id, list);
    signals.push({ id: c.id, signal });
    const ok = opts.ok ? opts.ok(c, list.length) : true;
    return new Promise<ProbeResult>((resolve) => {
      const h = clock.setTimeout(() => resolve({ ok, responseTime: opts.ms ?? 1, attempts: 1 }), opts.ms ?? 1);
      signal.addEventListener('abort', () => {
        clock.clearTimeout(h);
        resolve({ ok: false, responseTime: 0, attempts: 1, error: 'aborted' });
      });
    });
  };
  const s = new CheckScheduler({ clock, runProbe: probe, onResult: (r) => results.push(r), random: seededRandom(7), ...opts });
  return { clock, s, results, starts, signals };
}

const live: CheckScheduler[] = [];
afterEach(() => {
  for (const s of live.splice(0)) s.stop();
});

describe('Damper', () => {
  it('sets the status from the first result, then flips only after N consecutive disagreeing results', () => {
    const d = new Damper(3);
    expect(d.status).toBeNull();
    expect(d.feed(false)).toBe('DOWN');
    expect([true, true, false, true, true, true].map((ok) => d.feed(ok))).toEqual(['DOWN', 'DOWN', 'DOWN', 'DOWN', 'DOWN', 'UP']);
    expect([false, false, false].map((ok) => d.feed(ok))).toEqual(['UP', 'UP', 'DOWN']);
  });
  it('threshold 1 follows every result; hostile thresholds are clamped to 1..100', () => {
    const one = new Damper(1);
    expect([true, false, true].map((ok) => one.feed(ok))).toEqual(['UP', 'DOWN', 'UP']);
    for (const bad of [0, -4]) expect(new Damper(bad).threshold).toBe(1);
    expect(new Damper(Number.NaN).threshold).toBe(2);
    expect(new Damper(1e9).threshold).toBe(100);
    expect(new Damper(2.9).threshold).toBe(2);
  });
});

describe('CheckScheduler on a fake clock', () => {
  it('spreads 10,000 first runs over the interval with one timer, and runs each once per interval', async () => {
    const r = rig({ ms: 1 });
    live.push(r.s);
    r.s.setChecks(Array.from({ length: 10_000 }, (_, i) => check(i + 1)));
    expect(r.clock.pendingTimers()).toBe(1);
    const perSecond = new Array<number>(60).fill(0);
    let before = 0;
    for (let sec = 0; sec < 60; sec++) {
      await r.clock.advance(1000);
      const started = r.s.stats().startedTotal;
      perSecond[sec] = started - before;
      before = started;
      expect(r.clock.pendingTimers()).toBeLessThanOrEqual(1 + 64); // the schedule timer + watchdogs of running rounds
    }
    expect(before).toBe(10_000);
    expect([...r.starts.values()].every((l) => l.length === 1)).toBe(true);
    // ~167 a second; no second gets more than twice that, none is empty
    expect(Math.max(...perSecond)).toBeLessThan(2 * (10_000 / 60));
    expect(Math.min(...perSecond)).toBeGreaterThan(0);
    await r.clock.advance(60_000);
    expect(r.s.stats().startedTotal).toBe(20_000);
    expect(r.s.stats().lagMax).toBeLessThan(1);
    // fixed rate: the second start is exactly one interval after the first
    const l = r.starts.get(4321)!;
    expect(l[1]! - l[0]!).toBe(60_000);
  });

  it('never overlaps a round with itself: a probe slower than the interval skips slots and counts them', async () => {
    const r = rig({ ms: 25_000 }); // 25 s probe, 10 s interval
    live.push(r.s);
    r.s.setChecks([check(1, { intervalSec: 10, timeoutMs: 30_000 })]);
    await r.clock.advance(100_000);
    const l = r.starts.get(1)!;
    for (let i = 1; i < l.length; i++) expect(l[i]! - l[i - 1]!).toBeGreaterThanOrEqual(25_000);
    expect(l.length).toBeGreaterThanOrEqual(3);
    expect(r.s.stats().skippedTotal).toBeGreaterThanOrEqual(6);
    expect(r.results.every((x) => x.ok)).toBe(true);
  });

  it('respects the concurrency cap; when saturated the wait shows as lag, and without saturation there is none', async () => {
    const sat = rig({ ms: 4000, concurrency: 2 });
    live.push(sat.s);
    let running = 0;
    let maxRunning = 0;
    let maxQueued = 0;
    sat.s.setChecks(Array.from({ length: 10 }, (_, i) => check(i + 1, { intervalSec: 10, timeoutMs: 5000 })));
    for (let t = 0; t < 120; t++) {
      await sat.clock.advance(500);
      const st = sat.s.stats();
      running = st.running;
      maxRunning = Math.max(maxRunning, running);
      maxQueued = Math.max(maxQueued, st.queued);
    }
    const st = sat.s.stats();
    expect(maxRunning).toBe(2);
    expect(maxQueued).toBeGreaterThan(0);
    // 10 checks x 4 s of work every 10 s on 2 slots = 200 % load: rounds wait for whole probe lengths
    expect(st.lagP99).toBeGreaterThan(4000);
    expect(st.lagMax).toBeGreaterThanOrEqual(st.lagP99);
    expect(st.skippedTotal).toBeGreaterThan(0);
    // results carry the lag they started with
    expect(Math.max(...sat.results.map((x) => x.lagMs))).toBeGreaterThan(4000);

    const free = rig({ ms: 4000, concurrency: 64 });
    live.push(free.s);
    free.s.setChecks(Array.from({ length: 10 }, (_, i) => check(i + 1, { intervalSec: 10, timeoutMs: 5000 })));
    await free.clock.advance(60_000);
    expect(free.s.stats().lagMax).toBeLessThan(1);
    expect(free.s.stats().skippedTotal).toBe(0);
  });

  it('damps each check: status flips after `damping` consecutive disagreeing results', async () => {
    // probe n of check 1: up, down, up, down, down, down, up, up
    const seq = [true, false, true, false, false, false, true, true];
    const r = rig({ damping: 2, ok: (_c, n) => seq[n - 1] ?? true });
    live.push(r.s);
    r.s.setChecks([check(1, { intervalSec: 5 })]);
    await r.clock.runUntil(() => r.results.length >= 8, 60_000, 100);
    expect(r.results.slice(0, 8).map((x) => `${x.ok ? 'u' : 'd'}:${x.status}`)).toEqual([
      'u:UP', 'd:UP', 'u:UP', 'd:UP', 'd:DOWN', 'd:DOWN', 'u:DOWN', 'u:UP',
    ]);
  });

  it('setChecks: cosmetic edits keep the timer and damper; a changed probe restarts; removal and disable abort in flight', async () => {
    const r = rig({ ms: 2000 });
    live.push(r.s);
    r.s.setChecks([check(1, { intervalSec: 10 }), check(2, { intervalSec: 10 }), check(3, { intervalSec: 10 })]);
    await r.clock.advance(25_000);
    const first1 = [...r.starts.get(1)!];
    r.s.setChecks([check(1, { intervalSec: 10, name: 'renamed', updatedAt: 5 }), check(2, { intervalSec: 10 }), check(3, { intervalSec: 10 })]);
    await r.clock.advance(20_000);
    const l1 = r.starts.get(1)!;
    expect(l1.slice(0, first1.length)).toEqual(first1);
    for (let i = 1; i < l1.length; i++) expect(l1[i]! - l1[i - 1]!).toBe(10_000); // same phase throughout
    expect(r.results.filter((x) => x.checkId === 1).length).toBeGreaterThan(0);

    // catch check 2 in flight, then change its target: the round is aborted and its result dropped
    const inFlight = (ids: number[]) => r.signals.filter((x) => ids.includes(x.id) && !x.signal.aborted);
    expect(await r.clock.runUntil(() => inFlight([2]).length > 0 && inFlight([3]).length > 0, 20_000, 10)).toBe(true);
    const caught = inFlight([2, 3]);
    const results23 = r.results.filter((x) => x.checkId !== 1).length;
    r.s.setChecks([check(1, { intervalSec: 10 }), check(2, { intervalSec: 30, target: '127.0.0.1:10' })]); // 3 removed
    expect(caught.every((x) => x.signal.aborted)).toBe(true);
    expect(r.s.stats().checks).toBe(2);
    await r.clock.advance(1);
    expect(r.results.filter((x) => x.checkId !== 1).length).toBe(results23); // aborted rounds report nothing
    const s3 = r.starts.get(3)!.length;
    await r.clock.advance(60_000);
    expect(r.starts.get(3)!.length).toBe(s3); // removed: never again
    const l2 = r.starts.get(2)!;
    expect(l2[l2.length - 1]! - l2[l2.length - 2]!).toBe(30_000); // restarted on its new interval

    // disabled: stops; duplicate ids: the first wins
    r.s.setChecks([check(1, { intervalSec: 10, enabled: false }), check(2, { intervalSec: 30 }), check(2, { intervalSec: 5 })]);
    const s1 = r.starts.get(1)!.length;
    await r.clock.advance(60_000);
    expect(r.starts.get(1)!.length).toBe(s1);
    expect(r.s.stats().checks).toBe(1);
  });

  it('pause() starts nothing new but lets in-flight rounds report; resume() keeps each check on its phase', async () => {
    const r = rig({ ms: 3000 });
    live.push(r.s);
    r.s.setChecks(Array.from({ length: 20 }, (_, i) => check(i + 1, { intervalSec: 10 })));
    await r.clock.runUntil(() => r.s.stats().running > 0, 10_000, 10);
    const startedAtPause = r.s.stats().startedTotal;
    const inFlight = r.s.stats().running;
    r.s.pause();
    await r.clock.advance(60_000);
    expect(r.s.stats().startedTotal).toBe(startedAtPause);
    expect(r.s.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(r.results.length).toBe(startedAtPause); // the in-flight ones reported
    expect(inFlight).toBeGreaterThan(0);
    r.s.resume();
    await r.clock.advance(10_000);
    expect(r.s.stats().startedTotal).toBe(startedAtPause + 20);
    for (const l of r.starts.values()) expect((l[l.length - 1]! - l[0]!) % 10_000).toBe(0);
  });

  it('stop() aborts in-flight probes, drops their results and leaves no timer behind', async () => {
    const r = rig({ ms: 5000 });
    r.s.setChecks(Array.from({ length: 5 }, (_, i) => check(i + 1, { intervalSec: 5, timeoutMs: 6000 })));
    await r.clock.runUntil(() => r.s.stats().running >= 3, 10_000, 10);
    const n = r.results.length;
    r.s.stop();
    expect(r.signals.every((x) => x.signal.aborted)).toBe(true);
    await r.clock.advance(60_000);
    expect(r.results.length).toBe(n);
    expect(r.clock.pendingTimers()).toBe(0);
    r.s.setChecks([check(9)]); // after stop: ignored
    expect(r.s.stats().checks).toBe(0);
  });

  it('hostile intervals (0, negative, NaN, Infinity) are clamped into 5 s .. 1 day, never spin', async () => {
    const r = rig({ ms: 1 });
    live.push(r.s);
    r.s.setChecks([check(1, { intervalSec: 0 }), check(2, { intervalSec: -3 }), check(3, { intervalSec: Number.NaN }), check(4, { intervalSec: Infinity })]);
    await r.clock.advance(60_000);
    for (const id of [1, 2, 3]) expect(r.starts.get(id)!.length).toBeLessThanOrEqual(12);
    for (const id of [1, 2, 3]) expect(r.starts.get(id)!.length).toBeGreaterThanOrEqual(11);
    expect((r.starts.get(4) ?? []).length).toBeLessThanOrEqual(1);
  });

  it('a probe that throws, rejects, answers garbage or never settles becomes a failed result; a throwing onResult is survived', async () => {
    const clock = new FakeClock();
    const results: CheckResult[] = [];
    const probes: Record<number, ProbeRunner> = {
      1: () => {
        throw new Error('boom');
      },
      2: () => Promise.reject(new TypeError('bad')),
      3: () => Promise.resolve(null as unknown as ProbeResult),
      4: () => new Promise<ProbeResult>(() => {}), // ignores its signal too
      5: () => Promise.resolve({ ok: true, responseTime: Number.NaN, attempts: -1 }),
    };
    let handlerCalls = 0;
    const s = new CheckScheduler({
      clock,
      concurrency: Number.NaN,
      runProbe: (c, sig) => probes[c.id]!(c, sig),
      onResult: (r) => {
        handlerCalls++;
        results.push(r);
        if (r.checkId === 5) throw new Error('handler broke');
      },
      graceMs: 500,
    });
    live.push(s);
    s.setChecks([1, 2, 3, 4, 5].map((id) => check(id, { intervalSec: 5, timeoutMs: id === 4 ? Number.NaN : 1000 })));
    await clock.advance(40_000);
    const by = (id: number) => results.filter((r) => r.checkId === id);
    expect(by(1)[0]).toMatchObject({ ok: false, error: 'probe failed: boom', status: 'DOWN' });
    expect(by(2)[0]).toMatchObject({ ok: false, error: 'probe failed: bad' });
    expect(by(3)[0]).toMatchObject({ ok: false, error: 'probe returned no result' });
    expect(by(4)[0]).toMatchObject({ ok: false, error: 'probe did not finish within 30500 ms' });
    expect(by(5)[0]).toMatchObject({ ok: true, status: 'UP' });
    expect(Number.isFinite(by(5)[0]!.responseTime)).toBe(true);
    expect(by(5).length).toBeGreaterThan(3); // kept running after the handler threw
    expect(s.stats().timedOutTotal).toBe(1);
    expect(s.stats().running).toBe(1); // check 4's second round, hung again
    expect(handlerCalls).toBe(results.length);
  });
});

describe('CheckScheduler on real timers (timeScale 0.01: 5 s = 50 ms)', () => {
  const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    return cond();
  };

  it('runs short intervals without overlap and aborts a probe that ignores its timeout', async () => {
    const active = new Map<number, number>();
    let overlap = 0;
    const results: CheckResult[] = [];
    const s = new CheckScheduler({
      timeScale: 0.01,
      graceMs: 50,
      runProbe: async (c, signal) => {
        const n = (active.get(c.id) ?? 0) + 1;
        active.set(c.id, n);
        if (n > 1) overlap++;
        try {
          if (c.id === 3) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
          await new Promise((r) => setTimeout(r, c.id === 2 ? 120 : 5)); // check 2 is slower than its 50 ms interval
          return { ok: true, responseTime: 5, attempts: 1 };
        } finally {
          active.set(c.id, (active.get(c.id) ?? 1) - 1);
        }
      },
      onResult: (r) => results.push(r),
    });
    live.push(s);
    s.setChecks([check(1, { intervalSec: 5 }), check(2, { intervalSec: 5 }), check(3, { intervalSec: 5, timeoutMs: 30 })]);
    expect(await until(() => results.filter((r) => r.checkId === 3).length >= 2 && results.filter((r) => r.checkId === 1).length >= 8, 5000)).toBe(true);
    expect(overlap).toBe(0);
    expect(s.stats().skippedTotal).toBeGreaterThan(0);
    expect(results.find((r) => r.checkId === 3)).toMatchObject({ ok: false, error: 'probe did not finish within 80 ms' });
    s.stop();
    expect(s.stats().running).toBe(0);
  });
});
