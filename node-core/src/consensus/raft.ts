// Raft-style consensus over seed 000's messages. Terms fence old masters; a master needs a majority
// of voters; only a candidate whose log holds every committed entry can win (election restriction);
// pre-votes keep a cut-off node from disrupting the cluster; slaves pull the log with FetchState
// long polls (KRaft) and a write is acknowledged only once a majority stored it durably.
// Raft holds the state and role changes; its parts (election, follower, leader, proposals,
// snapshotter) see it as RaftCore (raft-core.ts).
import { ErrorCode, NoQuorumError, PeerboardError, StorageError, toPeerboardError } from '../errors.js';
import type { Logger } from '../log.js';
import type { MessageOf, Outgoing, Role } from '../protocol/messages.js';
import type { Store } from '../storage/store.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { Election } from './election.js';
import { Follower } from './follower.js';
import { LeaderState } from './leader.js';
import type { Committed, UncheckedProposal } from './proposals.js';
import { MAX_TERM_JUMP } from './limits.js';
import { Snapshotter } from './snapshotter.js';
import { weightOf, type RaftCore, type RaftDeps, type RaftHooks, type RaftTiming } from './raft-core.js';
import type { ClusterConfig, Member } from './types.js';

/** how often a node whose disk refused a write tries again */
const STORAGE_PROBE_MS = 1000;

export type { RaftDeps, RaftHooks, RaftTiming } from './raft-core.js';

export class Raft implements RaftCore {
  role: Role = 'observer';
  term = 0;
  votedFor: string | null = null;
  leaderId: string | null = null;
  commitIndex = 0;
  appliedIndex = 0;
  config: ClusterConfig | null = null;
  /** index of the entry holding `config` (0 = from the snapshot) */
  configIndex = 0;
  /** monotonic ms of the last StateUpdate from a master */
  lastLeaderContact = Number.NEGATIVE_INFINITY;
  leaderConnBroken = false;
  private leader: LeaderState | undefined;
  stopped = false;
  private persistedCommit = 0;
  /** index covered by the stored snapshot (cached: reading the snapshot parses it) */
  snapshotIndex = 0;
  /** rows in the last snapshot (servers and history): its cost */
  snapshotWeight = 0;
  private commitPersistTimer: TimerHandle | undefined;
  /**
   * Set while the disk refuses writes (disk full, I/O error): the node grants no votes, starts no
   * election and does not lead, since it could not keep what it promised; it keeps serving reads
   * and retries a write every STORAGE_PROBE_MS until the disk takes it again.
   */
  storageFailed: { since: number; what: string; message: string } | null = null;
  private storageProbe: TimerHandle | undefined;

  readonly nodeId: string;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timing: RaftTiming;
  readonly maxVoters: number;
  readonly hooks: RaftHooks;
  readonly follower: Follower;
  readonly election: Election;
  private readonly snapshots: Snapshotter;

  constructor(readonly deps: RaftDeps) {
    this.nodeId = deps.nodeId;
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.timing = deps.timing;
    this.maxVoters = deps.maxVoters;
    this.hooks = deps.hooks;
    this.follower = new Follower(this);
    this.election = new Election(this);
    this.snapshots = new Snapshotter(this);
  }

  // ---------------------------------------------------------------- start, stop, queries

  /** loads term, vote, snapshot and log; a node with a configuration starts as a follower */
  start(): void {
    const hs = this.store.hardState();
    this.term = hs.term;
    this.votedFor = hs.votedFor;
    const snap = this.store.snapshot();
    if (snap) {
      this.snapshotIndex = snap.index;
      this.snapshotWeight = weightOf(snap.board);
      this.deps.sm.restore(snap.board);
      this.commitIndex = this.appliedIndex = snap.index;
      this.config = snap.config;
    }
    this.reloadConfig();
    this.persistedCommit = hs.commitIndex ?? 0;
    if (this.persistedCommit > this.commitIndex) this.advanceCommit(Math.min(this.persistedCommit, this.store.lastIndex()));
    if (this.config) this.becomeFollower(this.term, null, 'start');
  }

