// This node's own probe results (issue 12), in <dataDir>/monitoring.db: raw rows for rawRetention,
// then folded into fixed buckets (avg/min/max response time, up and total counts) kept for bucketRetention.
/*
 * Design. Results are expendable (the master keeps the verdicts), so the file runs WAL with
 * synchronous=NORMAL: a power cut may lose the last moments of results, never the file. add() never
 * throws for a disk failure: it logs the condition once, counts it and answers false.
 * Tables, both WITHOUT ROWID and clustered by check: raw(check_id, at, ok, rt_us, status, error,
 * http_status, cert_expires_at, lag_ms) keyed (check_id, at) (a second result of one check at the
 * same ms replaces the first), and bucket(check_id, start, n, up, rt_sum_us, rt_min_us, rt_max_us)
 * keyed (check_id, start). One check's rows are neighbours on disk: series/uptime are one range
 * read, an insert dirties one page per check, and compaction folds and deletes a check's old rows
 * together. No other index. Response times are integer microseconds (3-4 bytes instead of 8).
 * compact() folds at most `maxRows` raw rows and drops at most `maxRows` expired buckets per call,
 * in one transaction, walking the checks from where it stopped, so a call stays short.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CheckResult } from './types.js';
import { type BucketRow, type RawRow, type SeriesPoint, decode, encode, merge, mergePairs, toMs } from './results-rows.js';
import { RESULTS_SCHEMA_VERSION, initialiseResultsDb, prepareResults, type ResultsStatements } from './results-schema.js';

export const RESULTS_DB_FILE = 'monitoring.db';
export { MAX_ERROR_CHARS, type SeriesPoint } from './results-rows.js';
/** series() never returns more points than this, whatever it is asked */
export const MAX_SERIES_POINTS = 10_000;
/** compact() folds/drops at most this many rows per call by default */
export const COMPACT_BATCH_ROWS = 10_000;
/** startCompaction(): the pause between two calls while there is more to do (the event loop breathes) */
const COMPACT_AGAIN_MS = 200;

export interface ResultsStoreOptions {
  /** raw results are kept this long, then folded into buckets (default 48 h) */
  rawRetentionMs?: number;
  /** width of a downsampled bucket (default 5 min) */
  bucketMs?: number;
  /** buckets are kept this long (default 30 days) */
  bucketRetentionMs?: number;
  /** the wall clock (ms since the epoch) */
  now?: () => number;
  /** caps the file at this many pages (PRAGMA max_page_count): a size quota; adds past it fail (answer false) */
  maxPageCount?: number;
  logger?: Logger;
}

export interface CompactOutcome {
  /** raw rows folded into buckets */
  folded: number;
  /** expired buckets dropped */
  dropped: number;
  /** a limit was reached: call again */
  more: boolean;
}

const HOUR = 3_600_000;
const DEFAULTS = { rawRetentionMs: 48 * HOUR, bucketMs: 5 * 60_000, bucketRetentionMs: 30 * 24 * HOUR };

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 1) throw new StorageError(`results store: ${name} must be a positive number of ms, got ${value}`, { [name]: value });
  return Math.floor(value);
}

export class ResultsStore {
  readonly file: string;
  readonly rawRetentionMs: number;
  readonly bucketMs: number;
  readonly bucketRetentionMs: number;
  readonly #db: Database.Database;
  readonly #s: ResultsStatements;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  /** the failing condition's message, until a write succeeds (so each is logged once) */
  #failing: string | null = null;
  #writeErrors = 0;
  #rejected = 0;
  #timer: NodeJS.Timeout | undefined;
  /** the check id compaction stopped after (0: start of a pass) */
  #cursor = 0;

