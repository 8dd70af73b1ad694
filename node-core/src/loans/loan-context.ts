// What the loan roles (borrower, lender, worker) see of their node and of each other: the node's side
// (LoanHost: board, role, monitoring), the loan settings, and the shared parts the manager owns
// (neighbour table, clients, counters, the commit helper). Types and tiny helpers only.
import type { Logger } from '../log.js';
import type { FarmLoad as MonitorFarmLoad } from '../monitoring/load.js';
import type { CheckDef, CheckResult } from '../monitoring/types.js';
import type { LendCandidate } from './loan-policy.js';
import type { Neighbour, NeighbourTable } from './neighbours.js';
import type { NeighbourClient } from './loan-client.js';
import type { Loan, LoanCommand, LoanEndReason, LoansData, LocationLoad } from './types.js';

/** the loan settings of config.ts, as the manager uses them */
export interface LoanSettings {
  /** false: this farm neither borrows nor lends (the port still answers, the worker role still runs) */
  enabled: boolean;
  port: number;
  bindAddress: string;
  neighbours: readonly string[];
  key: string | undefined;
  lagMs: number;
  cpu: number;
  sustainMs: number;
  maxWorkers: number;
  leaseMs: number;
  heartbeatMs: number;
  connectMs: number;
}

/** a check result as a guest reports it to its borrower */
export interface GuestResult {
  checkId: number;
  status: 'UP' | 'DOWN';
  responseTime: number;
  at: number;
  error: string | null;
}

/** the farm's load as monitoring computes it on the master (the part the loan policies read) */
export type FarmLoad = Pick<MonitorFarmLoad, 'pool' | 'home' | 'guests' | 'lagP99Ms' | 'cpu' | 'utilisation' | 'needed'>;

export interface GuestRunner {
  setChecks(checks: readonly CheckDef[]): void;
  stop(): void;
}

/** monitoring's side of loans (MonitorNode, see the assign branch) */
export interface LoanMonitor {
  attachGuest(g: { workerId: string; location: string; sendWork(checks: CheckDef[]): void }): void;
  detachGuest(workerId: string): void;
  ingestGuest(workerId: string, results: GuestResult[], load?: LocationLoad): void;
  farmLoad(): FarmLoad;
  assignedCount(nodeId: string): number;
  runGuest(onResult: (r: CheckResult, check: CheckDef) => void): GuestRunner | null;
  localLoad(): LocationLoad;
}

/** what the loan manager needs of its node */
export interface LoanHost {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly location: string;
  readonly log: Logger;
  now(): number;
  isMaster(): boolean;
  /** master with quorum and its term's first entry committed */
  canPropose(): boolean;
  /** "ip:loanPort" of this farm's master as this node knows it (a follower's MASTER_ADDRESS), or null */
  masterLoanAddress(): string | null;
  /** this node's address others reach it at */
  address(): string;
  loans(): Readonly<LoansData>;
  /** commits a loan command (through the master) as `user` (default system); rejects when refused or not committed */
  submit(cmd: LoanCommand, reqId: string, user?: string): Promise<unknown>;
  /** this farm's nodes as lending candidates (the master's view) */
  homeNodes(): LendCandidate[];
  /** null: a node without monitoring (it neither borrows nor lends work) */
  readonly monitor: LoanMonitor | null;
}

/** the shared parts the roles use (owned by LoanManager) */
export interface LoanContext {
  host: LoanHost;
  settings: LoanSettings;
  neighbours: NeighbourTable;
  /** the client that talks to a neighbour's master (one per address:port) */
  client(address: string, port: number): NeighbourClient;
  /** the neighbour entry of a loan's other farm (added when missing) */
  neighbourOf(loan: Loan): Neighbour;
  /** commits a loan-end once (idempotent: same reqId), counting it */
  end(loan: Loan, reason: LoanEndReason, by?: string): Promise<boolean>;
  count(event: string, n?: number): void;
}

/** the active loans of a direction */
export function activeLoans(data: Readonly<LoansData>, direction: 'in' | 'out'): Loan[] {
  return [...data.active.values()].filter((l) => l.direction === direction);
}

const SAFE_ID = /^[A-Za-z0-9._:@-]{1,64}$/;
/** an id another farm sent, if the board can hold it (else null) */
export function safeId(s: string | undefined | null): string | null {
  return typeof s === 'string' && SAFE_ID.test(s) ? s : null;
}

const SAFE_LOAN_ID = /^[A-Za-z0-9._:@-]{1,200}$/;
/**
 * a loan id another farm sent, if the board can hold it (else null). Longer than other ids: a Peerboard
 * lender's is `<master uuid>:<worker uuid>:<ms>` (87 characters). Capped at 64 like the others, every
 * real loan id was refused and the borrower made up its own, so the farms never named the same loan in
 * their heartbeats and no lease was renewed (found by test/cluster/loans-netns.test.ts).
 */
export function safeLoanId(s: string | undefined | null): string | null {
  return typeof s === 'string' && SAFE_LOAN_ID.test(s) ? s : null;
}