  stop(): void {
    this.stopped = true;
    this.election.clear();
    this.clock.clearTimeout(this.storageProbe);
    this.leader?.stop(new PeerboardError(ErrorCode.Unavailable, 'node is shutting down; the write may or may not have been applied', { outcome: 'unknown' }));
    this.leader = undefined;
    this.persistCommit();
  }

  get isMaster(): boolean {
    return this.role === 'master';
  }
  quorumSize(): number {
    return Math.floor((this.config?.voters.length ?? 1) / 2) + 1;
  }
  isVoter(id: string = this.nodeId): boolean {
    return this.config?.voters.some((v) => v.nodeId === id) ?? false;
  }
  configChangePending(): boolean {
    return this.configIndex > this.commitIndex;
  }
  /** index of the master's first entry of its term */
  private termStartIndex = 0;
  /** a master whose first entry of its term committed: its board holds every committed write */
  masterReady(): boolean {
    return this.role === 'master' && this.commitIndex >= this.termStartIndex;
  }

  /**
   * This process did not run for a while and its monotonic clock missed `hiddenMs` of it (a system
   * suspend). Every contact is that much older than the clock says: a follower stops counting its master
   * as live and a master its followers, until fresh answers arrive. (A stop that the monotonic clock
   * counted, like SIGSTOP, needs nothing: the contacts already look old.)
   */
  clockPaused(hiddenMs: number): void {
    if (!(hiddenMs > 0)) return;
    this.lastLeaderContact -= hiddenMs;
    if (this.leader) for (const p of this.leader.progress.values()) p.lastFetch -= hiddenMs;
  }

  /** master: reaches a majority now; others: have a live master */
  hasQuorum(): boolean {
    if (this.role === 'master') return this.leader?.hasQuorum() ?? false;
    return this.leaderAlive();
  }
  leaderAlive(): boolean {
    return this.leaderId !== null && !this.leaderConnBroken && this.clock.monotonic() - this.lastLeaderContact < this.timing.electionTimeoutMs;
  }
  matchIndexOf(id: string): number | undefined {
    return this.leader ? this.leader.matchIndexOf(id) : undefined;
  }
  progress(): LeaderState['progress'] | undefined {
    return this.leader?.progress;
  }

  // ---------------------------------------------------------------- role changes

  setLeader(id: string | null): void {
    if (this.leaderId === id) return;
    this.leaderId = id;
    // a fetch still waiting on the old master (a hung host answers never) must not hold the new one up
    this.follower.interrupt();
    this.hooks.onLeader(id);
  }

  setRole(role: Role): void {
    if (this.role === role) return;
    this.role = role;
    this.hooks.onRole(role, this.term);
  }

  /**
   * Persists a new term and vote. A vote that cannot be written is not given (throws StorageError);
   * a newer term without a vote is still adopted in memory (fencing needs it; without a vote it
   * promises nothing), and the node enters storage-failed mode.
   */
  setTerm(term: number, votedFor: string | null): void {
    try {
      this.store.setHardState({ term, votedFor, commitIndex: this.commitIndex });
    } catch (err) {
      this.storageFailure('term and vote', err);
      if (votedFor !== null && votedFor !== this.votedFor) throw new StorageError(`cannot record the vote on disk: ${toPeerboardError(err).message}`, {}, { cause: err });
      if (term > this.term) {
        this.term = term;
        this.votedFor = null;
      }
      return;
    }
    this.term = term;
    this.votedFor = votedFor;
    this.persistedCommit = this.commitIndex;
  }

  /** a store write failed: stop voting and leading, and probe the disk until it recovers */
  storageFailure(what: string, err: unknown): void {
    const message = toPeerboardError(err).message;
    if (!this.storageFailed) {
      this.storageFailed = { since: this.clock.monotonic(), what, message };
      this.logger.error({ what, err: message }, 'storage write failed: this node stops voting and leading until its disk accepts writes again');
      this.election.clear();
      if (this.role === 'master' || this.role === 'candidate') this.stepDown(this.term, `storage failure (${what})`);
    }
    this.scheduleStorageProbe();
  }

