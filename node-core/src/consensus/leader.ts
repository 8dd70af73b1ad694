// The master's side of replication: answers FetchState long polls (KRaft-style pull), tracks how far
// each slave has stored, advances the commit index when a majority of voters holds an entry of the
// current term, checks that it still reaches a majority (else it steps down), and grows the voter set.
import { ErrorCode, PeerboardError } from '../errors.js';
import type { MessageOf, NodeInfo, Outgoing } from '../protocol/messages.js';
import { Proposals } from './proposals.js';
import type { RaftCore } from './raft-core.js';
import type { Member, Snapshot } from './types.js';

export interface Progress {
  info: NodeInfo;
  /** highest index known stored on that node (only counted once its log matched ours) */
  matchIndex: number;
  /** monotonic ms of its last FetchState */
  lastFetch: number;
  /** monotonic ms since when it has fetched without a gap longer than the election timeout */
  since: number;
  /** the source IP of its last FetchState */
  srcIp: string;
  disconnectedNotified: boolean;
}

type StateUpdateOut = Outgoing<'StateUpdate'>;

const MAX_RESPONSE_BYTES = 1024 * 1024;
/** nodes a master tracks replication progress for; beyond it, silent non-voters are pruned or newcomers refused */
export const MAX_PROGRESS = 1024;

export class LeaderState {
  readonly progress = new Map<string, Progress>();
  readonly proposals: Proposals;
  /** the node mastership is being handed to; new writes wait meanwhile */
  transferring: string | null = null;
  private waiters = new Set<() => void>();
  private readonly since: number;
  private quorumLostSince: number | null = null;
  /** since when the voter set has had one seat too many (a swap in progress, see autoSwap) */
  private overfullSince: number | null = null;
  private tick: ReturnType<RaftCore['clock']['setTimeout']> | undefined;
  private stopped = false;

  constructor(private readonly raft: RaftCore) {
    this.proposals = new Proposals(raft, this);
    this.since = raft.clock.monotonic();
    this.scheduleTick();
  }

  /** the term ended: proposals still waiting fail with `err` (their outcome is unknown) */
  stop(err: PeerboardError): void {
    this.stopped = true;
    this.raft.clock.clearTimeout(this.tick);
    this.proposals.fail(err);
    this.wake();
  }

  /** leadership transfer: bring `target` up to date, tell it to campaign, wait until it leads */
  async transfer(target: string): Promise<void> {
    const raft = this.raft;
    if (this.transferring) throw new PeerboardError(ErrorCode.Conflict, `a hand-over to ${this.transferring} is already in progress`);
    this.transferring = target;
    const deadline = raft.clock.monotonic() + raft.timing.electionTimeoutMs * 2;
    const step = Math.max(5, raft.timing.fetchMaxWaitMs / 10);
    try {
      while (!this.stopped && this.matchIndexOf(target) < raft.store.lastIndex()) {
        if (raft.clock.monotonic() > deadline) throw new PeerboardError(ErrorCode.Timeout, `node ${target} did not catch up in time; mastership stays here`);
        await raft.sleep(step);
      }
      if (this.stopped) return;
      const resp = await raft.deps.rpc(target, { type: 'TimeoutNow' }, raft.timing.requestTimeoutMs);
      if (resp.type !== 'TimeoutNowResponse' || !resp.accepted) throw new PeerboardError(ErrorCode.Conflict, `node ${target} refused to take over`);
      while (raft.role === 'master') {
        if (raft.clock.monotonic() > deadline) throw new PeerboardError(ErrorCode.Timeout, `node ${target} did not take over in time`);
        await raft.sleep(step);
      }
    } finally {
      this.transferring = null;
    }
  }

  /** wakes every parked FetchState (new entries, new commit, role change) */
  wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** true when a majority of voters fetched within the election timeout (or we just became master) */
  hasQuorum(): boolean {
    const cfg = this.raft.config;
    if (!cfg) return false;
    const now = this.raft.clock.monotonic();
    const timeout = this.raft.timing.electionTimeoutMs;
    if (now - this.since < timeout) return true;
    let alive = 0;
    for (const v of cfg.voters) {
      if (v.nodeId === this.raft.nodeId) alive++;
      else {
        const p = this.progress.get(v.nodeId);
        if (p && now - p.lastFetch < timeout) alive++;
      }
    }
    return alive >= this.raft.quorumSize();
  }

