// Elections: the election timer and its ladder (the preferred voter campaigns first), pre-votes and
// votes (campaign, collectVotes), the answers to VoteRequest and TimeoutNow, and what a master's
// heartbeat tells a voter (observeMaster). It sees the node through RaftCore, never raft.ts.
import type { MessageOf, Outgoing, Role } from '../protocol/messages.js';
import type { TimerHandle } from '../util/clock.js';
import { MAX_TERM_JUMP } from './limits.js';
import type { RaftCore } from './raft-core.js';

/**
 * Orders two voters' CPU loads for the election ladder. Each voter compares its own load now with the
 * other's last reported one, so small differences would rank both first (and split the vote): loads
 * within CPU_DEAD_BAND count as equal and the node id decides.
 */
const CPU_DEAD_BAND = 0.2;
function cpuOrder(a: number, b: number): number {
  return Math.abs(a - b) > CPU_DEAD_BAND ? a - b : 0;
}

export class Election {
  private electionTimer: TimerHandle | undefined;
  private lastNudge = Number.NEGATIVE_INFINITY;

  constructor(private readonly raft: RaftCore) {}

  /** an election is scheduled */
  get armed(): boolean {
    return this.electionTimer !== undefined;
  }

  /** no election until the timer is reset again */
  clear(): void {
    this.raft.clock.clearTimeout(this.electionTimer);
    this.electionTimer = undefined;
  }

  resetElectionTimer(delayMs?: number): void {
    this.raft.clock.clearTimeout(this.electionTimer);
    this.electionTimer = undefined;
    if (this.raft.stopped || this.raft.role === 'master' || !this.raft.isVoter() || this.raft.storageFailed) return;
    const d = delayMs ?? this.raft.timing.electionTimeoutMs + this.electionStagger();
    this.electionTimer = this.raft.clock.setTimeout(() => void this.campaign(false), d);
  }

  /** one step of the election ladder: the ranked voters campaign this far apart */
  private electionStep(): number {
    return Math.max(10, this.raft.timing.electionTimeoutMs / 8);
  }

  /** this node's place among the live voters other than the master, the preferred (failover order, CPU, id) first */
  private electionRank(): number {
    const voters = (this.raft.config?.voters ?? []).filter((v) => v.nodeId !== this.raft.leaderId);
    const ranked = voters
      .map((v) => ({ id: v.nodeId, p: v.nodeId === this.raft.nodeId ? { ...this.raft.deps.selfInfo(), alive: true } : this.raft.deps.preference(v.nodeId) }))
      .filter((x) => x.p?.alive)
      .sort((a, b) => a.p!.failoverOrder - b.p!.failoverOrder || cpuOrder(a.p!.cpuLoad, b.p!.cpuLoad) || a.id.localeCompare(b.id));
    return Math.max(0, ranked.findIndex((x) => x.id === this.raft.nodeId));
  }

  /**
   * How long after the election timeout this voter campaigns when its master falls silent (a hung
   * host: no reset, no close). Voters go one step apart by rank, with jitter over two steps, so the
   * preferred survivor campaigns first and votes rarely split; the whole ladder stays within
   * (voters) steps instead of Raft's usual [T, 2T] spread, which is what made a hung master cost 3 s.
   */
  electionStagger(): number {
    return this.electionRank() * this.electionStep() + this.raft.deps.random() * 2 * this.electionStep();
  }

  /** after a master's connection broke: elect soon, the preferred (failover order, CPU, id) first */
  quickElectionDelay(): number {
    const step = this.electionStep();
    return this.electionRank() * step + this.raft.deps.random() * (step / 2);
  }

  /**
   * A voter refuses to help unseat a master it heard from this recently. Shorter than the election
   * timeout by one long-poll cycle (plus a margin): the voters' last answers from a master differ by up
   * to one fetch cycle, so a candidate whose timeout has just run out must find the others agreeing,
   * not still inside their own timeout (which cost a whole second round before). Still far above the
   * fetch cadence, so a single late answer does not unseat a live master.
   */
  voteQuietMs(): number {
    const t = this.raft.timing.electionTimeoutMs;
    return t - Math.min(t / 2, this.raft.timing.fetchMaxWaitMs + 100);
  }

  /** heard from a live master within voteQuietMs() (see there) */
  private masterHeardRecently(): boolean {
    return this.raft.leaderId !== null && !this.raft.leaderConnBroken && this.raft.clock.monotonic() - this.raft.lastLeaderContact < this.voteQuietMs();
  }

