// The master's write path: new entries are batched into one durable append per turn of the event
// loop, each proposal waits for its commit, and a retried idempotency key joins the one in flight.
// Proposals of a term that ends (step-down, shutdown) fail with an "outcome unknown" error.
import { checkProposal } from '../board/commands.js';
import type { ApplyResult, CommandMeta } from '../board/types.js';
import { ErrorCode, isStorageFailure, PeerboardError, toPeerboardError } from '../errors.js';
import type { TimerHandle } from '../util/clock.js';
import type { RaftCore } from './raft-core.js';
import type { EntryPayload, LogEntry } from './types.js';

/**
 * A board command as a caller hands it in, forwarded from another node or local: unchecked, since
 * propose() runs checkProposal (the board's schemas and size limits) before anything is appended.
 */
export interface UncheckedProposal {
  kind: 'board';
  cmd: unknown;
  meta: CommandMeta;
}

/** What proposals need of the master's replication state (LeaderState in leader.ts). */
export interface ReplicationState {
  /** a hand-over to this node is in progress (writes wait for the new master) */
  readonly transferring: string | null;
  hasQuorum(): boolean;
  /** ends the long polls waiting for new entries */
  wake(): void;
  /** commits what a majority stored */
  maybeCommit(): void;
}

export interface Committed {
  index: number;
  result: ApplyResult;
}

interface Pending {
  term: number;
  resolve: (r: Committed) => void;
  reject: (e: PeerboardError) => void;
  timer: TimerHandle;
}

export class Proposals {
  private pending = new Map<number, Pending>();
  private inflight = new Map<string, Promise<Committed>>();
  private queue: LogEntry[] = [];

  constructor(
    private readonly raft: RaftCore,
    private readonly leader: ReplicationState,
  ) {}

  /** appends payloads to the local log (one durable batch per event-loop turn); returns their indexes */
  append(payloads: EntryPayload[]): number[] {
    const raft = this.raft;
    const at = raft.clock.now();
    let next = raft.store.lastIndex() + this.queue.length + 1;
    const entries = payloads.map((p) => ({ ...p, index: next++, term: raft.term, at }) as LogEntry);
    const first = this.queue.length === 0;
    this.queue.push(...entries);
    for (const e of entries) if (e.kind === 'config') raft.adoptConfig(e.config, e.index);
    // one durable append for everything proposed in this turn of the event loop: while a flush
    // waits for the disk, requests queue up and the next turn writes them all in one transaction
    if (first) setImmediate(() => this.flush());
    return entries.map((e) => e.index);
  }

  private flush(): void {
    const raft = this.raft;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0 || raft.role !== 'master' || raft.stopped) return;
    try {
      raft.store.append(batch);
    } catch (err) {
      const message = toPeerboardError(err).message;
      if (isStorageFailure(err)) {
        this.fail(new PeerboardError(ErrorCode.Storage, `this node cannot write to its disk (${message}); nothing was written: retry`, { outcome: 'refused' }));
        raft.storageFailure('log append', err);
        return;
      }
      // not the disk: an entry that could not be encoded (checkProposal should make this impossible)
      raft.logger.error({ err: message, first: batch[0]?.index, count: batch.length }, 'a log batch could not be encoded: its writes are refused');
      this.failIndexes(new Set(batch.map((e) => e.index)), new PeerboardError(ErrorCode.BadRequest, `the write cannot be stored: ${message}`, { reason: 'not_serialisable' }));
      if (batch.some((e) => e.kind === 'config')) raft.reloadConfig();
      return;
    }
    this.leader.wake();
    this.leader.maybeCommit();
  }

  /**
   * Proposes a board command. Resolves with the board's result once a majority stored it; rejects
   * NO_QUORUM (refused, nothing written) or TIMEOUT (outcome unknown: retry with the same key).
   */
  propose(payload: UncheckedProposal): Promise<Committed> {
    const raft = this.raft;
    const reqId = payload.meta.reqId;
    const inflight = this.inflight.get(reqId);
    if (inflight) return inflight;
    const done = raft.deps.sm.resultFor(reqId);
    if (done) return Promise.resolve({ index: raft.appliedIndex, result: done });
    // validate before proposing: nothing that cannot be applied, snapshotted and serialised reaches the log
    const checked = checkProposal(payload.cmd, payload.meta);
    if (!checked.ok) return Promise.reject(new PeerboardError(ErrorCode.BadRequest, checked.message, checked.details));
    if (!this.leader.hasQuorum()) return Promise.reject(raft.noQuorum());
    if (this.leader.transferring) return Promise.reject(new PeerboardError(ErrorCode.Unavailable, 'leadership is being handed over; retry in a moment', { transferTo: this.leader.transferring }));
    const [index] = this.append([{ kind: 'board', cmd: checked.cmd, meta: checked.meta }]);
    const p = this.waitCommitted(index!).finally(() => this.inflight.delete(reqId));
    this.inflight.set(reqId, p);
    return p;
  }

  waitCommitted(index: number): Promise<Committed> {
    const raft = this.raft;
    if (index <= raft.appliedIndex) return Promise.resolve({ index, result: { ok: true } });
    return new Promise((resolve, reject) => {
      const timer = raft.clock.setTimeout(() => {
        this.pending.delete(index);
        reject(new PeerboardError(ErrorCode.Timeout, 'the write was not confirmed by a majority in time; it may or may not be applied: retry with the same idempotency key', { outcome: 'unknown', index }));
      }, raft.timing.commitTimeoutMs);
      this.pending.set(index, { term: raft.term, resolve, reject, timer });
    });
  }

  /** an entry was applied: answer its proposer */
  settle(e: LogEntry, result: ApplyResult | null): void {
    const p = this.pending.get(e.index);
    if (!p) return;
    this.pending.delete(e.index);
    this.raft.clock.clearTimeout(p.timer);
    if (p.term === e.term) p.resolve({ index: e.index, result: result ?? { ok: true } });
    else p.reject(new PeerboardError(ErrorCode.Timeout, 'the write was replaced by a newer master; retry', { outcome: 'lost' }));
  }

  private failIndexes(indexes: Set<number>, err: PeerboardError): void {
    for (const i of indexes) {
      const p = this.pending.get(i);
      if (!p) continue;
      this.pending.delete(i);
      this.raft.clock.clearTimeout(p.timer);
      p.reject(err);
    }
  }

  fail(err: PeerboardError): void {
    for (const [, p] of this.pending) {
      this.raft.clock.clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.queue = [];
  }
}