  private scheduleStorageProbe(): void {
    if (this.storageProbe || this.stopped) return;
    this.storageProbe = this.clock.setTimeout(() => {
      this.storageProbe = undefined;
      if (this.stopped || !this.storageFailed) return;
      try {
        // the in-memory vote is only ever one that was persisted, so rewriting it promises nothing new
        this.store.setHardState({ term: this.term, votedFor: this.votedFor, commitIndex: this.persistedCommit });
      } catch {
        this.scheduleStorageProbe();
        return;
      }
      this.logger.info({ downMs: Math.round(this.clock.monotonic() - this.storageFailed.since) }, 'storage accepts writes again: voting and replicating resume');
      this.storageFailed = null;
      this.resetElectionTimer();
      if (this.role !== 'master') void this.follower.run();
    }, STORAGE_PROBE_MS);
  }

  /** adopt a newer term (or stay) and follow `leader` (null: unknown yet) */
  becomeFollower(term: number, leader: string | null, why: string): void {
    if (term > this.term) this.setTerm(term, null);
    if (this.leader) {
      this.leader.stop(new PeerboardError(ErrorCode.Timeout, `this node stopped being master (${why}); the write may or may not have been applied: retry with the same idempotency key`, { outcome: 'unknown' }));
      this.leader = undefined;
    }
    this.setRole(this.isVoter() ? 'slave' : 'observer');
    this.setLeader(leader);
    this.resetElectionTimer();
    void this.follower.run();
  }

  stepDown(term: number, why: string): void {
    this.logger.info({ term, why }, 'stepping down');
    this.becomeFollower(term, null, why);
  }

  becomeMaster(): void {
    this.election.clear();
    this.setRole('master');
    this.setLeader(this.nodeId);
    this.leaderConnBroken = false;
    this.leader = new LeaderState(this);
    this.logger.info({ term: this.term }, 'became master');
    // an entry of the new term commits everything before it (Raft 5.4.2); until it commits, the
    // new master's board may lag what the old master showed, so reads are marked stale
    const [noop] = this.leader.proposals.append([{ kind: 'noop' }]);
    this.termStartIndex = noop!;
    this.hooks.onBecameMaster();
  }

  /** a fresh cluster: this node is its only voter (see the bootstrap rule in node.ts) */
  bootstrap(incarnation: string): void {
    if (this.config || this.store.lastIndex() > 0) throw new PeerboardError(ErrorCode.Conflict, 'this node already belongs to a cluster');
    const self = this.deps.selfInfo();
    const member: Member = { nodeId: self.nodeId, ip: self.nodeIP, peerPort: self.peerPort, apiPort: self.apiPort, headless: self.headless };
    this.setTerm(1, this.nodeId);
    const cfg: ClusterConfig = { incarnation, voters: [member] };
    this.store.append([{ index: 1, term: 1, at: this.clock.now(), kind: 'config', config: cfg, reason: 'bootstrap', by: this.nodeId }]);
    this.config = cfg;
    this.configIndex = 1;
    this.becomeMaster();
  }

  /**
   * Leaves a young cluster for good to join another one with the same cluster id (the merge rule
   * in discovery.ts): the log, term, vote and board are cleared and the node is fresh again. Only
   * called when the cluster holds no board data, so nothing a user wrote is lost.
   */
  dissolve(why: string): void {
    this.logger.warn({ why, incarnation: this.config?.incarnation }, 'dissolving this young cluster to join another');
    this.election.clear();
    this.leader?.stop(new PeerboardError(ErrorCode.Unavailable, 'this node is joining another cluster; retry', { outcome: 'unknown' }));
    this.leader = undefined;
    if (this.store.lastIndex() > 0) this.store.truncateFrom(this.store.firstIndex());
    this.store.setHardState({ term: 0, votedFor: null, commitIndex: 0 });
    this.term = 0;
    this.votedFor = null;
    this.commitIndex = this.appliedIndex = this.persistedCommit = 0;
    this.config = null;
    this.configIndex = 0;
    this.leaderConnBroken = false;
    this.lastLeaderContact = Number.NEGATIVE_INFINITY;
    this.deps.sm.reset();
    this.setLeader(null);
    this.setRole('observer');
  }

