// SqliteStore keeps the log's first and last index in memory (they were two SQL lookups per call):
// the cached values must equal what SQLite holds, after appends, truncations, compactions, snapshot
// installs, refused writes and reopens. A reopened store reads the bounds from the file, so comparing
// with it (and with MemStore, the reference) checks the cache against real SQLite.
import { afterEach, describe, expect, it } from 'vitest';
import { MemStore } from '../../../node-core/src/storage/mem-store.js';
import { SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { entries, entry, snap } from './store-contract.js';
import { TmpDirs } from './tmp-dirs.js';

const dirs = new TmpDirs();
afterEach(() => dirs.cleanup());

/** a small deterministic random source (the sequence is the same on every run) */
function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % n;
  };
}

type Bounds = { first: number; last: number; termLast: number | undefined };
const boundsOf = (s: { firstIndex(): number; lastIndex(): number; termAt(i: number): number | undefined }): Bounds => ({ first: s.firstIndex(), last: s.lastIndex(), termLast: s.termAt(s.lastIndex()) });

describe('SqliteStore log bounds (cached in memory)', () => {
  it('equal the reference store and the file after every operation of a random sequence, reopening now and then', () => {
    const dir = dirs.make();
    let s = SqliteStore.open(dir);
    const ref = new MemStore();
    const next = rng(12);
    let term = 1;
    let reopened = 0;
    for (let step = 0; step < 300; step++) {
      const op = next(10);
      const last = ref.lastIndex();
      if (op < 5) {
        const n = 1 + next(4);
        const batch = entries(last + 1, last + n, term);
        s.append(batch);
        ref.append(batch);
      } else if (op < 7 && last >= ref.firstIndex()) {
        // a follower drops a diverging tail (never the snapshot's own index)
        const floor = Math.max(ref.firstIndex(), (ref.snapshot()?.index ?? 0) + 1);
        if (floor <= last) {
          const from = floor + next(last - floor + 1);
          s.truncateFrom(from);
          ref.truncateFrom(from);
          term++;
        }
      } else if (op < 9 && last > (ref.snapshot()?.index ?? 0)) {
        // compaction of a prefix, keeping a tail
        const base = ref.snapshot()?.index ?? 0;
        const at = base + 1 + next(last - base);
        const sp = snap(at, ref.termAt(at)!);
        const keep = next(3);
        s.saveSnapshot(sp, keep);
        ref.saveSnapshot(sp, keep);
      } else {
        // a snapshot from the master that the log does not contain: the whole log goes
        const at = last + 1 + next(5);
        term++;
        const sp = snap(at, term);
        s.saveSnapshot(sp);
        ref.saveSnapshot(sp);
      }
      expect(boundsOf(s), `step ${step} (op ${op})`).toEqual(boundsOf(ref));
      if (step % 25 === 24) {
        const before = boundsOf(s);
        s.close();
        s = SqliteStore.open(dir);
        reopened++;
        expect(boundsOf(s), `reopened at step ${step}`).toEqual(before);
      }
    }
    expect(reopened).toBe(12);
    // the sequence did reach every kind of state (not only appends)
    expect(ref.snapshot()).not.toBeNull();
    expect(s.entries(s.firstIndex(), s.lastIndex())).toEqual(ref.entries(ref.firstIndex(), ref.lastIndex()));
    s.close();
  });

  it('do not move when SQLite refuses an append (quota full), and follow the appends that work again', () => {
    const dir = dirs.make();
    const s = SqliteStore.open(dir, { maxPageCount: 40 });
    s.append(entries(1, 3, 1));
    let refused = false;
    for (let i = 0; i < 500 && !refused; i++) {
      const at = s.lastIndex() + 1;
      try {
        s.append([entry(at, 1, 'x'.repeat(8 * 1024))]);
      } catch {
        refused = true;
      }
    }
    expect(refused).toBe(true);
    const full = boundsOf(s);
    // a refused batch left nothing behind: the same bounds, and the next append must still continue them
    expect(() => s.append([entry(full.last + 1, 1, 'y'.repeat(64 * 1024))])).toThrow(/disk is full/);
    expect(boundsOf(s)).toEqual(full);
    expect(() => s.append([entry(full.last + 2, 1)])).toThrow(/does not continue the log/);
    // room again after a compaction: appends continue from the cached last index
    s.saveSnapshot(snap(full.last, 1));
    expect(boundsOf(s)).toEqual({ first: full.last + 1, last: full.last, termLast: 1 });
    s.append([entry(full.last + 1, 2)]);
    expect(boundsOf(s)).toEqual({ first: full.last + 1, last: full.last + 1, termLast: 2 });
    s.close();
    const again = SqliteStore.open(dir);
    expect(boundsOf(again)).toEqual({ first: full.last + 1, last: full.last + 1, termLast: 2 });
    again.close();
  });

  it('a closed store still refuses to answer (the cache does not outlive the file)', () => {
    const s = SqliteStore.open(dirs.make());
    s.append(entries(1, 2, 1));
    expect(s.lastIndex()).toBe(2);
    s.close();
    expect(() => s.lastIndex()).toThrow(/closed/);
    expect(() => s.firstIndex()).toThrow(/closed/);
  });
});
