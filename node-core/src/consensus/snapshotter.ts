// Snapshots: taken every snapshotEvery entries (or twice the board's rows, when more) so the log can
// be compacted; a failed one is logged and retried with back-off, never fatal (the log keeps all).
import { toPeerboardError } from '../errors.js';
import { weightOf, type RaftCore } from './raft-core.js';

/** first wait after a failed snapshot, doubled per failure up to the max */
const SNAPSHOT_RETRY_MS = 1000;
const SNAPSHOT_RETRY_MAX_MS = 5 * 60_000;

export class Snapshotter {
  /** snapshots failed in a row: drives the back-off */
  private failures = 0;
  /** monotonic ms before which no snapshot is tried (after a failure) */
  private retryAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly raft: RaftCore) {}

  /**
   * Snapshots cost time in proportion to the board's size, so they are taken every snapshotEvery
   * entries, or every twice the board's size in entries when that is more (a big board is then
   * snapshotted less often and the cost per entry stays bounded, as in most Raft implementations).
   */
  maybeTake(): void {
    const every = Math.max(this.raft.deps.snapshotEvery, 2 * this.raft.snapshotWeight);
    if (this.raft.appliedIndex - this.raft.snapshotIndex < every || !this.raft.config) return;
    if (this.raft.clock.monotonic() < this.retryAt) return;
    const term = this.raft.store.termAt(this.raft.appliedIndex);
    if (term === undefined) return;
    const config = this.raft.configIndex <= this.raft.appliedIndex ? this.raft.config : (this.raft.store.snapshot()?.config ?? this.raft.config);
    const t0 = performance.now();
    try {
      // shared rows: saveSnapshot encodes them to JSON before anything can change them
      const board = this.raft.deps.sm.snapshot({ share: true });
      this.raft.store.saveSnapshot({ index: this.raft.appliedIndex, term, config, board }, Math.min(1000, this.raft.deps.snapshotEvery));
      this.raft.snapshotIndex = this.raft.appliedIndex;
      this.raft.snapshotWeight = weightOf(board);
      this.failures = 0;
      this.raft.logger.info({ index: this.raft.appliedIndex, rows: this.raft.snapshotWeight, ms: Math.round(performance.now() - t0) }, 'snapshot taken, log compacted');
    } catch (err) {
      // contained: the log still holds everything, so a failed snapshot only delays compaction
      this.failures++;
      const backoff = Math.min(SNAPSHOT_RETRY_MAX_MS, SNAPSHOT_RETRY_MS * 2 ** Math.min(10, this.failures - 1));
      this.retryAt = this.raft.clock.monotonic() + backoff;
      this.raft.logger.error({ index: this.raft.appliedIndex, failures: this.failures, retryInMs: backoff, err: toPeerboardError(err).message }, 'snapshot failed: the log is kept, retrying later');
    }
  }
}
