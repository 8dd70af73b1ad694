// The follower's side of replication: pull the log from the master with FetchState long polls,
// append what it sends durably, truncate where the logs diverge, install snapshots, and notice at
// once when the master's connection breaks (a killed master) so that an election starts quickly.
//
// A follower trusts only the master that its voters elected: an answer must come from the node it
// asked, that node must be a voter of its configuration (a fresh node has none yet), and entries or a
// snapshot are taken only for its current term. A term may move forward by at most MAX_TERM_JUMP per
// answer. Anything else is refused, logged once per condition, and the fetch loop backs off.
import { checkBoardSnapshot } from '../board/commands.js';
import { toPeerboardError } from '../errors.js';
import type { Message, MessageOf, Outgoing } from '../protocol/messages.js';
import { TransportError } from '../transport/transport.js';
import { MAX_TERM_JUMP } from './limits.js';
import { type RaftCore, weightOf } from './raft-core.js';
import type { LogEntry, Snapshot } from './types.js';

/** longest pause of the fetch loop after refused answers (doubles from REFUSAL_BACKOFF_MS) */
const REFUSAL_BACKOFF_MS = 10;
/** after a voter answered without naming a master, how long a probe still waits for the others */
const PROBE_GRACE_MS = 50;

export class Follower {
  private fetching = false;
  /** consecutive answers refused: drives the back-off */
  private refusals = 0;
  /** the condition last logged at warn level; the same one again is logged at debug only */
  private lastCondition = '';
  /** refusals not logged at warn since lastCondition was logged */
  suppressed = 0;

  /** ends the wait on the fetch in flight (see interrupt()) */
  private wake: (() => void) | undefined;

  constructor(private readonly raft: RaftCore) {}

  /**
   * Stops waiting for the fetch or probe in flight: the master changed (a vote for a newer term, a hint). A hung
   * master never answers, and waiting out the fetch's own timeout (several seconds) kept a follower from
   * the new master, whose first entry then could not commit: a hung-host failover took 3.2 s, not 1.3.
   */
  interrupt(): void {
    this.wake?.();
  }

  /** the answer, or null when interrupt() came first (the late answer is dropped) */
  private async interruptible<T>(p: Promise<T>): Promise<T | null> {
    const woken = new Promise<null>((resolve) => {
      this.wake = () => resolve(null);
    });
    try {
      return await Promise.race([p, woken]);
    } finally {
      this.wake = undefined;
      p.catch(() => undefined); // a late failure of an abandoned fetch is not an unhandled rejection
    }
  }

  /** logs a refusal once per condition (not once per answer: a hostile peer could flood the log) */
  private refuse(condition: string, detail: Record<string, unknown>): void {
    this.refusals++;
    this.raft.deps.onRefused?.(condition);
    if (condition !== this.lastCondition) {
      this.lastCondition = condition;
      this.raft.logger.warn({ ...detail, condition, suppressedBefore: this.suppressed }, `refused an answer from the master: ${condition}`);
      this.suppressed = 0;
    } else {
      this.suppressed++;
      this.raft.logger.debug({ ...detail, condition }, 'refused an answer from the master (same condition)');
    }
  }

  private backoffMs(): number {
    if (this.refusals === 0) return 0;
    return Math.min(this.raft.timing.electionTimeoutMs, REFUSAL_BACKOFF_MS * 2 ** Math.min(12, this.refusals - 1));
  }

