// What the parts of consensus (follower, leader, proposals, election) see of the Raft they serve:
// its injected dependencies and the narrow RaftCore interface that Raft implements. Only types and
// one pure helper live here, so the parts never import raft.ts (no import cycle).
import type { ApplyResult } from '../board/types.js';
import type { NoQuorumError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Message, MessageType, NodeInfo, Outgoing, Role } from '../protocol/messages.js';
import type { Store } from '../storage/store.js';
import type { Clock, Random } from '../util/clock.js';
import type { StateMachine } from './state-machine.js';
import type { ClusterConfig, LogEntry, Member } from './types.js';

export interface RaftTiming {
  electionTimeoutMs: number;
  fetchMaxWaitMs: number;
  requestTimeoutMs: number;
  commitTimeoutMs: number;
}

export interface RaftHooks {
  onRole(role: Role, term: number): void;
  /** the known master changed, or the link to it came back or broke (staleness flipped) */
  onLeader(leaderId: string | null): void;
  onApplied(entry: LogEntry, result: ApplyResult | null): void;
  onBecameMaster(): void;
  onMasterLost(masterId: string, reason: string): void;
  onSlaveLost(nodeId: string): void;
}

export interface RaftDeps {
  nodeId: string;
  selfInfo: () => NodeInfo;
  store: Store;
  sm: StateMachine;
  clock: Clock;
  random: Random;
  logger: Logger;
  timing: RaftTiming;
  maxVoters: number;
  snapshotEvery: number;
  /** one TCP request to a node (envelope filled by the caller: term defaults to raft.term) */
  rpc: <T extends MessageType>(to: string, msg: Outgoing<T>, timeoutMs: number, term?: number) => Promise<Message>;
  /** election preference of a node as last seen, if known */
  preference: (nodeId: string) => { failoverOrder: number; cpuLoad: number; alive: boolean } | undefined;
  /** a move of this node to a new address is being checked (its old connections break meanwhile) */
  moving?: (nodeId: string) => boolean;
  hooks: RaftHooks;
  /** counts a peer message refused by the consensus rules (metrics), by condition */
  onRefused?: (condition: string) => void;
}

/** The state and operations of a Raft node that its parts read and call (Raft implements it). */
export interface RaftCore {
  readonly deps: RaftDeps;
  readonly nodeId: string;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timing: RaftTiming;
  readonly maxVoters: number;
  readonly hooks: RaftHooks;
  /** the fetch loop (follower.ts): run() starts it when it is not running */
  readonly follower: { run(): Promise<void> };

  readonly role: Role;
  readonly term: number;
  readonly votedFor: string | null;
  readonly leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  config: ClusterConfig | null;
  configIndex: number;
  lastLeaderContact: number;
  leaderConnBroken: boolean;
  readonly stopped: boolean;
  snapshotIndex: number;
  snapshotWeight: number;
  readonly storageFailed: { since: number; what: string; message: string } | null;
  /** pre-votes refused in a row (reset by an answer from a master or an election): paces the retries */
  preVoteFailures: number;

  isVoter(id?: string): boolean;
  quorumSize(): number;
  hasQuorum(): boolean;
  leaderAlive(): boolean;
  configChangePending(): boolean;
  masterMoving(): boolean;
  setLeader(id: string | null): void;
  setRole(role: Role): void;
  setTerm(term: number, votedFor: string | null): void;
  becomeFollower(term: number, leader: string | null, why: string): void;
  stepDown(term: number, why: string): void;
  becomeMaster(): void;
  storageFailure(what: string, err: unknown): void;
  resetElectionTimer(delayMs?: number): void;
  quickElectionDelay(): number;
  reloadConfig(): void;
  adoptConfig(cfg: ClusterConfig, index: number): void;
  changeVoters(voters: Member[], reason: string, by: string): Promise<void>;
  advanceCommit(index: number): void;
  persistCommit(): void;
  noQuorum(): NoQuorumError;
  sleep(ms: number): Promise<void>;
}

/** rows a board snapshot holds: what taking one costs */
export function weightOf(board: { servers?: unknown[]; history?: unknown[] }): number {
  return (board.servers?.length ?? 0) + (board.history?.length ?? 0);
}
