// SqliteStore: the Store contract on a real SQLite file, plus what only a durable store can show
// (everything survives close and reopen; the data directory is private and locked while open).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { entries, entry, expectStorageError, snap, storeContract } from './store-contract.js';
import { TmpDirs } from './tmp-dirs.js';

const contractDirs = new TmpDirs();
storeContract('SqliteStore', () => SqliteStore.open(contractDirs.make()), () => contractDirs.cleanup());

describe('SqliteStore on disk', () => {
  const dirs = new TmpDirs();
  afterEach(() => dirs.cleanup());

  it('keeps log, hard state, identity and snapshot across close and reopen', () => {
    const dir = join(dirs.make(), 'nested', 'data');
    const a = SqliteStore.open(dir);
    a.setIdentity({ nodeId: 'n1', clusterId: 'c1' });
    a.setHardState({ term: 7, votedFor: 'n3', commitIndex: 9 });
    a.append(entries(1, 10, 2));
    a.saveSnapshot(snap(6, 2), 2);
    a.append([entry(11, 7, 'after snapshot')]);
    a.close();

    const b = SqliteStore.open(dir);
    expect(b.identity()).toEqual({ nodeId: 'n1', clusterId: 'c1' });
    expect(b.hardState()).toEqual({ term: 7, votedFor: 'n3', commitIndex: 9 });
    expect(b.snapshot()).toEqual(snap(6, 2));
    expect(b.firstIndex()).toBe(5);
    expect(b.lastIndex()).toBe(11);
    expect(b.termAt(6)).toBe(2);
    expect(b.termAt(4)).toBeUndefined();
    expect(b.entries(5, 11)).toEqual([...entries(5, 10, 2), entry(11, 7, 'after snapshot')]);
    b.truncateFrom(9);
    b.close();

    const c = SqliteStore.open(dir);
    expect(c.lastIndex()).toBe(8);
    c.close();
  });

  it('creates a private data directory and one peerboard.db in it', () => {
    const dir = join(dirs.make(), 'fresh');
    const s = SqliteStore.open(dir);
    expect(s.file).toBe(join(dir, 'peerboard.db'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(s.file).isFile()).toBe(true);
    s.close();
  });

  it('refuses a second open of a data directory that is in use', () => {
    const dir = dirs.make();
    const a = SqliteStore.open(dir);
    a.append([entry(1, 1)]);
    expectStorageError(() => SqliteStore.open(dir), /in use by another Peerboard process/);
    expect(a.entries(1, 1)).toEqual([entry(1, 1)]);
    a.close();
    const b = SqliteStore.open(dir);
    expect(b.lastIndex()).toBe(1);
    b.close();
  });
});
