// The follower's side of replication: pull the log from the master with FetchState long polls,
// append what it sends durably, truncate where the logs diverge, install snapshots, and notice at
// once when the master's connection breaks (a killed master) so that an election starts quickly.
import type { Message, MessageOf, Outgoing } from '../protocol/messages.js';
import { TransportError } from '../transport/transport.js';
import { type Raft, weightOf } from './raft.js';
import type { LogEntry, Snapshot } from './types.js';

export class Follower {
  private fetching = false;

  constructor(private readonly raft: Raft) {}

  /** the fetch loop; runs while this node is a slave or an observer (one at a time) */
  async run(): Promise<void> {
    if (this.fetching) return;
    this.fetching = true;
    try {
      while (this.following()) {
        const leader = this.raft.leaderId;
        if (!leader || leader === this.raft.nodeId) {
          await this.probeForLeader();
          continue;
        }
        const lastIndex = this.raft.store.lastIndex();
        let resp: Message;
        try {
          resp = await this.raft.deps.rpc(
            leader,
            { type: 'FetchState', node: this.raft.deps.selfInfo(), lastIndex, lastTerm: this.raft.store.termAt(lastIndex) ?? 0, maxWaitMs: this.raft.timing.fetchMaxWaitMs, commitIndex: this.raft.commitIndex },
            this.raft.timing.fetchMaxWaitMs * 4 + this.raft.timing.requestTimeoutMs,
          );
        } catch (err) {
          if (!this.following()) break;
          this.onFetchError(leader, err);
          await this.raft.sleep(Math.max(5, this.raft.timing.fetchMaxWaitMs / 10));
          continue;
        }
        // the role may have changed while the request was out (elected, stopped): drop the answer
        if (!this.following()) break;
        if (resp.type === 'StateUpdate') this.handleStateUpdate(leader, resp);
        else await this.raft.sleep(Math.max(5, this.raft.timing.fetchMaxWaitMs / 10));
      }
    } finally {
      this.fetching = false;
    }
  }

  following(): boolean {
    return !this.raft.stopped && (this.raft.role === 'slave' || this.raft.role === 'observer');
  }

  private onFetchError(leader: string, err: unknown): void {
    if (this.raft.leaderId !== leader) return;
    const broken = err instanceof TransportError && (err.code === 'CLOSED' || err.code === 'CONNECT');
    if (broken && !this.raft.leaderConnBroken) {
      this.raft.leaderConnBroken = true;
      this.raft.logger.info({ leader, code: (err as TransportError).code }, 'connection to master lost');
      this.raft.hooks.onMasterLost(leader, (err as TransportError).code);
      this.raft.hooks.onLeader(leader);
      if (this.raft.isVoter()) this.raft.resetElectionTimer(this.raft.quickElectionDelay());
    }
    if (this.raft.clock.monotonic() - this.raft.lastLeaderContact > this.raft.timing.electionTimeoutMs) this.raft.setLeader(null);
  }

  /** no known master: ask the voters we know; a non-master answers with its leader hint */
  private async probeForLeader(): Promise<void> {
    const targets = (this.raft.config?.voters ?? []).filter((v) => v.nodeId !== this.raft.nodeId);
    const lastIndex = this.raft.store.lastIndex();
    const fetch: Outgoing<'FetchState'> = { type: 'FetchState', node: this.raft.deps.selfInfo(), lastIndex, lastTerm: this.raft.store.termAt(lastIndex) ?? 0, maxWaitMs: 0, commitIndex: this.raft.commitIndex };
    const answers = await Promise.allSettled(targets.map((t) => this.raft.deps.rpc(t.nodeId, fetch, this.raft.timing.requestTimeoutMs)));
    if (!this.following() || this.raft.leaderId) return;
    for (const a of answers) {
      if (a.status !== 'fulfilled' || a.value.type !== 'StateUpdate' || a.value.term < this.raft.term) continue;
      const hint = a.value.ok ? a.value.nodeId : a.value.leaderId;
      if (hint && hint !== this.raft.nodeId) {
        if (a.value.term > this.raft.term) this.raft.setTerm(a.value.term, null);
        this.raft.setLeader(hint);
        return;
      }
    }
    await this.raft.sleep(Math.max(20, this.raft.timing.fetchMaxWaitMs / 2));
  }

  private handleStateUpdate(leader: string, resp: MessageOf<'StateUpdate'>): void {
    if (resp.term > this.raft.term) this.raft.setTerm(resp.term, null);
    if (!resp.ok || resp.term < this.raft.term) {
      const hint = resp.ok ? null : resp.leaderId;
      this.raft.setLeader(hint && hint !== this.raft.nodeId ? hint : null);
      return;
    }
    const wasAlive = this.raft.leaderAlive();
    if (this.raft.leaderId !== leader) this.raft.setLeader(leader);
    this.raft.lastLeaderContact = this.raft.clock.monotonic();
    this.raft.leaderConnBroken = false;
    // a master learnt from a hint becomes live only with its first answer: say so at once
    if (!wasAlive) this.raft.hooks.onLeader(leader);
    this.raft.resetElectionTimer();
    if (resp.snapshot) {
      this.installSnapshot(resp.snapshot as unknown as Snapshot);
      return;
    }
    if (resp.diverging) {
      this.truncateAfter(resp.diverging.index, resp.diverging.term);
      return;
    }
    const entries = resp.entries as LogEntry[];
    if (entries.length > 0) {
      if (entries[0]!.index !== this.raft.store.lastIndex() + 1) return;
      this.raft.store.append(entries);
      for (const e of entries) if (e.kind === 'config') this.raft.adoptConfig(e.config, e.index);
    }
    const newCommit = Math.min(resp.commitIndex, this.raft.store.lastIndex());
    if (newCommit > this.raft.commitIndex) this.raft.advanceCommit(newCommit);
  }

  private truncateAfter(index: number, term: number): void {
    const keep = this.raft.store.termAt(index) === term ? index : index - 1;
    if (keep < this.raft.commitIndex) {
      this.raft.logger.error({ keep, commit: this.raft.commitIndex }, 'master asked to truncate committed entries: refused');
      return;
    }
    this.raft.store.truncateFrom(keep + 1);
    this.raft.reloadConfig();
  }

  private installSnapshot(snap: Snapshot): void {
    if (snap.index <= this.raft.commitIndex) return;
    this.raft.store.saveSnapshot(snap);
    this.raft.snapshotIndex = snap.index;
    this.raft.snapshotWeight = weightOf(snap.board);
    this.raft.deps.sm.restore(snap.board);
    this.raft.commitIndex = this.raft.appliedIndex = snap.index;
    this.raft.config = snap.config;
    this.raft.configIndex = 0;
    this.raft.reloadConfig();
    this.raft.persistCommit();
    this.raft.logger.info({ index: snap.index }, 'installed snapshot from master');
  }
}
