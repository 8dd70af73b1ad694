// The Store contract as one test suite, registered once per implementation (MemStore, SqliteStore):
// both must give the same answers for the log, hard state, identity, snapshots and bad input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry, Snapshot } from '../../../node-core/src/consensus/types.js';
import { StorageError } from '../../../node-core/src/errors.js';
import type { Store } from '../../../node-core/src/storage/store.js';
import { entries, entry, snap } from './fixtures.js';

export { entries, entry, snap };

export function expectStorageError(fn: () => unknown, message: RegExp): StorageError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StorageError);
  const e = caught as StorageError;
  expect(e.code).toBe('STORAGE_ERROR');
  expect(e.message).toMatch(message);
  return e;
}

const bytes = (e: LogEntry): number => Buffer.byteLength(JSON.stringify(e));

export function storeContract(name: string, make: () => Store, cleanup: () => void = () => {}): void {
  describe(`Store contract: ${name}`, () => {
    let s: Store;
    beforeEach(() => {
      s = make();
    });
    afterEach(() => {
      s.close();
      cleanup();
    });

    it('starts empty', () => {
      expect(s.firstIndex()).toBe(1);
      expect(s.lastIndex()).toBe(0);
      expect(s.termAt(0)).toBe(0);
      expect(s.termAt(1)).toBeUndefined();
      expect(s.entries(1, 10)).toEqual([]);
      expect(s.snapshot()).toBeNull();
      expect(s.identity()).toBeNull();
      expect(s.hardState()).toEqual({ term: 0, votedFor: null });
    });

    it('appends and reads back ranges, terms and bounds', () => {
      s.append(entries(1, 3, 1));
      s.append([entry(4, 2), entry(5, 2)]);
      expect(s.firstIndex()).toBe(1);
      expect(s.lastIndex()).toBe(5);
      expect(s.entries(1, 5)).toEqual([...entries(1, 3, 1), entry(4, 2), entry(5, 2)]);
      expect(s.entries(2, 3)).toEqual(entries(2, 3, 1));
      expect(s.entries(4, 100)).toEqual([entry(4, 2), entry(5, 2)]);
      expect(s.entries(4, 3)).toEqual([]);
      expect(s.entries(6, 9)).toEqual([]);
      expect([0, 1, 2, 3, 4, 5, 6].map((i) => s.termAt(i))).toEqual([0, 1, 1, 1, 2, 2, undefined]);
      expect(s.termAt(-1)).toBeUndefined();
      expect(s.termAt(1.5)).toBeUndefined();
    });

    it('refuses an append that does not continue the log, storing nothing of the batch', () => {
      s.append(entries(1, 3, 1));
      expectStorageError(() => s.append([entry(5, 1)]), /does not continue the log: expected index 4, got 5/);
      expectStorageError(() => s.append([entry(3, 1)]), /expected index 4, got 3/);
      expectStorageError(() => s.append([entry(4, 1), entry(6, 1)]), /expected index 5, got 6/);
      expect(s.lastIndex()).toBe(3);
      s.append([]);
      expect(s.lastIndex()).toBe(3);
      s.append([entry(4, 1)]);
      expect(s.lastIndex()).toBe(4);
    });

    it('refuses malformed entries with a clear error', () => {
      const bad: unknown[] = [
        null,
        'x',
        { ...entry(1, 1), term: -1 },
        { ...entry(1, 1), index: 1.5 },
        { ...entry(1, 1), at: '2024' },
        { index: 1, term: 1, at: 1 },
      ];
      for (const b of bad) expectStorageError(() => s.append([b as LogEntry]), /log entry/);
      const cyclic = entry(1, 1) as LogEntry & { self?: unknown };
      cyclic.self = cyclic;
      // a value JSON refuses is the caller's error (BAD_REQUEST), not a storage failure
      expect(() => s.append([cyclic])).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/not serialisable as JSON/) }));
      expectStorageError(() => s.append('nope' as unknown as LogEntry[]), /expects an array/);
      expect(s.lastIndex()).toBe(0);
    });

    it('keeps its own copies: mutating inputs or outputs does not change the store', () => {
      const e = entry(1, 1, 'original');
      s.append([e]);
      (e as { term: number }).term = 9;
      const out = s.entries(1, 1)[0] as LogEntry & { kind: 'board'; cmd: { host: string } };
      out.cmd.host = 'changed';
      expect(s.entries(1, 1)).toEqual([entry(1, 1, 'original')]);
      expect(s.termAt(1)).toBe(1);
      const sn = snap(1, 1);
      s.saveSnapshot(sn);
      sn.board.lastUpdate = 42;
      (s.snapshot() as Snapshot).config.voters.length = 0;
      expect(s.snapshot()).toEqual(snap(1, 1));
    });

    it('stops at maxBytes of JSON but returns at least one entry', () => {
      const log = [entry(1, 1, 'a'), entry(2, 1, 'ünïcødé ✓'), entry(3, 1, 'c'.repeat(300)), entry(4, 1)];
      s.append(log);
      const [b1, b2, b3] = log.map(bytes) as [number, number, number];
      expect(s.entries(1, 4, b1 + b2)).toEqual(log.slice(0, 2));
      expect(s.entries(1, 4, b1 + b2 - 1)).toEqual(log.slice(0, 1));
      expect(s.entries(1, 4, b1 + b2 + b3)).toEqual(log.slice(0, 3));
      expect(s.entries(3, 4, 1)).toEqual([log[2]]);
      expect(s.entries(2, 4, 0)).toEqual([log[1]]);
      expect(s.entries(1, 4, Number.POSITIVE_INFINITY)).toEqual(log);
      expectStorageError(() => s.entries(1, 4, -1), /maxBytes/);
      expectStorageError(() => s.entries(-1, 4), /from must be a non-negative integer/);
    });

    it('truncates a suffix and accepts a new one', () => {
      s.append(entries(1, 5, 1));
      s.truncateFrom(9);
      expect(s.lastIndex()).toBe(5);
      s.truncateFrom(3);
      expect(s.lastIndex()).toBe(2);
      expect(s.termAt(3)).toBeUndefined();
      expect(s.entries(1, 5)).toEqual(entries(1, 2, 1));
      s.append([entry(3, 2)]);
      expect(s.termAt(3)).toBe(2);
      s.truncateFrom(1);
      expect(s.lastIndex()).toBe(0);
      expect(s.firstIndex()).toBe(1);
      expectStorageError(() => s.truncateFrom(0), /cannot truncate from 0/);
    });

    it('stores the hard state and refuses bad values', () => {
      s.setHardState({ term: 3, votedFor: 'n2' });
      expect(s.hardState()).toEqual({ term: 3, votedFor: 'n2' });
      s.setHardState({ term: 4, votedFor: null, commitIndex: 12 });
      expect(s.hardState()).toEqual({ term: 4, votedFor: null, commitIndex: 12 });
      s.setHardState({ term: 4, votedFor: null });
      expect(s.hardState()).toEqual({ term: 4, votedFor: null });
      expectStorageError(() => s.setHardState({ term: -1, votedFor: null }), /term must be/);
      expectStorageError(() => s.setHardState({ term: 5, votedFor: null, commitIndex: -3 }), /commitIndex must be/);
      expectStorageError(() => s.setHardState({ term: 5, votedFor: 7 as unknown as string }), /votedFor/);
      expectStorageError(() => s.setHardState(null as never), /hard state must be an object/);
      expect(s.hardState()).toEqual({ term: 4, votedFor: null });
    });

    it('stores the identity once', () => {
      s.setIdentity({ nodeId: 'n1', clusterId: 'c1' });
      s.setIdentity({ nodeId: 'n1', clusterId: 'c1' });
      expect(s.identity()).toEqual({ nodeId: 'n1', clusterId: 'c1' });
      expectStorageError(() => s.setIdentity({ nodeId: 'n1', clusterId: 'c2' }), /already belongs to node "n1" of cluster "c1"/);
      expectStorageError(() => s.setIdentity({ nodeId: 'n9', clusterId: 'c1' }), /cannot become node "n9"/);
      expectStorageError(() => s.setIdentity({ nodeId: '', clusterId: 'c1' }), /identity.nodeId/);
      expect(s.identity()).toEqual({ nodeId: 'n1', clusterId: 'c1' });
    });

    it('compacts the log up to a snapshot it contains', () => {
      s.append([...entries(1, 4, 1), ...entries(5, 10, 2)]);
      s.saveSnapshot(snap(6, 2));
      expect(s.snapshot()).toEqual(snap(6, 2));
      expect(s.firstIndex()).toBe(7);
      expect(s.lastIndex()).toBe(10);
      expect(s.termAt(6)).toBe(2);
      expect(s.termAt(5)).toBeUndefined();
      expect(s.termAt(0)).toBe(0);
      expect(s.entries(7, 10)).toEqual(entries(7, 10, 2));
      expectStorageError(() => s.entries(5, 10), /compacted: the log starts at 7/);
      expectStorageError(() => s.truncateFrom(6), /in the snapshot/);
      s.truncateFrom(7);
      expect(s.lastIndex()).toBe(6);
      expect(s.firstIndex()).toBe(7);
      expect(s.entries(7, 10)).toEqual([]);
      s.append([entry(7, 3)]);
      expect(s.entries(7, 7)).toEqual([entry(7, 3)]);
    });

    it('keeps keepTail entries before the snapshot for lagging slaves', () => {
      s.append(entries(1, 10, 1));
      s.saveSnapshot(snap(8, 1), 3);
      expect(s.firstIndex()).toBe(6);
      expect(s.lastIndex()).toBe(10);
      expect(s.entries(6, 10)).toEqual(entries(6, 10, 1));
      expect(s.termAt(5)).toBeUndefined();
      expect(s.termAt(6)).toBe(1);
      s.saveSnapshot(snap(9, 1), 100);
      expect(s.firstIndex()).toBe(6);
      s.saveSnapshot(snap(10, 1));
      expect(s.firstIndex()).toBe(11);
      expect(s.lastIndex()).toBe(10);
      expect(s.entries(11, 20)).toEqual([]);
      expectStorageError(() => s.saveSnapshot(snap(11, 1), -1), /keepTail/);
    });

    it('replaces the whole log when installing a snapshot it does not contain', () => {
      s.append(entries(1, 5, 1));
      s.saveSnapshot(snap(20, 4));
      expect(s.firstIndex()).toBe(21);
      expect(s.lastIndex()).toBe(20);
      expect(s.termAt(20)).toBe(4);
      expect(s.termAt(5)).toBeUndefined();
      expectStorageError(() => s.append([entry(6, 1)]), /expected index 21, got 6/);
      s.append([entry(21, 4)]);
      expect(s.entries(21, 21)).toEqual([entry(21, 4)]);
    });

    it('replaces the whole log when the snapshot conflicts with the entry at its index', () => {
      s.append(entries(1, 5, 1));
      s.saveSnapshot(snap(3, 2));
      expect(s.firstIndex()).toBe(4);
      expect(s.lastIndex()).toBe(3);
      expect(s.termAt(3)).toBe(2);
      expect(s.termAt(4)).toBeUndefined();
    });

    it('refuses an older or malformed snapshot', () => {
      s.append(entries(1, 5, 1));
      s.saveSnapshot(snap(4, 1));
      expectStorageError(() => s.saveSnapshot(snap(3, 1)), /older than the stored one at 4/);
      expectStorageError(() => s.saveSnapshot({ ...snap(6, 1), index: -2 }), /snapshot.index/);
      expectStorageError(() => s.saveSnapshot({ ...snap(6, 1), board: undefined } as unknown as Snapshot), /snapshot.board/);
      expect(s.snapshot()).toEqual(snap(4, 1));
      expect(s.entries(5, 5)).toEqual([entry(5, 1)]);
    });

    it('fails clearly once closed', () => {
      s.close();
      expectStorageError(() => s.lastIndex(), /closed/);
      expectStorageError(() => s.append([entry(1, 1)]), /closed/);
      s.close();
    });
  });
}