  // ---------------------------------------------------------------- elections (election.ts)

  resetElectionTimer(delayMs?: number): void {
    this.election.resetElectionTimer(delayMs);
  }
  quickElectionDelay(): number {
    return this.election.quickElectionDelay();
  }
  handleVoteRequest(msg: MessageOf<'VoteRequest'>): Outgoing<'VoteResponse'> {
    return this.election.handleVoteRequest(msg);
  }
  handleTimeoutNow(msg: MessageOf<'TimeoutNow'>): Outgoing<'TimeoutNowResponse'> {
    return this.election.handleTimeoutNow(msg);
  }
  /** a master's UDP Heartbeat or JoinResponse: learn who leads */
  observeMaster(masterId: string, term: number): void {
    this.election.observeMaster(masterId, term);
  }

  /** pre-votes refused in a row (reset by an answer from a master or an election): paces the retries */
  preVoteFailures = 0;

  /** our master announced a new address that is being checked: it is not gone, it is moving */
  masterMoving(): boolean {
    return this.leaderId !== null && this.leaderId !== this.nodeId && (this.deps.moving?.(this.leaderId) ?? false);
  }

  // ---------------------------------------------------------------- configuration

  /** the latest configuration in the log (Raft uses it as soon as it is appended) */
  reloadConfig(): void {
    const first = this.store.firstIndex();
    for (let i = this.store.lastIndex(); i >= first; i--) {
      const [e] = this.store.entries(i, i);
      if (e?.kind === 'config') {
        this.adoptConfig(e.config, e.index);
        return;
      }
    }
    const snap = this.store.snapshot();
    if (snap) this.adoptConfig(snap.config, 0);
  }

  adoptConfig(cfg: ClusterConfig, index: number): void {
    this.config = cfg;
    this.configIndex = index;
    if (this.role === 'slave' || this.role === 'observer') {
      this.setRole(this.isVoter() ? 'slave' : 'observer');
      if (this.isVoter() && !this.election.armed) this.resetElectionTimer();
    }
  }

  /** master: commits a new voter set (one change at a time) */
  async changeVoters(voters: Member[], reason: string, by: string): Promise<void> {
    if (this.role !== 'master') throw new PeerboardError(ErrorCode.NotLeader, 'only the master changes the voter set', { leaderId: this.leaderId });
    if (this.configChangePending()) throw new PeerboardError(ErrorCode.Conflict, 'another voter change is still being committed; retry in a moment');
    if (voters.length === 0) throw new PeerboardError(ErrorCode.BadRequest, 'the voter set cannot be empty');
    const cfg: ClusterConfig = { incarnation: this.config!.incarnation, voters };
    const [index] = this.leader!.proposals.append([{ kind: 'config', config: cfg, reason, by }]);
    await this.leader!.proposals.waitCommitted(index!);
  }

  /**
   * Admin take-over when a majority is gone for good (like etcd's force-new-cluster): this node
   * starts a new term with a voter set of the given nodes and leads it. Entries only the missing
   * voters had may be lost; the config entry records who did it and why.
   */
  forceNewConfig(voters: Member[], by: string): number {
    if (!voters.some((v) => v.nodeId === this.nodeId)) throw new PeerboardError(ErrorCode.BadRequest, 'run the take-over on one of the nodes that stay voters');
    const incarnation = this.config?.incarnation ?? 'forced';
    this.election.clear();
    this.setTerm(this.term + 1, this.nodeId);
    const index = this.store.lastIndex() + 1;
    this.store.append([{ index, term: this.term, at: this.clock.now(), kind: 'config', config: { incarnation, voters }, reason: 'force-shrink (admin take-over)', by }]);
    this.adoptConfig({ incarnation, voters }, index);
    this.becomeMaster();
    return index;
  }

  // ---------------------------------------------------------------- master: writes