  matchIndexOf(nodeId: string): number {
    if (nodeId === this.raft.nodeId) return this.raft.store.lastIndex();
    return this.progress.get(nodeId)?.matchIndex ?? 0;
  }

  /** advances commitIndex to the highest index stored by a majority of voters, if of this term */
  maybeCommit(): void {
    const cfg = this.raft.config;
    if (!cfg || this.stopped) return;
    const matches = cfg.voters.map((v) => this.matchIndexOf(v.nodeId)).sort((a, b) => b - a);
    const n = matches[this.raft.quorumSize() - 1] ?? 0;
    if (n > this.raft.commitIndex && this.raft.store.termAt(n) === this.raft.term) {
      this.raft.advanceCommit(n);
      this.wake();
    }
  }

  async handleFetch(msg: MessageOf<'FetchState'>, srcIp = ''): Promise<StateUpdateOut> {
    const raft = this.raft;
    const now = raft.clock.monotonic();
    if (!this.progress.has(msg.nodeId) && this.progress.size >= MAX_PROGRESS && !this.pruneProgress(now)) {
      raft.deps.onRefused?.('progress_full');
      return { type: 'StateUpdate', ok: false, leaderId: raft.nodeId, entries: [], commitIndex: raft.commitIndex };
    }
    const p = this.progress.get(msg.nodeId) ?? { info: msg.node, matchIndex: 0, lastFetch: now, since: now, srcIp, disconnectedNotified: false };
    if (now - p.lastFetch > raft.timing.electionTimeoutMs) p.since = now;
    // where the node's fetches come from is where it is reached, unless its address was configured
    p.info = srcIp && !msg.node.ipExplicit ? { ...msg.node, nodeIP: srcIp } : msg.node;
    p.srcIp = srcIp;
    p.lastFetch = now;
    p.disconnectedNotified = false;
    this.progress.set(msg.nodeId, p);
    const deadline = raft.clock.monotonic() + Math.min(msg.maxWaitMs, raft.timing.fetchMaxWaitMs * 4);
    for (;;) {
      if (this.stopped || raft.role !== 'master') return { type: 'StateUpdate', ok: false, leaderId: raft.leaderId, entries: [], commitIndex: raft.commitIndex };
      const answer = this.answer(msg, p);
      if (answer) return answer;
      const left = deadline - raft.clock.monotonic();
      if (left <= 0) return this.update([]);
      await new Promise<void>((resolve) => {
        const t = raft.clock.setTimeout(() => {
          this.waiters.delete(done);
          resolve();
        }, left);
        const done = () => {
          raft.clock.clearTimeout(t);
          resolve();
        };
        this.waiters.add(done);
      });
    }
  }

  /** the answer to a fetch now, or null to keep it parked */
  private answer(msg: MessageOf<'FetchState'>, p: Progress): StateUpdateOut | null {
    const store = this.raft.store;
    const L = msg.lastIndex;
    const last = store.lastIndex();
    const myTerm = L <= last ? store.termAt(L) : undefined;
    if (myTerm === undefined || myTerm !== msg.lastTerm) {
      const d = this.divergence(L, msg.lastTerm, msg.commitIndex);
      return d ? this.update([], { diverging: d }) : this.update([], { snapshot: store.snapshot() ?? undefined });
    }
    if (p.matchIndex !== L) {
      p.matchIndex = L;
      this.maybeCommit();
    }
    if (L + 1 < store.firstIndex()) return this.update([], { snapshot: store.snapshot() ?? undefined });
    if (L < last) return this.update(store.entries(L + 1, last, MAX_RESPONSE_BYTES));
    if (msg.commitIndex < this.raft.commitIndex) return this.update([]);
    return null;
  }

