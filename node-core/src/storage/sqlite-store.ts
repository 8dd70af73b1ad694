// The durable Store: one SQLite file, peerboard.db, in the node's data directory.
/*
 * Design. WAL journal with synchronous=FULL: every mutating call commits (and fsyncs the WAL) before
 * it returns, so whatever the consensus module was told is stored survives kill -9 and power loss.
 * locking_mode=EXCLUSIVE: the file is locked for as long as the store is open, so two nodes can
 * never share one data directory. The file is marked with PRAGMA application_id (Peerboard's) and
 * PRAGMA user_version (schema version, upgraded by MIGRATIONS). Anything unexpected on open (not
 * SQLite, damaged, another application's database, a newer schema) is a StorageError that says
 * what to do: the store never resets or overwrites a file it does not recognise.
 * Tables: meta(key, value) for identity and hard state (JSON); log(idx, term, at, payload) with
 * payload the entry's JSON; snapshot (one row: idx, term, json).
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { HardState, LogEntry, Snapshot } from '../consensus/types.js';
import { PeerboardError, StorageError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  DEFAULT_HARD_STATE,
  checkRange,
  checkSnapshotOrder,
  checkTruncate,
  encodeAppend,
  encodeHardState,
  encodeIdentity,
  encodeSnapshot,
} from './mem-store.js';
import { checkStoredHardState, checkStoredIdentity, checkStoredSnapshotMeta } from './open-checks.js';
import { StorageFailure, StorageOperationError, failureOf } from './storage-errors.js';
import type { NodeIdentity, Store } from './store.js';

export const DB_FILE = 'peerboard.db';
/** a storage call that takes this long is logged as a warning */
export const SLOW_OP_MS = 100;
/** PRAGMA application_id of a Peerboard database: "PBRD". */
export const APPLICATION_ID = 0x50425244;
/** The schema version this build writes; PRAGMA user_version. */
export const SCHEMA_VERSION = 1;

/** MIGRATIONS[v] upgrades a database from schema version v to v + 1 (run inside a transaction). */
const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, at INTEGER NOT NULL, payload TEXT NOT NULL);
      CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), idx INTEGER NOT NULL, term INTEGER NOT NULL, json TEXT NOT NULL);
    `);
  },
];

const SQLITE_HEADER = 'SQLite format 3\0';

export interface SqliteStoreOptions {
  logger?: Logger;
  /** caps the database at this many pages (PRAGMA max_page_count): a size quota; writes past it fail as disk full */
  maxPageCount?: number;
}

function damaged(file: string, reason: string, cause?: unknown): StorageError {
  return new StorageError(
    `${file} is not a Peerboard database or is damaged (${reason}). Peerboard will not overwrite it: ` +
      `move the file away to start this node empty (it then copies the state from its cluster), or use another --data-dir`,
    { file, reason },
    { cause },
  );
}

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Rejects a non-empty file that does not start with SQLite's header before SQLite touches it. */
function checkHeader(file: string): void {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw damaged(file, 'it is not a regular file');
    size = st.size;
  } catch (err) {
    if (sqliteCode(err) === 'ENOENT') return;
    if (err instanceof StorageError) throw err;
    throw new StorageError(`cannot read ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (size === 0) return; // a file SQLite created but never wrote: nothing to lose
  const buf = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 100) throw damaged(file, `only ${n} bytes, shorter than a SQLite header`);
  if (buf.toString('latin1', 0, 16) !== SQLITE_HEADER) throw damaged(file, 'it does not start with the SQLite header');
}

/** The operations that write: one of them succeeding ends a failing condition. */
const WRITES = new Set(['setIdentity', 'setHardState', 'append', 'truncateFrom', 'saveSnapshot']);

