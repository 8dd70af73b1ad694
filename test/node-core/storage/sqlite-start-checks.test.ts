// Issue 9, start-up checks: a data directory whose hard state, identity or snapshot row holds a bad
// value (written here with better-sqlite3 directly) is refused when the store opens, with a
// StorageError naming the file and the value, and the file is left as it was.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TERM } from '../../../node-core/src/consensus/limits.js';
import { SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { expectStorageError, snap } from './store-contract.js';
import { TmpDirs } from './tmp-dirs.js';

describe('refusing bad stored values at open', () => {
  const dirs = new TmpDirs();
  afterEach(() => dirs.cleanup());

  /** A closed store with a good identity and hard state, then `key` overwritten with `raw`. */
  function corrupted(key: string, raw: string): string {
    const dir = dirs.make();
    const s = SqliteStore.open(dir);
    s.setIdentity({ nodeId: 'n1', clusterId: 'alpha' });
    s.setHardState({ term: 3, votedFor: 'n1', commitIndex: 0 });
    s.close();
    const db = new Database(join(dir, 'peerboard.db'));
    db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(raw, key);
    db.close();
    return dir;
  }

  const BAD_HARD_STATES: Array<[string, RegExp]> = [
    ['{"term":-5,"votedFor":null}', /term -5 is not an integer/],
    ['{"term":1.5,"votedFor":null}', /term 1\.5 is not an integer/],
    ['{"term":"7","votedFor":null}', /term "7" is not an integer/],
    ['{"votedFor":null}', /term undefined is not an integer/],
    [`{"term":${MAX_TERM + 1},"votedFor":null}`, new RegExp(`term ${MAX_TERM + 1} is not an integer from 0 to ${MAX_TERM}`)],
    ['{"term":9007199254740991,"votedFor":null}', /term 9007199254740991/],
    ['{"term":3,"votedFor":null,"commitIndex":-1}', /commitIndex -1 is not a non-negative integer/],
    ['{"term":3,"votedFor":null,"commitIndex":2.5}', /commitIndex 2\.5/],
    ['{"term":3,"votedFor":7}', /votedFor 7 is neither null nor a node id/],
    ['{"term":3,"votedFor":{"id":"n2"}}', /votedFor \{"id":"n2"\}/],
    ['{"term":3}', /votedFor undefined/],
    ['[3,null]', /not an object/],
    ['not json{', /not JSON/],
  ];

  it.each(BAD_HARD_STATES)('refuses the hard state %s', (raw, message) => {
    const dir = corrupted('hardState', raw);
    const file = join(dir, 'peerboard.db');
    const before = readFileSync(file);
    const err = expectStorageError(() => SqliteStore.open(dir), message);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/stored hard state is invalid/);
    expect(err.details).toMatchObject({ file, what: 'hard state' });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it.each([
    ['{"nodeId":"n1"}', /clusterId undefined/],
    ['{"nodeId":"","clusterId":"alpha"}', /nodeId "" is not a non-empty string/],
    ['{"nodeId":5,"clusterId":"alpha"}', /nodeId 5/],
    ['"n1"', /not an object/],
    ['{{', /not JSON/],
  ])('refuses the identity %s', (raw, message) => {
    const dir = corrupted('identity', raw);
    const err = expectStorageError(() => SqliteStore.open(dir), message);
    expect(err.message).toContain(join(dir, 'peerboard.db'));
    expect(err.message).toMatch(/stored identity is invalid/);
  });

  it('refuses a snapshot row with a negative term', () => {
    const dir = dirs.make();
    const s = SqliteStore.open(dir);
    s.saveSnapshot(snap(5, 2));
    s.close();
    const db = new Database(join(dir, 'peerboard.db'));
    db.prepare('UPDATE snapshot SET term = -2').run();
    db.close();
    expectStorageError(() => SqliteStore.open(dir), /stored snapshot is invalid \(term -2/);
  });

  it('opens good values, and refuses to write a term beyond MAX_TERM', () => {
    const dir = corrupted('hardState', `{"term":${MAX_TERM},"votedFor":null,"commitIndex":4}`);
    const s = SqliteStore.open(dir);
    expect(s.hardState()).toEqual({ term: MAX_TERM, votedFor: null, commitIndex: 4 });
    expectStorageError(() => s.setHardState({ term: MAX_TERM + 1, votedFor: null }), /term must be at most/);
    expect(s.hardState().term).toBe(MAX_TERM);
    s.close();
  });
});