  /**
   * Where a slave whose last entry is (L, T) should cut its log: the last index <= L whose term in
   * our log is <= T (terms never decrease along a log, so a binary search finds it). Everything up to
   * the slave's commit index matches our log (committed entries are in every later master's log),
   * so the search starts there; that also works when our log was compacted past the point where the
   * logs part (regression: test/faults/regressions/diverged-follower-after-compaction.test.ts).
   * Null when even the slave's commit point is compacted away here: it needs our snapshot.
   */
  private divergence(L: number, T: number, slaveCommit: number): { index: number; term: number } | null {
    const store = this.raft.store;
    let lo = Math.min(slaveCommit, L, store.lastIndex());
    const loTerm = lo === 0 ? 0 : store.termAt(lo);
    if (loTerm === undefined) return null;
    let hi = Math.min(L, store.lastIndex());
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const t = store.termAt(mid) ?? Number.MAX_SAFE_INTEGER;
      if (t <= T) lo = mid;
      else hi = mid - 1;
    }
    // a cut inside our compacted prefix would throw away entries the slave may share with us
    if (lo < store.firstIndex() - 1 && lo !== this.raft.snapshotIndex) return null;
    return { index: lo, term: lo === 0 ? 0 : (store.termAt(lo) ?? 0) };
  }

  private update(entries: StateUpdateOut['entries'], extra: { diverging?: { index: number; term: number }; snapshot?: Snapshot | undefined } = {}): StateUpdateOut {
    const out: StateUpdateOut = { type: 'StateUpdate', ok: true, leaderId: this.raft.nodeId, entries, commitIndex: this.raft.commitIndex };
    if (extra.diverging) out.diverging = extra.diverging;
    if (extra.snapshot) out.snapshot = extra.snapshot as unknown as StateUpdateOut['snapshot'];
    return out;
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.tick = this.raft.clock.setTimeout(() => {
      this.onTick();
      this.scheduleTick();
    }, this.raft.timing.fetchMaxWaitMs);
  }

  private onTick(): void {
    const raft = this.raft;
    if (this.stopped || raft.role !== 'master') return;
    const now = raft.clock.monotonic();
    if (!this.hasQuorum()) {
      this.quorumLostSince ??= now;
      if (now - this.quorumLostSince >= raft.timing.electionTimeoutMs) {
        raft.logger.warn({ term: raft.term }, 'master lost contact with a majority of voters: stepping down');
        raft.stepDown(raft.term, 'lost quorum');
        return;
      }
    } else this.quorumLostSince = null;
    for (const [id, p] of this.progress) {
      if (!p.disconnectedNotified && now - p.lastFetch > raft.timing.electionTimeoutMs) {
        p.disconnectedNotified = true;
        raft.hooks.onSlaveLost(id);
      }
    }
    this.autoGrow();
    this.autoSwap();
    this.pruneProgress(now);
  }

  /**
   * Forgets non-voters silent for ten election timeouts (a node that left, or fake fetches): the
   * table stays bounded. Returns true when there is room for one more.
   */
  private pruneProgress(now: number): boolean {
    const raft = this.raft;
    const silent = raft.timing.electionTimeoutMs * 10;
    for (const [id, p] of this.progress) {
      if (!raft.isVoter(id) && now - p.lastFetch > silent) {
        this.progress.delete(id);
        this.verified.delete(id);
      }
    }
    return this.progress.size < MAX_PROGRESS;
  }

  /** node id -> monotonic ms when it answered a reach-back probe at its advertised address */
  private readonly verified = new Map<string, number>();
  private readonly probing = new Set<string>();

  /**
   * May this non-voter become a voter? It must have fetched without a gap for two election timeouts
   * and answer a request at the address it advertises (a reach-back probe: a pre-vote request, which
   * changes nothing). A stream of fake FetchStates from an address that serves no node never makes
   * a voter, so fakes that stop cannot break the quorum.
   */
  private eligible(p: Progress, now: number): boolean {
    const raft = this.raft;
    const id = p.info.nodeId;
    if (now - p.since < 2 * raft.timing.electionTimeoutMs) return false;
    const ok = this.verified.get(id);
    if (ok !== undefined && ok >= p.since) return true;
    if (!this.probing.has(id) && this.probing.size < 8) {
      this.probing.add(id);
      const lastIndex = raft.store.lastIndex();
      raft.deps
        .rpc(id, { type: 'VoteRequest', preVote: true, lastIndex, lastTerm: raft.store.termAt(lastIndex) ?? 0, transfer: false }, raft.timing.requestTimeoutMs)
        .then((resp) => {
          if (resp.type === 'VoteResponse' && resp.nodeId === id) this.verified.set(id, raft.clock.monotonic());
          else raft.deps.onRefused?.('voter_probe_failed');
        })
        .catch(() => raft.deps.onRefused?.('voter_probe_failed'))
        .finally(() => this.probing.delete(id));
    }
    return false;
  }

  /**
   * Grows the voter set up to maxVoters with caught-up non-voters, headless nodes first, keeping the
   * size odd where it can: from an odd size it adds only when two candidates are ready (1 -> 3 -> 5).
   */
  private autoGrow(): void {
    const raft = this.raft;
    const cfg = raft.config;
    if (!cfg || raft.configChangePending() || cfg.voters.length >= raft.maxVoters) return;
    const now = raft.clock.monotonic();
    const voterIds = new Set(cfg.voters.map((v) => v.nodeId));
    const ready = [...this.progress.values()]
      .filter((p) => !voterIds.has(p.info.nodeId) && now - p.lastFetch < raft.timing.electionTimeoutMs && p.matchIndex >= raft.commitIndex && this.eligible(p, now))
      .sort((a, b) => Number(b.info.headless) - Number(a.info.headless) || a.info.failoverOrder - b.info.failoverOrder || a.info.nodeId.localeCompare(b.info.nodeId));
    const odd = cfg.voters.length % 2 === 1;
    if (ready.length === 0 || (odd && ready.length < 2 && cfg.voters.length + ready.length < raft.maxVoters)) return;
    const pick = ready[0]!.info;
    const member: Member = { nodeId: pick.nodeId, ip: pick.nodeIP, peerPort: pick.peerPort, apiPort: pick.apiPort, headless: pick.headless };
    raft.changeVoters([...cfg.voters, member], 'auto: add caught-up node as voter', 'system').catch((err: unknown) => {
      raft.logger.debug({ err, node: pick.nodeId }, 'auto voter addition did not complete');
    });
  }

  /**
   * Server hosts outrank laptops as voters. When the voter set is full, a desktop voter holds a seat
   * and a headless node is caught up and fetching outside it, the headless node is added first (one
   * seat over maxVoters for a moment), then a desktop voter leaves: an unreachable one first, never
   * the master itself. Two single-member changes, never one that swaps two members at once (the old
   * and new majorities could be disjoint). Adding first is the safe order: the set never loses a live
   * voter, so even a desktop voter wrongly judged alive (it died a moment ago) leaves the cluster
   * with as many live voters as before; removing first could leave a dead voter and no majority.
   */
  private autoSwap(): void {
    const raft = this.raft;
    const cfg = raft.config;
    if (!cfg || raft.configChangePending() || cfg.voters.length < raft.maxVoters) return;
    const now = raft.clock.monotonic();
    const alive = (id: string) => id === raft.nodeId || now - (this.progress.get(id)?.lastFetch ?? -Infinity) < raft.timing.electionTimeoutMs;
    const voterIds = new Set(cfg.voters.map((v) => v.nodeId));
    const desktops = cfg.voters.filter((v) => !v.headless && v.nodeId !== raft.nodeId);
    if (cfg.voters.length <= raft.maxVoters) this.overfullSince = null;
    else {
      // second step, one election timeout later so that a voter that died lately is seen as dead:
      // a desktop voter (an unreachable one first) leaves
      this.overfullSince ??= now;
      if (now - this.overfullSince < raft.timing.electionTimeoutMs) return;
      const seat = desktops.sort((a, b) => Number(alive(a.nodeId)) - Number(alive(b.nodeId)) || b.nodeId.localeCompare(a.nodeId))[0];
      if (!seat) return;
      raft.logger.info({ leaving: seat.nodeId }, 'a desktop voter gives its seat to a headless node');
      const rest = cfg.voters.filter((v) => v.nodeId !== seat.nodeId);
      raft.changeVoters(rest, `auto: desktop voter ${seat.nodeId} gives its seat to a headless node`, 'system').catch((err: unknown) => {
        raft.logger.debug({ err, node: seat.nodeId }, 'auto voter swap did not complete');
      });
      return;
    }
    if (desktops.length === 0) return;
    const ready = [...this.progress.values()]
      .filter((p) => p.info.headless && !voterIds.has(p.info.nodeId) && alive(p.info.nodeId) && p.matchIndex >= raft.commitIndex && this.eligible(p, now))
      .sort((a, b) => a.info.failoverOrder - b.info.failoverOrder || a.info.nodeId.localeCompare(b.info.nodeId))[0];
    if (!ready) return;
    const pick = ready.info;
    const member: Member = { nodeId: pick.nodeId, ip: pick.nodeIP, peerPort: pick.peerPort, apiPort: pick.apiPort, headless: true };
    raft.logger.info({ joining: pick.nodeId }, 'a headless node takes a desktop voter\'s seat (added first)');
    raft.changeVoters([...cfg.voters, member], `auto: headless node ${pick.nodeId} joins the voters to replace a desktop one`, 'system').catch((err: unknown) => {
      raft.logger.debug({ err, node: pick.nodeId }, 'auto voter swap did not complete');
    });
  }

}