export class SqliteStore implements Store {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #log: Logger | undefined;
  /** the stored snapshot's index and term, mirrored in memory (read by every termAt/lastIndex) */
  #snapMeta: { index: number; term: number } | null;
  /**
   * the log table's lowest and highest idx (null: no rows), mirrored in memory: firstIndex/lastIndex
   * are asked several times per replication round and per append, and two index lookups each time
   * showed in the master's profile. null: not known, read from SQLite at the next use (on open, after a
   * truncate or a compaction: rare). Moved by append once its transaction committed (the rows are
   * contiguous: encodeAppend refuses a gap).
   */
  #bounds: { lo: number | null; hi: number | null } | null = null;
  readonly #s: ReturnType<typeof prepare>;
  /** why the last operation failed, until a write succeeds again (to log each condition once) */
  #failing: StorageFailure | null = null;

  /** Opens (creating when absent) `<dataDir>/peerboard.db`. Throws StorageError on anything unexpected. */
  static open(dataDir: string, opts: SqliteStoreOptions = {}): SqliteStore {
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StorageError(`cannot create data directory ${dataDir}: ${(err as Error).message}`, { dataDir }, { cause: err });
    }
    const file = join(dataDir, DB_FILE);
    checkHeader(file);
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: 100 });
    } catch (err) {
      throw new StorageError(`cannot open ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    try {
      initialise(db, file, opts.logger);
      if (opts.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxPageCount))}`);
      return new SqliteStore(db, file, opts.logger);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Database.Database, file: string, logger: Logger | undefined) {
    this.#db = db;
    this.file = file;
    this.#log = logger;
    this.#s = prepare(db);
    const row = this.#s.snapMeta.get() as { idx: number; term: number } | undefined;
    // refuse bad stored values now, with a message naming them, rather than crash on them later
    checkStoredSnapshotMeta(file, row ?? null);
    checkStoredHardState(file, this.#s.getMeta.get('hardState') as string | undefined);
    checkStoredIdentity(file, this.#s.getMeta.get('identity') as string | undefined);
    this.#snapMeta = row ? { index: row.idx, term: row.term } : null;
  }

  /** Runs one storage operation, turning SQLite failures (disk full, I/O error, closed) into StorageError. */
  #run<T>(op: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      const out = fn();
      if (this.#failing && WRITES.has(op)) {
        this.#log?.info({ op, file: this.file, after: this.#failing }, 'storage writes work again');
        this.#failing = null;
      }
      return out;
    } catch (err) {
      // our own refusals (bad arguments: StorageError; a value JSON refuses: NotSerialisableError) pass as they are
      if (err instanceof PeerboardError) throw err;
      const code = sqliteCode(err);
      const reason = this.#db.open ? failureOf(code) : StorageFailure.Closed;
      const message = reason === StorageFailure.Closed ? 'the store is closed' : (err as Error).message;
      const hint = reason === StorageFailure.DiskFull ? ' (the disk is full or failing: nothing was written; free space and the write can be retried)' : '';
      // logged once per condition (a full disk refuses every write until space returns), then at debug
      if (this.#failing === reason) this.#log?.debug({ op, file: this.file, reason, sqlite: code }, 'storage operation failed again');
      else this.#log?.error({ err, op, file: this.file, reason }, 'storage operation failed');
      this.#failing = reason;
      throw new StorageOperationError(op, this.file, reason, code, `storage ${op} failed on ${this.file}: ${message}${hint}`, err);
    } finally {
      // every call is synchronous and holds the event loop: a slow disk shows here first
      const ms = performance.now() - t0;
      if (ms >= SLOW_OP_MS) this.#log?.warn({ op, ms: Math.round(ms), file: this.file }, 'slow storage operation (the node stood still meanwhile)');
    }
  }

  #meta<T>(key: string): T | undefined {
    const value = this.#s.getMeta.get(key) as string | undefined;
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as T;
    } catch (err) {
      throw damaged(this.file, `meta "${key}" is not JSON`, err);
    }
  }

  identity(): NodeIdentity | null {
    return this.#run('identity', () => this.#meta<NodeIdentity>('identity') ?? null);
  }

  setIdentity(id: NodeIdentity): void {
    this.#run('setIdentity', () => {
      const json = encodeIdentity(id, this.#meta<NodeIdentity>('identity') ?? null);
      this.#s.putMeta.run('identity', json);
    });
  }

  hardState(): HardState {
    return this.#run('hardState', () => this.#meta<HardState>('hardState') ?? { ...DEFAULT_HARD_STATE });
  }

  setHardState(s: HardState): void {
    this.#run('setHardState', () => void this.#s.putMeta.run('hardState', encodeHardState(s)));
  }

  /** the log rows' bounds, from memory; from SQLite when not known (or closed: the read then throws, as before) */
  #logBounds(): { lo: number | null; hi: number | null } {
    if (this.#bounds === null || !this.#db.open) {
      const b = this.#s.bounds.get() as { lo: number | null; hi: number | null };
      this.#bounds = { lo: b.lo, hi: b.hi };
    }
    return this.#bounds;
  }

  firstIndex(): number {
    return this.#run('firstIndex', () => this.#logBounds().lo ?? (this.#snapMeta?.index ?? 0) + 1);
  }

  lastIndex(): number {
    return this.#run('lastIndex', () => Math.max(this.#logBounds().hi ?? 0, this.#snapMeta?.index ?? 0));
  }

  termAt(index: number): number | undefined {
    return this.#run('termAt', () => {
      if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) return undefined;
      if (index === 0) return 0;
      if (this.#snapMeta && index === this.#snapMeta.index) return this.#snapMeta.term;
      return this.#s.termOf.get(index) as number | undefined;
    });
  }

  entries(from: number, to: number, maxBytes?: number): LogEntry[] {
    return this.#run('entries', () => {
      const limit = checkRange(from, to, maxBytes, this.firstIndex());
      const out: LogEntry[] = [];
      let bytes = 0;
      for (const payload of this.#s.range.iterate(from, to) as IterableIterator<string>) {
        const size = Buffer.byteLength(payload);
        if (out.length > 0 && bytes + size > limit) break;
        bytes += size;
        try {
          out.push(JSON.parse(payload) as LogEntry);
        } catch (err) {
          throw damaged(this.file, `log entry ${from + out.length} is not JSON`, err);
        }
      }
      return out;
    });
  }

  append(entries: LogEntry[]): void {
    this.#run('append', () => {
      const encoded = encodeAppend(entries, this.lastIndex());
      if (encoded.length === 0) return;
      this.#tx(() => {
        for (const e of encoded) this.#s.insert.run(e.index, e.term, e.at, e.json);
      });
      // committed: the rows continue the log (encodeAppend checked it against lastIndex(), so the bounds are known)
      const b = this.#logBounds();
      this.#bounds = { lo: b.lo ?? encoded[0]!.index, hi: encoded.at(-1)!.index };
    });
  }

  truncateFrom(from: number): void {
    this.#run('truncateFrom', () => {
      checkTruncate(from, this.#snapMeta?.index ?? 0);
      this.#bounds = null; // read again at the next use, whether the delete worked or not
      this.#s.deleteFrom.run(from);
    });
  }

  snapshot(): Snapshot | null {
    return this.#run('snapshot', () => {
      const json = this.#s.snapJson.get() as string | undefined;
      if (json === undefined) return null;
      try {
        return JSON.parse(json) as Snapshot;
      } catch (err) {
        throw damaged(this.file, 'the snapshot is not JSON', err);
      }
    });
  }

  saveSnapshot(snap: Snapshot, keepTail = 0): void {
    this.#run('saveSnapshot', () => {
      const json = encodeSnapshot(snap);
      checkSnapshotOrder(snap, this.#snapMeta?.index, keepTail);
      const contained = this.termAt(snap.index) === snap.term;
      this.#bounds = null; // read again at the next use, whether the compaction committed or not
      this.#tx(() => {
        if (contained) this.#s.deleteUpTo.run(snap.index - keepTail);
        else this.#s.deleteAll.run();
        this.#s.putSnap.run(snap.index, snap.term, json);
      });
      this.#snapMeta = { index: snap.index, term: snap.term };
    });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #tx(fn: () => void): void {
    this.#db.transaction(fn).immediate();
  }
}

