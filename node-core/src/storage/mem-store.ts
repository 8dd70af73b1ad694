// In-memory Store for consensus unit tests, plus the log rules (argument checks, append continuity,
// snapshot install/compaction) that it and SqliteStore both enforce, so the two behave identically.
import type { HardState, LogEntry, Snapshot } from '../consensus/types.js';
import { MAX_TERM } from '../consensus/limits.js';
import { StorageError } from '../errors.js';
import { NotSerialisableError } from './storage-errors.js';
import type { NodeIdentity, Store } from './store.js';

// ---------------------------------------------------------------------------------------------
// Shared rules. Every violation is a StorageError naming the bad value: these are caller bugs
// (or a damaged file), and the store must refuse them rather than store a log with holes.

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function describe(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function checkIndex(name: string, n: unknown): number {
  if (!isIndex(n)) throw new StorageError(`${name} must be a non-negative integer, got ${describe(n)}`, { [name]: n });
  return n;
}

/** An entry checked and serialised: what both stores keep. */
export interface EncodedEntry {
  index: number;
  term: number;
  at: number;
  json: string;
  bytes: number;
}

/** JSON of a value to store; a value JSON refuses is NotSerialisableError (BAD_REQUEST), never a disk failure. */
function encodeJson(what: string, v: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch (err) {
    throw new NotSerialisableError(what, err);
  }
  if (json === undefined) throw new NotSerialisableError(what);
  return json;
}

/** Checks that `entries` are well-formed and continue a log whose last index is `lastIndex`. */
export function encodeAppend(entries: readonly LogEntry[], lastIndex: number): EncodedEntry[] {
  if (!Array.isArray(entries)) throw new StorageError(`append expects an array of entries, got ${describe(entries)}`);
  const out: EncodedEntry[] = [];
  let expected = lastIndex + 1;
  for (const e of entries) {
    if (e === null || typeof e !== 'object') throw new StorageError(`log entry must be an object, got ${describe(e)}`);
    if (!isIndex(e.index) || !isIndex(e.term) || !isIndex(e.at)) {
      throw new StorageError(`log entry needs non-negative integer index, term and at, got ${describe({ index: e.index, term: e.term, at: e.at })}`);
    }
    if (e.index !== expected) {
      throw new StorageError(`append does not continue the log: expected index ${expected}, got ${e.index}`, {
        expected,
        got: e.index,
        lastIndex,
      });
    }
    if (typeof (e as { kind?: unknown }).kind !== 'string') throw new StorageError(`log entry ${e.index} has no kind`);
    const json = encodeJson(`log entry ${e.index}`, e);
    out.push({ index: e.index, term: e.term, at: e.at, json, bytes: Buffer.byteLength(json) });
    expected++;
  }
  return out;
}

export function encodeSnapshot(snap: Snapshot): string {
  if (snap === null || typeof snap !== 'object') throw new StorageError(`snapshot must be an object, got ${describe(snap)}`);
  checkIndex('snapshot.index', snap.index);
  checkIndex('snapshot.term', snap.term);
  if (snap.config === null || typeof snap.config !== 'object') throw new StorageError('snapshot.config is missing');
  if (snap.board === null || typeof snap.board !== 'object') throw new StorageError('snapshot.board is missing');
  return encodeJson('snapshot', snap);
}

export function encodeHardState(s: HardState): string {
  if (s === null || typeof s !== 'object') throw new StorageError(`hard state must be an object, got ${describe(s)}`);
  checkIndex('term', s.term);
  if (s.term > MAX_TERM) throw new StorageError(`term must be at most ${MAX_TERM}, got ${s.term}`, { term: s.term, max: MAX_TERM });
  if (s.votedFor !== null && (typeof s.votedFor !== 'string' || s.votedFor === '')) {
    throw new StorageError(`votedFor must be a node id or null, got ${describe(s.votedFor)}`);
  }
  if (s.commitIndex === undefined) return JSON.stringify({ term: s.term, votedFor: s.votedFor });
  checkIndex('commitIndex', s.commitIndex);
  return JSON.stringify({ term: s.term, votedFor: s.votedFor, commitIndex: s.commitIndex });
}

/** Checks an identity and that it does not replace a different one already stored. */
export function encodeIdentity(id: NodeIdentity, current: NodeIdentity | null): string {
  if (id === null || typeof id !== 'object') throw new StorageError(`identity must be an object, got ${describe(id)}`);
  for (const k of ['nodeId', 'clusterId'] as const) {
    if (typeof id[k] !== 'string' || id[k] === '') throw new StorageError(`identity.${k} must be a non-empty string, got ${describe(id[k])}`);
  }
  if (current && (current.nodeId !== id.nodeId || current.clusterId !== id.clusterId)) {
    throw new StorageError(
      `this data directory already belongs to node "${current.nodeId}" of cluster "${current.clusterId}"; it cannot become node "${id.nodeId}" of cluster "${id.clusterId}"`,
      { current, requested: { nodeId: id.nodeId, clusterId: id.clusterId } },
    );
  }
  return JSON.stringify({ nodeId: id.nodeId, clusterId: id.clusterId });
}

export const DEFAULT_HARD_STATE: HardState = Object.freeze({ term: 0, votedFor: null }) as HardState;

/** Argument checks of entries(); returns the effective maxBytes. */
export function checkRange(from: number, to: number, maxBytes: number | undefined, firstIndex: number): number {
  checkIndex('from', from);
  checkIndex('to', to);
  if (maxBytes !== undefined && (typeof maxBytes !== 'number' || Number.isNaN(maxBytes) || maxBytes < 0)) {
    throw new StorageError(`maxBytes must be a non-negative number, got ${describe(maxBytes)}`);
  }
  if (from <= to && from < firstIndex) {
    throw new StorageError(`entries from ${from} are compacted: the log starts at ${firstIndex} (send the snapshot instead)`, {
      from,
      firstIndex,
    });
  }
  return maxBytes ?? Number.POSITIVE_INFINITY;
}

/** truncateFrom may not cut into what a snapshot covers (committed entries). */
export function checkTruncate(from: number, snapshotIndex: number): void {
  checkIndex('from', from);
  if (from <= snapshotIndex) {
    throw new StorageError(`cannot truncate from ${from}: entries up to ${snapshotIndex} are in the snapshot (committed)`, {
      from,
      snapshotIndex,
    });
  }
}

export function checkSnapshotOrder(snap: Snapshot, currentIndex: number | undefined, keepTail: number): void {
  checkIndex('keepTail', keepTail);
  if (currentIndex !== undefined && snap.index < currentIndex) {
    throw new StorageError(`snapshot at ${snap.index} is older than the stored one at ${currentIndex}`, {
      index: snap.index,
      currentIndex,
    });
  }
}

// ---------------------------------------------------------------------------------------------

interface MemSnapshot {
  index: number;
  term: number;
  json: string;
}

/** Store held in memory. Entries and snapshots are kept as JSON, so callers never share objects with it. */
export class MemStore implements Store {
  #identity: NodeIdentity | null = null;
  #hard: HardState = DEFAULT_HARD_STATE;
  /** contiguous: #log[i].index === #log[0].index + i */
  #log: EncodedEntry[] = [];
  #snap: MemSnapshot | null = null;
  #closed = false;

  #open(): void {
    if (this.#closed) throw new StorageError('the store is closed');
  }

  identity(): NodeIdentity | null {
    this.#open();
    return this.#identity ? { ...this.#identity } : null;
  }

  setIdentity(id: NodeIdentity): void {
    this.#open();
    this.#identity = JSON.parse(encodeIdentity(id, this.#identity)) as NodeIdentity;
  }

  hardState(): HardState {
    this.#open();
    return { ...this.#hard };
  }

  setHardState(s: HardState): void {
    this.#open();
    this.#hard = JSON.parse(encodeHardState(s)) as HardState;
  }

  firstIndex(): number {
    this.#open();
    const first = this.#log[0];
    if (first) return first.index;
    return (this.#snap?.index ?? 0) + 1;
  }

  lastIndex(): number {
    this.#open();
    const last = this.#log[this.#log.length - 1];
    return Math.max(last?.index ?? 0, this.#snap?.index ?? 0);
  }

  #at(index: number): EncodedEntry | undefined {
    const first = this.#log[0];
    return first ? this.#log[index - first.index] : undefined;
  }

  termAt(index: number): number | undefined {
    this.#open();
    if (!isIndex(index)) return undefined;
    if (index === 0) return 0;
    if (this.#snap && index === this.#snap.index) return this.#snap.term;
    return this.#at(index)?.term;
  }

  entries(from: number, to: number, maxBytes?: number): LogEntry[] {
    this.#open();
    const limit = checkRange(from, to, maxBytes, this.firstIndex());
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let i = from; i <= to; i++) {
      const e = this.#at(i);
      if (!e) break;
      if (out.length > 0 && bytes + e.bytes > limit) break;
      bytes += e.bytes;
      out.push(JSON.parse(e.json) as LogEntry);
    }
    return out;
  }

  append(entries: LogEntry[]): void {
    this.#open();
    const encoded = encodeAppend(entries, this.lastIndex());
    for (const e of encoded) this.#log.push(e);
  }

  truncateFrom(from: number): void {
    this.#open();
    checkTruncate(from, this.#snap?.index ?? 0);
    const first = this.#log[0];
    if (!first) return;
    this.#log.length = Math.max(0, Math.min(this.#log.length, from - first.index));
  }

  snapshot(): Snapshot | null {
    this.#open();
    return this.#snap ? (JSON.parse(this.#snap.json) as Snapshot) : null;
  }

  saveSnapshot(snap: Snapshot, keepTail = 0): void {
    this.#open();
    const json = encodeSnapshot(snap);
    checkSnapshotOrder(snap, this.#snap?.index, keepTail);
    if (this.termAt(snap.index) === snap.term) {
      const keepFrom = snap.index - keepTail + 1;
      this.#log = this.#log.filter((e) => e.index >= keepFrom);
    } else {
      this.#log = [];
    }
    this.#snap = { index: snap.index, term: snap.term, json };
  }

  close(): void {
    this.#closed = true;
  }
}
