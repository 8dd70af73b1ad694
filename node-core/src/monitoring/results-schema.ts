// monitoring.db's schema, its checks on open (ours? which version?) and the prepared statements
// ResultsStore runs; kept apart so results-store.ts holds only the store's behaviour.
import type Database from 'better-sqlite3';
import { StorageError } from '../errors.js';

/** PRAGMA application_id of a Peerboard monitoring database: "PBMN". */
export const RESULTS_APPLICATION_ID = 0x50424d4e;
export const RESULTS_SCHEMA_VERSION = 1;

/** RESULTS_MIGRATIONS[v] upgrades from schema version v to v + 1 (inside a transaction). */
const RESULTS_MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE raw (
        check_id INTEGER NOT NULL,
        at INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        rt_us INTEGER NOT NULL,
        status INTEGER NOT NULL,
        error TEXT,
        http_status INTEGER,
        cert_expires_at INTEGER,
        lag_ms INTEGER NOT NULL,
        PRIMARY KEY (check_id, at)
      ) WITHOUT ROWID;
      CREATE TABLE bucket (
        check_id INTEGER NOT NULL,
        start INTEGER NOT NULL,
        n INTEGER NOT NULL,
        up INTEGER NOT NULL,
        rt_sum_us INTEGER NOT NULL,
        rt_min_us INTEGER NOT NULL,
        rt_max_us INTEGER NOT NULL,
        PRIMARY KEY (check_id, start)
      ) WITHOUT ROWID;
    `);
  },
];

function notOurs(file: string, why: string, cause?: unknown): StorageError {
  return new StorageError(
    `${file} is not a Peerboard monitoring database or is damaged (${why}). It holds only this node's probe results: ` +
      `move it away (or delete it) and restart; the node starts a fresh one`,
    { file, reason: why },
    { cause },
  );
}

/** Checks the file is ours and readable, sets WAL and synchronous=NORMAL, and migrates to RESULTS_SCHEMA_VERSION. */
export function initialiseResultsDb(db: Database.Database, file: string, memory: boolean): void {
  let version: number;
  try {
    if (!memory) {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    }
    const appId = db.pragma('application_id', { simple: true }) as number;
    version = db.pragma('user_version', { simple: true }) as number;
    if (appId !== RESULTS_APPLICATION_ID) {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      if (appId !== 0 || tables.length > 0) throw notOurs(file, `application_id 0x${(appId >>> 0).toString(16)}, tables: ${tables.slice(0, 5).join(', ') || 'none'}`);
      version = 0;
    }
    if (version > RESULTS_SCHEMA_VERSION) {
      throw new StorageError(
        `${file} was written by a newer Peerboard (monitoring schema ${version}; this version reads up to ${RESULTS_SCHEMA_VERSION}): upgrade Peerboard, or move the file away`,
        { file, version },
      );
    }
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StorageError(`${file}: SQLite refused WAL journal mode (got ${String(mode)})`, { file });
    }
    db.pragma('synchronous = NORMAL');
    // the hot pages are each check's newest leaf: 16 MiB holds them for ~4,000 checks
    db.pragma('cache_size = -16384');
  } catch (err) {
    if (err instanceof StorageError) throw err;
    const code = String((err as { code?: unknown }).code ?? '');
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new StorageError(`${file} is in use by another Peerboard process: stop that node, or give this one another --data-dir`, { file }, { cause: err });
    }
    throw notOurs(file, (err as Error).message, err);
  }
  for (let v = version; v < RESULTS_SCHEMA_VERSION; v++) {
    const step = RESULTS_MIGRATIONS[v];
    if (!step) throw new StorageError(`no monitoring schema migration from version ${v}`, { file, version: v });
    db.transaction(() => {
      step(db);
      db.pragma(`application_id = ${RESULTS_APPLICATION_ID}`);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

type StatementName =
  | 'insertRaw' | 'latest' | 'countRaw' | 'countBuckets' | 'rawPoints' | 'buckets' | 'uptimeRaw' | 'uptimeBuckets'
  | 'nextRawCheck' | 'nextBucketCheck' | 'oldRaw' | 'deleteRawUpTo' | 'upsertBucket' | 'dropBuckets' | 'removeRaw' | 'removeBuckets' | 'counts';
export type ResultsStatements = Record<StatementName, Database.Statement>;

export function prepareResults(db: Database.Database): ResultsStatements {
  return {
    insertRaw: db.prepare(
      'INSERT OR REPLACE INTO raw (check_id, at, ok, rt_us, status, error, http_status, cert_expires_at, lag_ms) ' +
        'VALUES (@check_id, @at, @ok, @rt_us, @status, @error, @http_status, @cert_expires_at, @lag_ms)',
    ),
    latest: db.prepare('SELECT * FROM raw WHERE check_id = ? ORDER BY at DESC LIMIT 1'),
    countRaw: db.prepare('SELECT count(*) FROM raw WHERE check_id = ? AND at >= ?').pluck(),
    countBuckets: db.prepare('SELECT count(*) FROM bucket WHERE check_id = ? AND start > ?').pluck(),
    rawPoints: db.prepare('SELECT at, ok, rt_us FROM raw WHERE check_id = ? AND at >= ? ORDER BY at'),
    buckets: db.prepare('SELECT * FROM bucket WHERE check_id = ? AND start > ? ORDER BY start'),
    uptimeRaw: db.prepare('SELECT count(*) AS n, sum(ok) AS up FROM raw WHERE check_id = ? AND at >= ?'),
    uptimeBuckets: db.prepare('SELECT sum(n) AS n, sum(up) AS up FROM bucket WHERE check_id = ? AND start > ?'),
    // compaction walks the checks in id order: each step is one index seek
    nextRawCheck: db.prepare('SELECT check_id FROM raw WHERE check_id > ? ORDER BY check_id LIMIT 1').pluck(),
    nextBucketCheck: db.prepare('SELECT check_id FROM bucket WHERE check_id > ? ORDER BY check_id LIMIT 1').pluck(),
    oldRaw: db.prepare('SELECT at, ok, rt_us FROM raw WHERE check_id = ? AND at < ? ORDER BY at LIMIT ?'),
    deleteRawUpTo: db.prepare('DELETE FROM raw WHERE check_id = ? AND at <= ?'),
    upsertBucket: db.prepare(
      'INSERT INTO bucket (check_id, start, n, up, rt_sum_us, rt_min_us, rt_max_us) ' +
        'VALUES (@check_id, @start, @n, @up, @rt_sum_us, @rt_min_us, @rt_max_us) ' +
        'ON CONFLICT (check_id, start) DO UPDATE SET n = n + excluded.n, up = up + excluded.up, rt_sum_us = rt_sum_us + excluded.rt_sum_us, ' +
        'rt_min_us = min(rt_min_us, excluded.rt_min_us), rt_max_us = max(rt_max_us, excluded.rt_max_us)',
    ),
    dropBuckets: db.prepare('DELETE FROM bucket WHERE check_id = ? AND start IN (SELECT start FROM bucket WHERE check_id = ? AND start < ? ORDER BY start LIMIT ?)'),
    removeRaw: db.prepare('DELETE FROM raw WHERE check_id = ?'),
    removeBuckets: db.prepare('DELETE FROM bucket WHERE check_id = ?'),
    counts: db.prepare('SELECT (SELECT count(*) FROM raw) AS raw, (SELECT count(*) FROM bucket) AS buckets'),
  };
}