  /** may a node that answered as master move our term to `term`? */
  private mayAdoptTerm(from: string, term: number): boolean {
    if (term <= this.raft.term) return true;
    if (!this.raft.config) return true; // a fresh node learns its first term from the master it joins
    return this.raft.isVoter(from) && term - this.raft.term <= MAX_TERM_JUMP;
  }

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
        let resp: Message | null;
        try {
          resp = await this.interruptible(
            this.raft.deps.rpc(
              leader,
              { type: 'FetchState', node: this.raft.deps.selfInfo(), lastIndex, lastTerm: this.raft.store.termAt(lastIndex) ?? 0, maxWaitMs: this.raft.timing.fetchMaxWaitMs, commitIndex: this.raft.commitIndex },
              this.raft.timing.fetchMaxWaitMs * 4 + this.raft.timing.requestTimeoutMs,
            ),
          );
        } catch (err) {
          if (!this.following()) break;
          this.onFetchError(leader, err);
          await this.raft.sleep(Math.max(5, this.raft.timing.fetchMaxWaitMs / 10));
          continue;
        }
        // the role may have changed while the request was out (elected, stopped): drop the answer
        if (!this.following()) break;
        if (resp === null) continue; // interrupted: the master changed, ask the new one
        if (resp.type === 'StateUpdate') {
          try {
            this.handleStateUpdate(leader, resp);
          } catch (err) {
            this.raft.storageFailure('replication', err);
          }
        } else this.refuse('not a StateUpdate', { leader, type: resp.type });
        if (this.raft.storageFailed) await this.raft.sleep(1000);
        else if (this.refusals > 0) await this.raft.sleep(this.backoffMs());
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
    // a master that announced a new address closes its old connections: not a death, a move
    if (broken && this.raft.masterMoving()) return;
    if (broken && !this.raft.leaderConnBroken) {
      this.raft.leaderConnBroken = true;
      this.raft.logger.info({ leader, code: (err as TransportError).code }, 'connection to master lost');
      this.raft.hooks.onMasterLost(leader, (err as TransportError).code);
      this.raft.hooks.onLeader(leader);
      if (this.raft.isVoter()) this.raft.resetElectionTimer(this.raft.quickElectionDelay());
    }
    if (this.raft.clock.monotonic() - this.raft.lastLeaderContact > this.raft.timing.electionTimeoutMs) this.raft.setLeader(null);
  }

  /**
   * No known master: ask the voters we know; a non-master answers with its leader hint. The first
   * useful answer ends the probe: a hung voter (the old master, frozen) must not hold it up for a
   * whole request timeout.
   */
  private async probeForLeader(): Promise<void> {
    const targets = (this.raft.config?.voters ?? []).filter((v) => v.nodeId !== this.raft.nodeId);
    const lastIndex = this.raft.store.lastIndex();
    const fetch: Outgoing<'FetchState'> = { type: 'FetchState', node: this.raft.deps.selfInfo(), lastIndex, lastTerm: this.raft.store.termAt(lastIndex) ?? 0, maxWaitMs: 0, commitIndex: this.raft.commitIndex };
    const found = await this.interruptible(new Promise<boolean>((resolve) => {
      let pending = targets.length;
      if (pending === 0) resolve(false);
      let graced = false;
      for (const t of targets) {
        this.raft.deps
          .rpc(t.nodeId, fetch, this.raft.timing.requestTimeoutMs)
          .then((answer) => {
            if (this.followHint(t.nodeId, answer)) resolve(true);
            // an answer without a master (an election is on): ask again soon rather than wait for a
            // voter that does not answer at all
            else if (!graced) {
              graced = true;
              this.raft.clock.setTimeout(() => resolve(false), PROBE_GRACE_MS);
            }
          }, () => undefined)
          .finally(() => {
            if (--pending === 0) resolve(false);
          });
      }
    }));
    // interrupted (null): a master became known another way (its heartbeat, a vote): go fetch from it
    if (found === false) await this.interruptible(this.raft.sleep(Math.max(20, this.raft.timing.fetchMaxWaitMs / 2)));
  }

  /** follows the master that voter `asked` names in its answer, when that is allowed; true if it did */
  private followHint(asked: string, a: Message): boolean {
    if (!this.following() || this.raft.leaderId) return false;
    if (a.type !== 'StateUpdate' || a.term < this.raft.term) return false;
    // only a voter we asked may point us to a master, and only to a voter
    if (a.nodeId !== asked || !this.mayAdoptTerm(a.nodeId, a.term)) return false;
    const hint = a.ok ? a.nodeId : a.leaderId;
    if (!hint || hint === this.raft.nodeId || !this.raft.isVoter(hint)) return false;
    if (a.term > this.raft.term) this.raft.setTerm(a.term, null);
    this.raft.setLeader(hint);
    return true;
  }

  private handleStateUpdate(leader: string, resp: MessageOf<'StateUpdate'>): void {
    if (resp.nodeId !== leader) return this.refuse('answer from another node than the one asked', { leader, from: resp.nodeId });
    if (!this.mayAdoptTerm(leader, resp.term)) {
      const why = this.raft.isVoter(leader) ? `term ${resp.term} jumps too far ahead of ${this.raft.term}` : 'the answering node is not a voter';
      this.raft.setLeader(null);
      return this.refuse(why, { leader, term: resp.term });
    }
    if (resp.term > this.raft.term) this.raft.setTerm(resp.term, null);
    if (!resp.ok || resp.term < this.raft.term) {
      const hint = resp.ok ? null : resp.leaderId;
      this.raft.setLeader(hint && hint !== this.raft.nodeId && (!this.raft.config || this.raft.isVoter(hint)) ? hint : null);
      if (!resp.ok) this.refusals++;
      return;
    }
    const wasAlive = this.raft.leaderAlive();
    if (this.raft.leaderId !== leader) this.raft.setLeader(leader);
    this.raft.lastLeaderContact = this.raft.clock.monotonic();
    this.raft.leaderConnBroken = false;
    this.raft.preVoteFailures = 0;
    // a master learnt from a hint becomes live only with its first answer: say so at once
    if (!wasAlive) this.raft.hooks.onLeader(leader);
    this.raft.resetElectionTimer();
    if (resp.snapshot) {
      if (!this.installSnapshot(resp.snapshot as unknown as Snapshot)) return;
      this.accepted();
      return;
    }
    if (resp.diverging) {
      this.truncateAfter(resp.diverging.index, resp.diverging.term);
      this.accepted();
      return;
    }
    const entries = resp.entries as LogEntry[];
    if (entries.length > 0) {
      if (entries[0]!.index !== this.raft.store.lastIndex() + 1) return this.refuse('entries do not follow my log', { leader, first: entries[0]!.index, last: this.raft.store.lastIndex() });
      for (let i = 1; i < entries.length; i++) {
        if (entries[i]!.index !== entries[i - 1]!.index + 1 || entries[i]!.term < entries[i - 1]!.term) return this.refuse('entries out of order', { leader, at: entries[i]!.index });
      }
      if (entries[entries.length - 1]!.term > this.raft.term) return this.refuse('entries of a newer term than the master', { leader });
      this.raft.store.append(entries);
      for (const e of entries) if (e.kind === 'config') this.raft.adoptConfig(e.config, e.index);
    }
    this.accepted();
    const newCommit = Math.min(resp.commitIndex, this.raft.store.lastIndex());
    if (newCommit > this.raft.commitIndex) this.raft.advanceCommit(newCommit);
  }

  /** an answer was taken: the back-off and the refusal condition reset */
  private accepted(): void {
    if (this.lastCondition !== '') {
      this.raft.logger.info({ suppressed: this.suppressed, was: this.lastCondition }, 'answers from the master are accepted again');
      this.lastCondition = '';
      this.suppressed = 0;
    }
    this.refusals = 0;
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

  /** installs a snapshot after checking it; false when it was refused */
  private installSnapshot(snap: Snapshot): boolean {
    if (snap.index <= this.raft.commitIndex) return false;
    if (snap.term > this.raft.term) {
      this.refuse('snapshot of a newer term than the master', { index: snap.index, term: snap.term });
      return false;
    }
    const checked = checkBoardSnapshot(snap.board);
    if (!checked.ok) {
      this.refuse('snapshot does not hold a valid board', { index: snap.index, issues: checked.issues });
      return false;
    }
    if (snap.config.voters.length === 0) {
      this.refuse('snapshot has an empty voter set', { index: snap.index });
      return false;
    }
    const before = this.raft.deps.sm.snapshot();
    try {
      this.raft.deps.sm.restore(snap.board);
    } catch (err) {
      this.raft.deps.sm.restore(before);
      this.refuse('snapshot cannot be restored', { index: snap.index, err: toPeerboardError(err).message });
      return false;
    }
    try {
      this.raft.store.saveSnapshot(snap);
    } catch (err) {
      this.raft.deps.sm.restore(before); // the board must not run ahead of what the disk holds
      throw err;
    }
    this.raft.snapshotIndex = snap.index;
    this.raft.snapshotWeight = weightOf(snap.board);
    this.raft.commitIndex = this.raft.appliedIndex = snap.index;
    this.raft.config = snap.config;
    this.raft.configIndex = 0;
    this.raft.reloadConfig();
    this.raft.persistCommit();
    this.raft.logger.info({ index: snap.index }, 'installed snapshot from master');
    return true;
  }
}