  async campaign(transfer: boolean): Promise<void> {
    if (this.raft.stopped || this.raft.role === 'master' || !this.raft.isVoter() || this.raft.storageFailed) return;
    this.resetElectionTimer();
    if (!transfer && this.raft.masterMoving()) return; // wait for the move check (about a second)
    if (!transfer) {
      const ok = await this.collectVotes(true, this.raft.term + 1, false);
      if (!ok && !this.raft.stopped && (this.raft.role as Role) !== 'master' && !this.raft.leaderAlive()) {
        // the others still heard from the master a moment ago (their last answers came up to one long
        // poll after ours): ask again soon, backing off to the election timeout (a node cut off alone
        // keeps asking at that pace); a pre-vote changes no term, so asking costs nothing but a message
        this.raft.preVoteFailures++;
        this.resetElectionTimer(Math.min(this.raft.timing.electionTimeoutMs, (this.raft.timing.fetchMaxWaitMs + 100) * 2 ** (this.raft.preVoteFailures - 1)) + this.raft.deps.random() * this.electionStep());
      }
      if (!ok || this.raft.stopped || (this.raft.role as Role) === 'master' || this.raft.leaderAlive() || this.raft.storageFailed) return;
    }
    this.raft.preVoteFailures = 0;
    const electionTerm = this.raft.term + 1;
    try {
      this.raft.setTerm(electionTerm, this.raft.nodeId);
    } catch {
      return; // storage failure: logged, and the node is in storage-failed mode
    }
    this.raft.setRole('candidate');
    this.raft.setLeader(null);
    // a split vote (two voters campaigned at once) is retried after a quarter to half a timeout, not a
    // whole one: a majority already agreed in the pre-vote that the master is gone
    this.resetElectionTimer((this.raft.timing.electionTimeoutMs / 4) * (1 + this.raft.deps.random()));
    this.raft.logger.info({ term: electionTerm, transfer }, 'starting election');
    const won = await this.collectVotes(false, electionTerm, transfer);
    if (won && this.raft.role === 'candidate' && this.raft.term === electionTerm && !this.raft.stopped) this.raft.becomeMaster();
  }

  private collectVotes(preVote: boolean, term: number, transfer: boolean): Promise<boolean> {
    const voters = this.raft.config?.voters ?? [];
    const need = this.raft.quorumSize();
    let granted = voters.some((v) => v.nodeId === this.raft.nodeId) ? 1 : 0;
    if (granted >= need) return Promise.resolve(true);
    const others = voters.filter((v) => v.nodeId !== this.raft.nodeId);
    const lastIndex = this.raft.store.lastIndex();
    const lastTerm = this.raft.store.termAt(lastIndex) ?? 0;
    return new Promise((resolve) => {
      let left = others.length;
      let done = false;
      const finish = (v: boolean) => {
        if (!done) {
          done = true;
          resolve(v);
        }
      };
      for (const v of others) {
        this.raft.deps
          .rpc(v.nodeId, { type: 'VoteRequest', preVote, lastIndex, lastTerm, transfer }, this.raft.timing.requestTimeoutMs, term)
          .then((resp) => {
            if (resp.type !== 'VoteResponse' || resp.nodeId !== v.nodeId) return;
            if (resp.granted) {
              if (++granted >= need) finish(true);
            } else if (resp.term > this.raft.term && resp.term - this.raft.term <= MAX_TERM_JUMP && !(preVote && resp.term === term)) {
              this.raft.becomeFollower(resp.term, null, 'vote refused by a node with a newer term');
              finish(false);
            }
          })
          .catch(() => undefined)
          .finally(() => {
            if (--left === 0) finish(granted >= need);
          });
      }
    });
  }