  /**
   * Proposes a board command. Resolves with the board's result once a majority stored it; rejects
   * NO_QUORUM (refused, nothing written) or TIMEOUT (outcome unknown: retry with the same key).
   */
  propose(payload: UncheckedProposal): Promise<Committed> {
    if (this.role !== 'master' || this.stopped || !this.leader) return Promise.reject(new PeerboardError(ErrorCode.NotLeader, 'this node is not the master', { leaderId: this.leaderId }));
    return this.leader.proposals.propose(payload);
  }

  noQuorum(): NoQuorumError {
    const n = this.config?.voters.length ?? 0;
    return new NoQuorumError(`no quorum: this node cannot reach a majority of the voters (${this.quorumSize()} of ${n} needed); the board is read-only until they are back`, {
      voters: this.config?.voters.map((v) => v.nodeId) ?? [],
      leaderId: this.leaderId,
    });
  }

  // ---------------------------------------------------------------- commit and apply

  advanceCommit(index: number): void {
    if (index <= this.commitIndex) return;
    this.commitIndex = index;
    while (this.appliedIndex < this.commitIndex) {
      const batch = this.store.entries(this.appliedIndex + 1, this.commitIndex, 4 * 1024 * 1024);
      if (batch.length === 0) break;
      for (const e of batch) {
        const result = e.kind === 'board' ? this.deps.sm.apply({ index: e.index, at: e.at, cmd: e.cmd, meta: e.meta }) : null;
        this.appliedIndex = e.index;
        this.leader?.proposals.settle(e, result);
        this.hooks.onApplied(e, result);
      }
    }
    if (this.config && !this.isVoter() && this.role === 'master' && !this.configChangePending()) {
      this.stepDown(this.term, 'removed from the voter set');
    }
    this.snapshots.maybeTake();
    this.schedulePersistCommit();
  }

  private schedulePersistCommit(): void {
    if (this.commitPersistTimer || this.stopped) return;
    this.commitPersistTimer = this.clock.setTimeout(() => {
      this.commitPersistTimer = undefined;
      this.persistCommit();
    }, 50);
  }

  persistCommit(): void {
    if (this.commitIndex === this.persistedCommit) return;
    try {
      this.store.setHardState({ term: this.term, votedFor: this.votedFor, commitIndex: this.commitIndex });
      this.persistedCommit = this.commitIndex;
    } catch (err) {
      this.logger.warn({ err }, 'could not persist the commit index');
    }
  }

  // ---------------------------------------------------------------- master: fetches, transfer

  handleFetch(msg: MessageOf<'FetchState'>, srcIp = ''): Promise<Outgoing<'StateUpdate'>> | Outgoing<'StateUpdate'> {
    if (msg.term > this.term) {
      // only a voter's newer term counts (the nudge of a voter that lost an election), by a bounded step
      if (this.isVoter(msg.nodeId) && msg.term - this.term <= MAX_TERM_JUMP) this.stepDown(msg.term, 'a slave has a newer term');
      else {
        this.deps.onRefused?.(this.isVoter(msg.nodeId) ? 'term_jump' : 'term_from_non_voter');
        return { type: 'StateUpdate', ok: false, leaderId: this.role === 'master' ? this.nodeId : this.leaderId, entries: [], commitIndex: this.commitIndex };
      }
    }
    if (this.role !== 'master' || !this.leader) return { type: 'StateUpdate', ok: false, leaderId: this.leaderId, entries: [], commitIndex: this.commitIndex };
    return this.leader.handleFetch(msg, srcIp);
  }

  /** hands mastership to `target` after bringing it up to date; resolves when it leads */
  async transferLeadership(target: string): Promise<void> {
    if (this.role !== 'master' || !this.leader) throw new PeerboardError(ErrorCode.NotLeader, 'only the master can hand over', { leaderId: this.leaderId });
    if (target === this.nodeId) return;
    if (!this.isVoter(target)) throw new PeerboardError(ErrorCode.BadRequest, `node ${target} is not a voter: add it as a voter first (POST /api/cluster/voters)`);
    await this.leader.transfer(target);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimeout(r, ms));
  }
}