function prepare(db: Database.Database) {
  return {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    putMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    // two index lookups: SQLite optimises a lone min() or max(), not both in one SELECT (a full scan)
    bounds: db.prepare('SELECT (SELECT idx FROM log ORDER BY idx ASC LIMIT 1) AS lo, (SELECT idx FROM log ORDER BY idx DESC LIMIT 1) AS hi'),
    termOf: db.prepare('SELECT term FROM log WHERE idx = ?').pluck(),
    range: db.prepare('SELECT payload FROM log WHERE idx BETWEEN ? AND ? ORDER BY idx').pluck(),
    insert: db.prepare('INSERT INTO log (idx, term, at, payload) VALUES (?, ?, ?, ?)'),
    deleteFrom: db.prepare('DELETE FROM log WHERE idx >= ?'),
    deleteUpTo: db.prepare('DELETE FROM log WHERE idx <= ?'),
    deleteAll: db.prepare('DELETE FROM log'),
    snapMeta: db.prepare('SELECT idx, term FROM snapshot WHERE id = 1'),
    snapJson: db.prepare('SELECT json FROM snapshot WHERE id = 1').pluck(),
    putSnap: db.prepare('INSERT OR REPLACE INTO snapshot (id, idx, term, json) VALUES (1, ?, ?, ?)'),
  };
}

