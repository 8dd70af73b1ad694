// Issue 9, disk full: every write SQLite refuses for lack of space is a typed StorageError
// (STORAGE_ERROR, diskFull, the SQLite error as cause), nothing half-written stays, and writes work
// again when space returns. A value JSON refuses is BAD_REQUEST, never reported as a disk failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry, Snapshot } from '../../../node-core/src/consensus/types.js';
import { ErrorCode, PeerboardError, StorageError } from '../../../node-core/src/errors.js';
import { NotSerialisableError, StorageOperationError } from '../../../node-core/src/storage/storage-errors.js';
import { SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { MemStore } from '../../../node-core/src/storage/mem-store.js';
import { entry, snap } from './store-contract.js';
import { TmpDirs } from './tmp-dirs.js';

/** An entry with `kb` KiB of comment, so a few fill a small disk. */
function big(index: number, kb: number): LogEntry {
  return entry(index, 1, 'x'.repeat(kb * 1024));
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function expectDiskFull(err: unknown, op: string): StorageOperationError {
  expect(err, op).toBeInstanceOf(StorageOperationError);
  const e = err as StorageOperationError;
  expect(e).toBeInstanceOf(StorageError);
  expect(e.code).toBe(ErrorCode.Storage);
  expect(e.diskFull).toBe(true);
  expect(e.details).toMatchObject({ op, reason: 'disk_full', diskFull: true });
  expect(String((e.cause as { code?: string }).code)).toMatch(/^SQLITE_(FULL|IOERR)/);
  expect(e.message).toMatch(/disk is full/);
  return e;
}

/** Appends until SQLite refuses (bounded); returns the error. */
function fill(s: SqliteStore, kb: number, max = 2000): unknown {
  for (let i = 0; i < max; i++) {
    const err = caught(() => s.append([big(s.lastIndex() + 1, kb)]));
    if (err) return err;
  }
  throw new Error(`the store never filled after ${max} appends`);
}

/** Mounts a tmpfs of `size` in a new temp dir; null when this process may not mount (not root). */
function mountTmpfs(size: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'peerboard-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

const canMount = (() => {
  const d = mountTmpfs('64k');
  if (!d) return false;
  execFileSync('umount', [d]);
  rmSync(d, { recursive: true, force: true });
  return true;
})();

describe('a full disk', () => {
  const dirs = new TmpDirs();
  const mounts: string[] = [];
  afterEach(() => {
    dirs.cleanup();
    for (const m of mounts.splice(0)) {
      execFileSync('umount', ['-l', m]);
      rmSync(m, { recursive: true, force: true });
    }
  });

  // a real file system running out of space (needs root for mount; the quota test below runs anywhere)
  it.skipIf(!canMount)('on a tmpfs: every write refused as disk full, then accepted again when space returns', () => {
    const mnt = mountTmpfs('1m')!;
    mounts.push(mnt);
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(256 * 1024));
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const s = SqliteStore.open(join(mnt, 'data'), { logger });
    try {
      s.setIdentity({ nodeId: 'n1', clusterId: 'alpha' });
      s.setHardState({ term: 1, votedFor: null });
      expectDiskFull(fill(s, 16), 'append');
      // fill what is left with small entries too, so that any write needs a page the disk lacks
      expectDiskFull(fill(s, 1), 'append');
      const last = s.lastIndex();
      expect(last).toBeGreaterThan(5);
      const errorsBefore = lines.filter((l) => l.level >= 50).length;
      expectDiskFull(caught(() => s.append([big(last + 1, 64)])), 'append');
      expectDiskFull(caught(() => s.saveSnapshot(bigSnap(last, 64))), 'saveSnapshot');
      // the condition goes on: logged once when it began, the repeats at debug only
      expect(lines.filter((l) => l.level >= 50).length).toBe(errorsBefore);
      expect(lines.slice(-2).map((l) => l.msg)).toEqual(['storage operation failed again', 'storage operation failed again']);
      // the small writes: each either still fits or is the same typed refusal, never anything else
      const small: Array<[string, () => void]> = [
        ['setHardState', () => s.setHardState({ term: 1, votedFor: null })],
        ['setIdentity', () => s.setIdentity({ nodeId: 'n1', clusterId: 'alpha' })],
        ['truncateFrom', () => s.truncateFrom(last + 1)],
      ];
      for (const [op, write] of small) {
        const err = caught(write);
        if (err !== undefined) expectDiskFull(err, op); // (on tmpfs they still fit: the WAL reuses its pages)
      }
      // nothing half-written: the log is intact and readable
      expect(s.lastIndex()).toBe(last);
      expect(s.entries(last, last)[0]?.index).toBe(last);
      expect(s.hardState()).toEqual({ term: 1, votedFor: null });

      rmSync(filler); // space returns
      s.append([big(last + 1, 16)]);
      s.setHardState({ term: 2, votedFor: 'n1', commitIndex: last });
      s.truncateFrom(last + 1);
      expect(s.lastIndex()).toBe(last);
      expect(s.hardState()).toEqual({ term: 2, votedFor: 'n1', commitIndex: last });
      // and the end of a condition is logged once, at the first write that works again
      expect(lines.filter((l) => l.level >= 50).every((l) => l.msg === 'storage operation failed')).toBe(true);
      expect(lines.filter((l) => l.msg === 'storage writes work again').length).toBeGreaterThanOrEqual(1);
      expect(lines.at(-1)?.msg).not.toMatch(/failed/);
    } finally {
      s.close();
    }
  });

  it('over a size quota (max_page_count): the same typed error; the data survives and writes resume on reopen', () => {
    const dir = dirs.make();
    const s = SqliteStore.open(dir, { maxPageCount: 64 });
    s.setHardState({ term: 1, votedFor: null });
    expectDiskFull(fill(s, 8), 'append');
    const last = s.lastIndex();
    expectDiskFull(caught(() => s.saveSnapshot(bigSnap(last, 512))), 'saveSnapshot');
    expect(s.lastIndex()).toBe(last);
    s.close();
    const again = SqliteStore.open(dir);
    try {
      expect(again.lastIndex()).toBe(last);
      again.append([big(last + 1, 8)]);
      expect(again.lastIndex()).toBe(last + 1);
    } finally {
      again.close();
    }
  });
});

function bigSnap(index: number, kb: number): Snapshot {
  const sn = snap(index, 1);
  (sn.board as { lastUpdate: unknown; note?: string }).note = 'y'.repeat(kb * 1024);
  return sn;
}

describe('a value JSON cannot serialise', () => {
  const dirs = new TmpDirs();
  afterEach(() => dirs.cleanup());

  function deep(levels: number): unknown {
    let v: unknown = {};
    for (let i = 0; i < levels; i++) v = { a: v };
    return v;
  }

  for (const [name, make] of [
    ['SqliteStore', () => SqliteStore.open(dirs.make())],
    ['MemStore', () => new MemStore()],
  ] as const) {
    it(`${name}: a cycle, a BigInt or nesting too deep is BAD_REQUEST "not serialisable", never a disk failure`, () => {
      const s = make();
      try {
        const cyclic = entry(1, 1) as LogEntry & { self?: unknown };
        cyclic.self = cyclic;
        const withBigInt = { ...entry(1, 1), extra: 10n } as unknown as LogEntry;
        const tooDeep = { ...entry(1, 1), extra: deep(200_000) } as unknown as LogEntry;
        for (const bad of [cyclic, withBigInt, tooDeep]) {
          const err = caught(() => s.append([bad]));
          expect(err).toBeInstanceOf(NotSerialisableError);
          expect(err).toBeInstanceOf(PeerboardError);
          expect(err).not.toBeInstanceOf(StorageError);
          expect((err as PeerboardError).code).toBe(ErrorCode.BadRequest);
          expect((err as PeerboardError).details).toMatchObject({ reason: 'not_serialisable' });
          expect((err as Error).message).toMatch(/not serialisable as JSON/);
          expect((err as Error).cause).toBeInstanceOf(Error);
        }
        const badSnap = snap(3, 1);
        (badSnap.board as { extra?: unknown }).extra = 1n;
        expect(caught(() => s.saveSnapshot(badSnap))).toBeInstanceOf(NotSerialisableError);
        expect(s.lastIndex()).toBe(0);
        s.append([entry(1, 1)]);
        expect(s.lastIndex()).toBe(1);
      } finally {
        s.close();
      }
    });
  }
});
