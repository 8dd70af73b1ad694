// Opening a data directory that is not what it should be: another cluster's, not SQLite, damaged,
// another application's database, a newer schema. Each is a clear StorageError and the file is untouched.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../node-core/src/storage/open-store.js';
import { APPLICATION_ID, SCHEMA_VERSION, SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { entries, expectStorageError } from './store-contract.js';
import { TmpDirs } from './tmp-dirs.js';

const DAMAGED = /is not a Peerboard database or is damaged .*will not overwrite it: move the file away .* or use another --data-dir/;

describe('opening a data directory', () => {
  const dirs = new TmpDirs();
  afterEach(() => dirs.cleanup());

  /** A data directory holding a closed store with `n` entries; returns the db file. */
  function filledDir(n: number): { dir: string; file: string } {
    const dir = dirs.make();
    const s = SqliteStore.open(dir);
    s.setIdentity({ nodeId: 'n1', clusterId: 'alpha' });
    for (let i = 1; i <= n; i += 100) s.append(entries(i, Math.min(n, i + 99), 1));
    s.close();
    return { dir, file: join(dir, 'peerboard.db') };
  }

  /** Expects opening `dir` to fail with `message` and the file to be byte-for-byte unchanged. */
  function expectRefused(dir: string, message: RegExp): void {
    const file = join(dir, 'peerboard.db');
    const before = readFileSync(file);
    const err = expectStorageError(() => SqliteStore.open(dir), message);
    expect(err.message).toContain(file);
    expect(readFileSync(file).equals(before)).toBe(true);
  }

  it('accepts its own cluster and a directory without identity; refuses another cluster', () => {
    const { dir } = filledDir(3);
    const s = openStore(dir, { clusterId: 'alpha' });
    expect(s.lastIndex()).toBe(3);
    s.close();
    const err = expectStorageError(
      () => openStore(dir, { clusterId: 'beta' }),
      /^data directory .* belongs to cluster "alpha", not "beta": use another --data-dir or the same cluster id$/,
    );
    expect(err.message).toContain(dir);
    expect(err.details).toMatchObject({ stored: 'alpha', expected: 'beta' });
    // the refused open released the file: the right cluster can still open it
    const again = openStore(dir, { clusterId: 'alpha' });
    again.close();
    const empty = openStore(dirs.make(), { clusterId: 'beta' });
    expect(empty.identity()).toBeNull();
    empty.close();
  });

  it('refuses a file of random bytes', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'peerboard.db'), randomBytes(4096));
    expectRefused(dir, DAMAGED);
  });

  it('refuses a file shorter than a SQLite header, and a text file', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'peerboard.db'), 'SQLite');
    expectRefused(dir, /only 6 bytes/);
    writeFileSync(join(dir, 'peerboard.db'), 'name,host\n'.repeat(50));
    expectRefused(dir, /does not start with the SQLite header/);
  });

  it('refuses a truncated database', () => {
    const { dir, file } = filledDir(2000);
    const size = readFileSync(file).length;
    expect(size).toBeGreaterThan(64 * 1024);
    truncateSync(file, Math.floor(size / 2));
    expectRefused(dir, DAMAGED);
  });

  it('refuses a database whose pages were overwritten', () => {
    const { dir, file } = filledDir(2000);
    const buf = readFileSync(file);
    randomBytes(8192).copy(buf, 4096 * 3);
    writeFileSync(file, buf);
    expectRefused(dir, DAMAGED);
  });

  it("refuses another application's SQLite database", () => {
    const dir = dirs.make();
    const other = new Database(join(dir, 'peerboard.db'));
    other.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES (\'bob\')');
    other.pragma('application_id = 305419896');
    other.close();
    expectRefused(dir, /belongs to another application \(SQLite application_id 0x12345678\), not Peerboard: use another --data-dir/);

    const dir2 = dirs.make();
    const unmarked = new Database(join(dir2, 'peerboard.db'));
    unmarked.exec('CREATE TABLE log (x TEXT)');
    unmarked.close();
    expectRefused(dir2, /SQLite database of another application \(tables: log\)/);
  });

  it('adopts an empty SQLite file or database and marks it as Peerboard schema', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'peerboard.db'), '');
    SqliteStore.open(dir).close();
    const dir2 = dirs.make();
    new Database(join(dir2, 'peerboard.db')).pragma('user_version = 0');
    const s = SqliteStore.open(dir2);
    s.append(entries(1, 2, 1));
    s.close();
    const raw = new Database(join(dir2, 'peerboard.db'), { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.prepare('SELECT count(*) FROM log').pluck().get()).toBe(2);
    raw.close();
  });

  it('refuses a database written by a newer schema version', () => {
    const { dir, file } = filledDir(5);
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expectRefused(
      dir,
      new RegExp(`written by a newer Peerboard \\(schema version ${SCHEMA_VERSION + 1}; this version reads up to ${SCHEMA_VERSION}\\): upgrade Peerboard`),
    );
  });

  it('refuses a data directory path that is a file, and a peerboard.db that is a directory', () => {
    const base = dirs.make();
    writeFileSync(join(base, 'file'), 'x');
    expectStorageError(() => SqliteStore.open(join(base, 'file')), /cannot create data directory/);
    const dir = dirs.make();
    mkdirSync(join(dir, 'peerboard.db'));
    expectStorageError(() => SqliteStore.open(dir), /not a regular file/);
  });
});