  handleVoteRequest(msg: MessageOf<'VoteRequest'>): Outgoing<'VoteResponse'> {
    const lastIndex = this.raft.store.lastIndex();
    const lastTerm = this.raft.store.termAt(lastIndex) ?? 0;
    const upToDate = msg.lastTerm > lastTerm || (msg.lastTerm === lastTerm && msg.lastIndex >= lastIndex);
    const knowsCandidate = !this.raft.config || this.raft.isVoter(msg.nodeId);
    const leaderLive = this.raft.role === 'master' ? this.raft.hasQuorum() : this.masterHeardRecently();
    const deny = (reason: string): Outgoing<'VoteResponse'> => ({ type: 'VoteResponse', preVote: msg.preVote, granted: false, reason });
    if (!knowsCandidate) return deny('candidate is not a voter in my configuration');
    if (this.raft.storageFailed) return deny('my disk refuses writes: I cannot vote');
    if (msg.term > this.raft.term + MAX_TERM_JUMP) return deny(`term ${msg.term} jumps too far ahead of mine (${this.raft.term})`);
    if (!msg.transfer && this.raft.masterMoving()) return deny('my master is moving to a new address');
    if (msg.preVote) {
      if (msg.term <= this.raft.term) return deny('term is not newer than mine');
      if (!upToDate) return deny('candidate log is behind mine');
      if (leaderLive && !msg.transfer) return deny('I still hear from a live master');
      return { type: 'VoteResponse', preVote: true, granted: true, reason: 'ok' };
    }
    if (msg.term < this.raft.term) return deny('stale term');
    if (msg.term > this.raft.term) {
      if (leaderLive && !msg.transfer) return deny('I still hear from a live master');
      this.raft.becomeFollower(msg.term, null, 'newer term in a vote request');
    }
    if ((this.raft.votedFor === null || this.raft.votedFor === msg.nodeId) && upToDate) {
      try {
        this.raft.setTerm(this.raft.term, msg.nodeId);
      } catch {
        return deny('my disk refuses writes: I cannot vote');
      }
      this.resetElectionTimer();
      return { type: 'VoteResponse', preVote: false, granted: true, reason: 'ok' };
    }
    return deny(upToDate ? `already voted for ${this.raft.votedFor}` : 'candidate log is behind mine');
  }

  /** leadership transfer: the master tells us to campaign now */
  handleTimeoutNow(msg: MessageOf<'TimeoutNow'>): Outgoing<'TimeoutNowResponse'> {
    // only the master of this term may hand over to us (a replay from an older term does nothing)
    const ok = msg.term === this.raft.term && msg.nodeId === this.raft.leaderId && this.raft.isVoter() && this.raft.role !== 'master' && !this.raft.storageFailed;
    if (ok) void this.campaign(true);
    return { type: 'TimeoutNowResponse', accepted: ok };
  }

  /** a master's UDP Heartbeat or JoinResponse: learn who leads */
  observeMaster(masterId: string, term: number): void {
    if (masterId === this.raft.nodeId) return;
    if (!this.raft.config) {
      // a fresh node learns who leads but takes its first term only from that master's answer (TCP)
      if (this.raft.leaderId !== masterId) {
        this.raft.setLeader(masterId);
        void this.raft.follower.run();
      }
      return;
    }
    // only a voter can be master, and one message moves the term by a bounded step
    if (!this.raft.isVoter(masterId)) return void this.raft.deps.onRefused?.('master_not_voter');
    if (term > this.raft.term + MAX_TERM_JUMP) return void this.raft.deps.onRefused?.('term_jump');
    if (term < this.raft.term) {
      this.nudgeStaleMaster(masterId);
      return;
    }
    if (term > this.raft.term) {
      this.raft.becomeFollower(term, masterId, 'heartbeat of a newer term');
      return;
    }
    if (this.raft.role === 'master') {
      this.raft.logger.error({ other: masterId, term }, 'another master in my term: this must never happen');
      return;
    }
    if (this.raft.role === 'candidate') this.raft.becomeFollower(term, masterId, 'a master was elected');
    else if (this.raft.leaderId !== masterId) {
      this.raft.setLeader(masterId);
      void this.raft.follower.run();
    }
  }

  /**
   * We hold a newer term (an election that failed, e.g. our log was behind) while a master of an
   * older term still leads the others, who ignore our votes because they hear from it. Show it our
   * term (as etcd does with check-quorum) so it steps down and the others elect a master in a term
   * that we can follow. Rate-limited to once per election timeout.
   */
  private nudgeStaleMaster(masterId: string): void {
    if (!this.raft.isVoter() || this.raft.leaderAlive()) return;
    const now = this.raft.clock.monotonic();
    if (now - this.lastNudge < this.raft.timing.electionTimeoutMs) return;
    this.lastNudge = now;
    const lastIndex = this.raft.store.lastIndex();
    const fetch: Outgoing<'FetchState'> = { type: 'FetchState', node: this.raft.deps.selfInfo(), lastIndex, lastTerm: this.raft.store.termAt(lastIndex) ?? 0, maxWaitMs: 0, commitIndex: this.raft.commitIndex };
    this.raft.logger.info({ master: masterId, term: this.raft.term }, 'a master of an older term leads: showing it our newer term');
    this.raft.deps.rpc(masterId, fetch, this.raft.timing.requestTimeoutMs).catch(() => undefined);
  }
}