/** Locks the file, checks it is ours, undamaged and at a version we read, then sets durability and migrates. */
function initialise(db: Database.Database, file: string, logger: Logger | undefined): void {
  // Read-only checks first: a file we refuse must be left exactly as it was (WAL mode rewrites the header).
  const version = guardOpen(file, () => {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT'); // takes the exclusive lock now and holds it until close
    const problems = (db.pragma('quick_check(3)', { simple: false }) as Array<{ quick_check: string }>).map((r) => r.quick_check);
    if (problems[0] !== 'ok') {
      const summary = problems.join('; ').replace(/\s+/g, ' ');
      throw damaged(file, `integrity check: ${summary.length > 200 ? `${summary.slice(0, 200)}...` : summary}`);
    }
    return checkMark(db, file);
  });
  guardOpen(file, () => {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StorageError(`${file}: SQLite refused WAL journal mode (got ${String(mode)})`, { file });
    db.pragma('synchronous = FULL');
  });
  for (let v = version; v < SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v];
    if (!step) throw new StorageError(`no migration from schema version ${v}`, { file, version: v });
    db.transaction(() => {
      step(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
    logger?.info({ file, from: v, to: v + 1 }, 'storage schema migrated');
  }
}

/** Maps SQLite failures while opening to StorageErrors that say what to do. */
function guardOpen<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StorageError) throw err;
    const code = sqliteCode(err);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new StorageError(
        `${file} is in use by another Peerboard process: stop that node, or give this one another --data-dir`,
        { file },
        { cause: err },
      );
    }
    if (code?.startsWith('SQLITE_NOTADB') || code?.startsWith('SQLITE_CORRUPT')) throw damaged(file, (err as Error).message, err);
    throw new StorageError(`cannot open ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/** Checks application_id and user_version; returns the schema version to migrate from (0 = new file). */
function checkMark(db: Database.Database, file: string): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (appId !== APPLICATION_ID) {
    if (appId !== 0) {
      throw new StorageError(
        `${file} belongs to another application (SQLite application_id 0x${(appId >>> 0).toString(16)}), not Peerboard: ` +
          `use another --data-dir`,
        { file, applicationId: appId },
      );
    }
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (tables.length > 0) {
      throw new StorageError(
        `${file} is a SQLite database of another application (tables: ${tables.slice(0, 5).join(', ')}), not Peerboard: ` +
          `use another --data-dir`,
        { file, tables },
      );
    }
    return 0;
  }
  if (version > SCHEMA_VERSION) {
    throw new StorageError(
      `${file} was written by a newer Peerboard (schema version ${version}; this version reads up to ${SCHEMA_VERSION}): ` +
        `upgrade Peerboard, or use another --data-dir`,
      { file, version, supported: SCHEMA_VERSION },
    );
  }
  return version;
}
