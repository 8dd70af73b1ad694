// The storage contract the consensus module sees. Every mutating call is durable when it returns
// (SQLite WAL with synchronous=FULL in the real store), so an acknowledged entry survives kill -9.
import type { HardState, LogEntry, Snapshot } from '../consensus/types.js';

export interface NodeIdentity {
  nodeId: string;
  clusterId: string;
}

export interface Store {
  /**
   * The node id and cluster id this data directory belongs to. Set once on first start.
   * Opening a data directory of another cluster is an error (see checkIdentity).
   */
  identity(): NodeIdentity | null;
  setIdentity(id: NodeIdentity): void;

  hardState(): HardState;
  setHardState(s: HardState): void;

  /** index of the first entry still in the log (snapshot.index + 1 after compaction; 1 when empty) */
  firstIndex(): number;
  /** index of the last entry, or the snapshot's index when the log is empty after it, or 0 */
  lastIndex(): number;
  /** term of the entry at index; the snapshot's term at snapshot.index; 0 at index 0; undefined if unknown (compacted or beyond the end) */
  termAt(index: number): number | undefined;
  /** entries in [from, to], at most maxBytes of JSON (at least one entry when any exists) */
  entries(from: number, to: number, maxBytes?: number): LogEntry[];
  /** appends entries; they must continue the log (entries[0].index === lastIndex()+1) */
  append(entries: LogEntry[]): void;
  /** deletes every entry with index >= from (never committed ones: the caller guarantees that) */
  truncateFrom(from: number): void;

  snapshot(): Snapshot | null;
  /**
   * Stores a snapshot and drops log entries up to snapshot.index (keeping `keepTail` before it for
   * slaves that lag a little). If the log does not contain snapshot.index (installing a snapshot
   * received from the master) the whole log is replaced by the snapshot.
   */
  saveSnapshot(snap: Snapshot, keepTail?: number): void;

  close(): void;
}