  /** Opens (creating when absent) `<dataDir>/monitoring.db`, or an in-memory store for ':memory:'. */
  static open(dataDirOrMemory: string, opts: ResultsStoreOptions = {}): ResultsStore {
    const memory = dataDirOrMemory === ':memory:';
    let file = ':memory:';
    if (!memory) {
      try {
        mkdirSync(dataDirOrMemory, { recursive: true, mode: 0o700 });
      } catch (err) {
        throw new StorageError(`cannot create data directory ${dataDirOrMemory}: ${(err as Error).message}`, { dataDir: dataDirOrMemory }, { cause: err });
      }
      file = join(dataDirOrMemory, RESULTS_DB_FILE);
    }
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: 100 });
    } catch (err) {
      throw new StorageError(`cannot open ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    try {
      initialiseResultsDb(db, file, memory);
      if (opts.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxPageCount) || 1)}`);
      return new ResultsStore(db, file, opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Database.Database, file: string, opts: ResultsStoreOptions) {
    this.#db = db;
    this.file = file;
    this.rawRetentionMs = positive(opts.rawRetentionMs, DEFAULTS.rawRetentionMs, 'rawRetentionMs');
    this.bucketMs = positive(opts.bucketMs, DEFAULTS.bucketMs, 'bucketMs');
    this.bucketRetentionMs = positive(opts.bucketRetentionMs, DEFAULTS.bucketRetentionMs, 'bucketRetentionMs');
    this.#now = opts.now ?? Date.now;
    this.#log = opts.logger;
    this.#s = prepareResults(db);
  }

  /**
   * Stores results in one transaction. A result with a bad shape (checkId not a positive integer, a
   * time or response time not finite) is skipped and counted. Answers false, without throwing, when
   * the disk refused the write (logged once per condition; stats().writeErrors counts them).
   */
  add(results: readonly CheckResult[]): boolean {
    try {
      this.#db.transaction(() => {
        for (const r of results) {
          const row = encode(r);
          if (row) this.#s.insertRaw.run(row);
          else this.#rejected++;
        }
      }).immediate();
      if (this.#failing) {
        this.#log?.info({ file: this.file, after: this.#failing }, 'monitoring results are written again');
        this.#failing = null;
      }
      return true;
    } catch (err) {
      this.#writeErrors++;
      const message = this.#db.open ? (err as Error).message : 'the results store is closed';
      if (this.#failing !== message) this.#log?.error({ err, file: this.file, results: results.length }, 'monitoring results not stored');
      this.#failing = message;
      return false;
    }
  }

  /** The newest raw result of a check, or null (none, or all of them folded into buckets). */
  latest(checkId: number): CheckResult | null {
    const row = this.#s.latest.get(checkId) as RawRow | undefined;
    return row ? decode(row) : null;
  }

  /**
   * Response-time points since `sinceMs`, oldest first: buckets for what is already folded, raw
   * results after that. When there are more than maxPoints (1..MAX_SERIES_POINTS), neighbours are
   * merged into equal time slots so that at most maxPoints remain.
   */
  series(checkId: number, sinceMs: number, maxPoints = 500): SeriesPoint[] {
    const since = Number.isFinite(sinceMs) ? Math.floor(sinceMs) : 0;
    const max = Number.isFinite(maxPoints) ? Math.min(MAX_SERIES_POINTS, Math.max(1, Math.floor(maxPoints))) : 500;
    const now = this.#now();
    const count = (this.#s.countRaw.get(checkId, since) as number) + (this.#s.countBuckets.get(checkId, since - this.bucketMs) as number);
    if (count === 0) return [];
    const span = Math.max(1, now - since);
    // merge into slots of `width` ms when there are too many points; width 0: every point as it is
    const width = count > max ? Math.ceil(span / max) + 1 : 0;
    const points: SeriesPoint[] = [];
    const push = (p: SeriesPoint): void => {
      const last = points[points.length - 1];
      if (width > 0 && last && Math.floor((p.at - since) / width) === Math.floor((last.at - since) / width)) merge(last, p);
      else points.push(p);
    };
    for (const b of this.#s.buckets.iterate(checkId, since - this.bucketMs) as IterableIterator<BucketRow>) {
      push({ at: b.start, responseTime: toMs(b.rt_sum_us / b.n), ok: b.up === b.n, min: toMs(b.rt_min_us), max: toMs(b.rt_max_us), up: b.up, total: b.n });
    }
    for (const r of this.#s.rawPoints.iterate(checkId, since) as IterableIterator<{ at: number; ok: number; rt_us: number }>) {
      const rt = toMs(r.rt_us);
      push({ at: r.at, responseTime: rt, ok: r.ok === 1, min: rt, max: rt, up: r.ok, total: 1 });
    }
    // points outside [since, now] (clock skew) can leave a few slots too many: halve until it fits
    let out = points;
    while (out.length > max) out = mergePairs(out);
    return out;
  }

  /** The fraction of up results since `sinceMs` (buckets overlapping the window count whole), or null without results. */
  uptime(checkId: number, sinceMs: number): number | null {
    const since = Number.isFinite(sinceMs) ? Math.floor(sinceMs) : 0;
    const raw = this.#s.uptimeRaw.get(checkId, since) as { n: number; up: number | null };
    const bkt = this.#s.uptimeBuckets.get(checkId, since - this.bucketMs) as { n: number | null; up: number | null };
    const total = raw.n + (bkt.n ?? 0);
    return total === 0 ? null : ((raw.up ?? 0) + (bkt.up ?? 0)) / total;
  }

  /**
   * Folds up to maxRows raw rows older than rawRetention into buckets and drops up to maxRows buckets
   * older than bucketRetention, in one transaction. It walks the checks in id order from where the
   * last call stopped (visiting at most maxRows checks), so each check's rows are folded together
   * (neighbours on disk). `more` says a limit was hit: call again.
   */
  compact(now: number = this.#now(), maxRows = COMPACT_BATCH_ROWS): CompactOutcome {
    const limit = Number.isFinite(maxRows) ? Math.min(1_000_000, Math.max(1, Math.floor(maxRows))) : COMPACT_BATCH_ROWS;
    const rawCutoff = now - this.rawRetentionMs;
    const bucketCutoff = now - this.bucketRetentionMs;
    let folded = 0;
    let dropped = 0;
    let more = false;
    try {
      this.#db.transaction(() => {
        let id = this.#cursor;
        for (let visited = 0; ; visited++) {
          if (visited >= limit) {
            more = true;
            break;
          }
          const a = this.#s.nextRawCheck.get(id) as number | undefined;
          const b = this.#s.nextBucketCheck.get(id) as number | undefined;
          const next = a === undefined ? b : b === undefined ? a : Math.min(a, b);
          if (next === undefined) {
            id = 0; // a whole pass is done: the next call starts over
            break;
          }
          const budget = limit - folded;
          const n = this.#fold(next, rawCutoff, bucketCutoff, budget);
          folded += n;
          const d = this.#s.dropBuckets.run(next, next, bucketCutoff, limit - dropped).changes;
          dropped += d;
          if (n >= budget || dropped >= limit) {
            id = next - 1; // this check may have more: start the next call on it again
            more = true;
            break;
          }
          id = next;
        }
        this.#cursor = id;
      }).immediate();
    } catch (err) {
      this.#writeErrors++;
      this.#log?.error({ err, file: this.file }, 'monitoring results compaction failed');
      return { folded: 0, dropped: 0, more: false };
    }
    return { folded, dropped, more };
  }

  /** Folds up to `budget` of one check's raw rows older than rawCutoff into its buckets; returns how many. */
  #fold(checkId: number, rawCutoff: number, bucketCutoff: number, budget: number): number {
    const rows = this.#s.oldRaw.all(checkId, rawCutoff, budget) as Array<{ at: number; ok: number; rt_us: number }>;
    if (rows.length === 0) return 0;
    const acc = new Map<number, BucketRow>();
    for (const r of rows) {
      const start = Math.floor(r.at / this.bucketMs) * this.bucketMs;
      const b = acc.get(start);
      if (b) {
        b.n++;
        b.up += r.ok;
        b.rt_sum_us += r.rt_us;
        b.rt_min_us = Math.min(b.rt_min_us, r.rt_us);
        b.rt_max_us = Math.max(b.rt_max_us, r.rt_us);
      } else acc.set(start, { check_id: checkId, start, n: 1, up: r.ok, rt_sum_us: r.rt_us, rt_min_us: r.rt_us, rt_max_us: r.rt_us });
    }
    // a bucket already past its own retention is not written at all
    for (const b of acc.values()) if (b.start >= bucketCutoff) this.#s.upsertBucket.run(b);
    this.#s.deleteRawUpTo.run(checkId, rows[rows.length - 1]!.at);
    return rows.length;
  }

  /**
   * Runs compact() every everyMs (default 60 s), again soon while it reports more; returns a stop
   * function. The timer does not keep the process alive.
   */
  startCompaction(everyMs = 60_000): () => void {
    this.stopCompaction();
    const period = Number.isFinite(everyMs) ? Math.max(100, everyMs) : 60_000;
    const tick = (): void => {
      if (!this.#db.open) return;
      const out = this.compact();
      this.#timer = setTimeout(tick, out.more ? COMPACT_AGAIN_MS : period);
      this.#timer.unref();
    };
    this.#timer = setTimeout(tick, period);
    this.#timer.unref();
    return () => this.stopCompaction();
  }

  stopCompaction(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets every result of a check (it was removed from the board). */
  removeCheck(checkId: number): void {
    try {
      this.#db.transaction(() => {
        this.#s.removeRaw.run(checkId);
        this.#s.removeBuckets.run(checkId);
      }).immediate();
    } catch (err) {
      this.#writeErrors++;
      this.#log?.error({ err, file: this.file, checkId }, 'monitoring results of a removed check not deleted');
    }
  }

  stats(): { writeErrors: number; rejected: number; rawRows: number; buckets: number; schemaVersion: number } {
    const counts = this.#s.counts.get() as { raw: number; buckets: number };
    return { writeErrors: this.#writeErrors, rejected: this.#rejected, rawRows: counts.raw, buckets: counts.buckets, schemaVersion: RESULTS_SCHEMA_VERSION };
  }

  close(): void {
    this.stopCompaction();
    if (this.#db.open) this.#db.close();
  }
}
