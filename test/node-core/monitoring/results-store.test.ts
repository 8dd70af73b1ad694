// ResultsStore on real SQLite files: raw results, series and uptime, compaction into buckets (bounded
// per call), retention, removal, hostile inputs, a full disk (size quota) and files that are not ours.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../../node-core/src/errors.js';
import { MAX_ERROR_CHARS, MAX_SERIES_POINTS, RESULTS_DB_FILE, ResultsStore } from '../../../node-core/src/monitoring/results-store.js';
import type { CheckResult } from '../../../node-core/src/monitoring/types.js';
import { TmpDirs } from '../storage/tmp-dirs.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 5, 1);

function result(checkId: number, at: number, ok: boolean, responseTime: number, extra: Partial<CheckResult> = {}): CheckResult {
  return { checkId, at, ok, responseTime, lagMs: 0, status: ok ? 'UP' : 'DOWN', ...extra };
}

describe('ResultsStore', () => {
  const dirs = new TmpDirs();
  const open: ResultsStore[] = [];
  let clock = T0;
  const make = (dir: string | ':memory:', opts: Parameters<typeof ResultsStore.open>[1] = {}): ResultsStore => {
    const s = ResultsStore.open(dir, { now: () => clock, ...opts });
    open.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    dirs.cleanup();
    clock = T0;
  });

  it('stores results in monitoring.db, answers latest, and keeps them across a reopen', () => {
    const dir = dirs.make();
    const s = make(dir);
    expect(s.file).toBe(join(dir, RESULTS_DB_FILE));
    expect(s.latest(1)).toBeNull();
    expect(
      s.add([
        result(1, T0, true, 12.345, { httpStatus: 200, certExpiresAt: T0 + 86_400_000, lagMs: 3 }),
        result(1, T0 + MIN, false, 2000, { error: 'timeout after 2000 ms' }),
        result(2, T0, true, 1),
      ]),
    ).toBe(true);
    expect(s.latest(1)).toEqual({ checkId: 1, at: T0 + MIN, ok: false, responseTime: 2000, lagMs: 0, status: 'DOWN', error: 'timeout after 2000 ms' });
    s.close();
    const again = make(dir);
    expect(again.latest(2)).toMatchObject({ checkId: 2, ok: true, responseTime: 1 });
    expect(again.series(1, 0).map((p) => p.responseTime)).toEqual([12.345, 2000]);
    expect(again.stats()).toMatchObject({ rawRows: 3, buckets: 0, writeErrors: 0 });
  });

  it('series returns raw points oldest first and merges them into at most maxPoints slots', () => {
    const s = make(':memory:');
    clock = T0 + 100 * MIN;
    s.add(Array.from({ length: 100 }, (_, i) => result(7, T0 + i * MIN, i % 10 !== 0, 10 + i)));
    const all = s.series(7, T0, 500);
    expect(all).toHaveLength(100);
    expect(all[0]).toEqual({ at: T0, responseTime: 10, ok: false, min: 10, max: 10, up: 0, total: 1 });
    const ten = s.series(7, T0, 10);
    expect(ten.length).toBeLessThanOrEqual(10);
    expect(ten.length).toBeGreaterThanOrEqual(5);
    expect(ten.reduce((n, p) => n + p.total, 0)).toBe(100);
    expect(ten.reduce((n, p) => n + p.up, 0)).toBe(90);
    // the weighted mean survives merging: mean of 10..109 is 59.5
    expect(ten.reduce((n, p) => n + p.responseTime * p.total, 0) / 100).toBeCloseTo(59.5, 6);
    expect(ten[0]!.min).toBe(10);
    expect(Math.max(...ten.map((p) => p.max))).toBe(109);
    expect(s.series(7, T0 + 50 * MIN, 500)).toHaveLength(50);
  });

  it('hostile series and uptime arguments: maxPoints 0, negative, NaN, huge; since NaN', () => {
    const s = make(':memory:');
    clock = T0 + 2 * HOUR;
    s.add(Array.from({ length: 120 }, (_, i) => result(1, T0 + i * MIN, true, 5)));
    expect(s.series(1, T0, 0)).toHaveLength(1);
    expect(s.series(1, T0, -5)).toHaveLength(1);
    expect(s.series(1, T0, Number.NaN).length).toBeLessThanOrEqual(500);
    expect(s.series(1, T0, 1e12)).toHaveLength(120);
    expect(s.series(1, Number.NaN, 3).length).toBeLessThanOrEqual(3);
    expect(s.series(99, T0, 10)).toEqual([]);
    expect(s.uptime(1, Number.NaN)).toBe(1);
    expect(s.uptime(99, T0)).toBeNull();
    // points far in the future (a skewed clock) still respect maxPoints
    s.add([result(1, T0 + 1000 * HOUR, true, 5), result(1, T0 + 2000 * HOUR, true, 5)]);
    expect(s.series(1, T0, 4).length).toBeLessThanOrEqual(4);
  });

  it('series never returns more than MAX_SERIES_POINTS', () => {
    const s = make(':memory:');
    clock = T0 + 20_000 * 1000;
    s.add(Array.from({ length: 12_000 }, (_, i) => result(1, T0 + i * 1000, true, 1)));
    expect(s.series(1, T0, Infinity).length).toBeLessThanOrEqual(MAX_SERIES_POINTS);
  });

  it('compact folds raw rows past raw retention into 5-minute buckets, then series and uptime read both', () => {
    const s = make(':memory:', { rawRetentionMs: HOUR, bucketMs: 5 * MIN });
    // 3 hours of one result a minute; every 4th down; response time = minute index
    s.add(Array.from({ length: 180 }, (_, i) => result(3, T0 + i * MIN, i % 4 !== 0, i)));
    clock = T0 + 180 * MIN;
    expect(s.compact(clock)).toEqual({ folded: 120, dropped: 0, more: false }); // rows older than 1 h
    expect(s.stats()).toMatchObject({ rawRows: 60, buckets: 24 });
    expect(s.compact(clock)).toEqual({ folded: 0, dropped: 0, more: false });
    const pts = s.series(3, T0, 1000);
    expect(pts).toHaveLength(24 + 60);
    expect(pts[0]).toEqual({ at: T0, responseTime: 2, ok: false, min: 0, max: 4, up: 3, total: 5 }); // minutes 0 and 4 down
    expect(pts[24]).toMatchObject({ at: T0 + 120 * MIN, total: 1, ok: false }); // the first raw point
    expect(s.uptime(3, T0)).toBeCloseTo(135 / 180, 9);
    // a window starting inside a bucket counts that bucket whole
    expect(s.uptime(3, T0 + 7 * MIN)).toBeCloseTo((135 - 3) / 175, 9);
    expect(s.latest(3)!.at).toBe(T0 + 179 * MIN);
  });

  it('compact is bounded per call and reports more until done; results folded twice into one bucket add up', () => {
    const s = make(':memory:', { rawRetentionMs: MIN, bucketMs: HOUR });
    s.add(Array.from({ length: 25 }, (_, i) => result(1, T0 + i * 1000, true, 10)));
    clock = T0 + HOUR;
    expect(s.compact(clock, 10)).toEqual({ folded: 10, dropped: 0, more: true });
    expect(s.compact(clock, 10)).toEqual({ folded: 10, dropped: 0, more: true });
    expect(s.compact(clock, 10)).toEqual({ folded: 5, dropped: 0, more: false });
    expect(s.series(1, T0, 10)).toEqual([{ at: T0, responseTime: 10, ok: true, min: 10, max: 10, up: 25, total: 25 }]);
    // hostile maxRows: 0 and negative mean 1 (bounded, still progressing); NaN means the default
    s.add(Array.from({ length: 3 }, (_, i) => result(2, T0 + i, true, 1)));
    let total = 0;
    for (let i = 0; i < 10 && total < 2; i++) {
      const out = s.compact(clock, i % 2 === 0 ? 0 : -3);
      expect(out.folded).toBeLessThanOrEqual(1);
      total += out.folded;
    }
    expect(total).toBe(2);
    expect(s.compact(clock, Number.NaN)).toMatchObject({ folded: 1, more: false });
    expect(s.stats().rawRows).toBe(0);
  });

  it('compaction walks many checks in bounded calls and folds every one of them exactly once', () => {
    const s = make(':memory:', { rawRetentionMs: HOUR, bucketMs: 10 * MIN });
    for (let id = 1; id <= 50; id++) s.add(Array.from({ length: 12 }, (_, i) => result(id, T0 + i * MIN, i !== 3, id)));
    clock = T0 + HOUR + 6 * MIN; // minutes 0..5 of every check are past raw retention
    let total = 0;
    let calls = 0;
    for (; calls < 100; calls++) {
      const out = s.compact(clock, 64);
      expect(out.folded).toBeLessThanOrEqual(64);
      total += out.folded;
      if (!out.more) break;
    }
    expect(total).toBe(300);
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(s.stats()).toMatchObject({ rawRows: 300, buckets: 50 });
    for (const id of [1, 17, 50]) {
      const [b, ...raw] = s.series(id, T0, 100);
      expect(b).toEqual({ at: T0, responseTime: id, ok: false, min: id, max: id, up: 5, total: 6 });
      expect(raw).toHaveLength(6);
      expect(s.uptime(id, T0)).toBeCloseTo(11 / 12, 9);
    }
    // a second result of one check at the same ms replaces the first
    s.add([result(1, T0 + 11 * MIN, false, 999)]);
    expect(s.latest(1)).toMatchObject({ ok: false, responseTime: 999 });
    expect(s.stats().rawRows).toBe(300);
  });

  it('drops buckets past bucket retention, bounded per call, and never writes an already expired one', () => {
    const s = make(':memory:', { rawRetentionMs: HOUR, bucketMs: HOUR, bucketRetentionMs: 24 * HOUR });
    s.add(Array.from({ length: 48 }, (_, i) => result(1, T0 + i * HOUR, true, 1)));
    clock = T0 + 20 * HOUR;
    expect(s.compact(clock)).toMatchObject({ folded: 19, dropped: 0 });
    clock = T0 + 60 * HOUR; // raw rows 19..47 are all older than 1 h; buckets before T0 + 36 h expire
    const out = s.compact(clock, 5);
    expect(out).toEqual({ folded: 5, dropped: 5, more: true });
    for (let i = 0; i < 20 && s.compact(clock, 5).more; i++);
    expect(s.stats().rawRows).toBe(0);
    const pts = s.series(1, 0, 100);
    expect(pts[0]!.at).toBe(T0 + 36 * HOUR);
    expect(pts).toHaveLength(12);
  });

  it('removeCheck forgets raw rows and buckets of that check only', () => {
    const s = make(':memory:', { rawRetentionMs: MIN });
    s.add([result(1, T0, true, 1), result(2, T0, true, 1), result(1, T0 + 10 * MIN, true, 1)]);
    clock = T0 + 5 * MIN;
    s.compact(clock);
    s.removeCheck(1);
    expect(s.latest(1)).toBeNull();
    expect(s.series(1, 0, 10)).toEqual([]);
    expect(s.series(2, 0, 10)).toHaveLength(1);
  });

  it('skips results with a bad shape, counts them, and cuts long errors', () => {
    const s = make(':memory:');
    const bad = [
      result(0, T0, true, 1),
      result(-1, T0, true, 1),
      result(1.5, T0, true, 1),
      result(1, Number.NaN, true, 1),
      result(1, T0, true, Number.POSITIVE_INFINITY),
      null as unknown as CheckResult,
      result(1, T0, true, -5, { error: 'x'.repeat(100_000), httpStatus: 1.5, lagMs: Number.NaN }),
    ];
    expect(s.add(bad)).toBe(true);
    expect(s.stats()).toMatchObject({ rejected: 6, rawRows: 1 });
    const got = s.latest(1)!;
    expect(got.responseTime).toBe(0);
    expect(got.error!.length).toBe(MAX_ERROR_CHARS);
    expect(got.httpStatus).toBeUndefined();
    expect(got.lagMs).toBe(0);
    expect(s.add([])).toBe(true);
  });

  it('a full disk (size quota): add answers false without throwing, logs once, and works again after space is freed', () => {
    const dir = dirs.make();
    const errors: unknown[] = [];
    const logger = { error: (o: unknown) => errors.push(o), info: () => {}, warn: () => {}, debug: () => {} } as never;
    const s = make(dir, { maxPageCount: 40, logger, rawRetentionMs: MIN, bucketMs: HOUR });
    const batch = (i: number): CheckResult[] => Array.from({ length: 50 }, (_, k) => result(1 + (k % 5), T0 + i * 50 + k, false, 1, { error: 'e'.repeat(200) }));
    let refused = -1;
    for (let i = 0; i < 2000; i++) {
      if (!s.add(batch(i))) {
        refused = i;
        break;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(s.add(batch(refused))).toBe(false);
    expect(s.stats().writeErrors).toBe(2);
    expect(errors).toHaveLength(1); // the same condition is logged once
    const rowsBefore = s.stats().rawRows;
    s.removeCheck(1);
    s.removeCheck(2);
    expect(s.stats().rawRows).toBeLessThan(rowsBefore);
    expect(s.add([result(9, T0, true, 1)])).toBe(true);
    expect(s.latest(9)).toMatchObject({ checkId: 9, ok: true });
  });

  it('add on a closed store answers false', () => {
    const s = make(':memory:');
    s.close();
    expect(s.add([result(1, T0, true, 1)])).toBe(false);
    expect(s.stats).toBeTypeOf('function');
  });

  it('refuses a file that is not its own, and bad options, with a StorageError that says what to do', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, RESULTS_DB_FILE), 'not a database at all, just some text that is long enough to be read as a header'.repeat(4));
    expect(() => ResultsStore.open(dir)).toThrow(StorageError);
    expect(() => ResultsStore.open(dir)).toThrow(/move it away/);
    const other = dirs.make();
    const db = new Database(join(other, RESULTS_DB_FILE));
    db.exec('CREATE TABLE accounts (id INTEGER)');
    db.close();
    expect(() => ResultsStore.open(other)).toThrow(/not a Peerboard monitoring database.*accounts/);
    const newer = dirs.make();
    const db2 = new Database(join(newer, RESULTS_DB_FILE));
    db2.pragma('application_id = 1346522446'); // "PBMN"
    db2.pragma('user_version = 99');
    db2.close();
    expect(() => ResultsStore.open(newer)).toThrow(/newer Peerboard/);
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(() => ResultsStore.open(':memory:', { rawRetentionMs: bad })).toThrow(/rawRetentionMs/);
  });

  it('two stores cannot share one data directory', () => {
    const dir = dirs.make();
    const s = make(dir);
    s.add([result(1, T0, true, 1)]);
    expect(() => ResultsStore.open(dir)).toThrow(/in use by another Peerboard process/);
  });

  it('startCompaction runs compact from a timer until stopped', async () => {
    const s = make(':memory:', { rawRetentionMs: MIN });
    s.add(Array.from({ length: 30 }, (_, i) => result(1, T0 + i, true, 1)));
    clock = T0 + HOUR;
    const stop = s.startCompaction(100);
    const deadline = Date.now() + 5000;
    while (s.stats().rawRows > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(s.stats()).toMatchObject({ rawRows: 0, buckets: 1 });
  });
});
