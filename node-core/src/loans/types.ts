// Worker loans between farms (seed 004, issue 13): the shapes every part shares. A farm is a cluster,
// its master is the seed's master, its workers are its nodes and its work is its monitoring checks.
// Loans are replicated board entities on both sides; the wire is line-JSON TCP on the loan port.
// Types and constants only: the renderer imports this file through api/peer-api.ts.

/** seed 004's port for master <-> master and worker -> borrower traffic (`--loan-port`) */
export const DEFAULT_LOAN_PORT = 8781;
/** one line (one JSON object, UTF-8, `\n`-terminated) is at most this many bytes */
export const MAX_LINE_BYTES = 64 * 1024;
/** a WORKER_REQUEST for more than this (or for fewer than 1) is refused with a NACK */
export const MAX_WORKERS_PER_REQUEST = 64;
/** at most this many active loans (in + out) on one board */
export const MAX_ACTIVE_LOANS = 256;
/** ended loans kept on the board for the views (the history keeps every one) */
export const MAX_ENDED_LOANS = 200;

export type LoanDirection = 'out' | 'in';
/**
 * returned: the borrower gave it back (its load fell);
 * recalled: the lender took it back (its own needs, an admin, maintenance);
 * expired: the lease ran out without renewal;
 * lost: the worker or the other farm stopped answering;
 * refused: the other side did not know the loan (a worker connected to a borrower that had ended it).
 */
export type LoanEndReason = 'returned' | 'recalled' | 'expired' | 'lost' | 'refused';

/** the other farm of a loan */
export interface LoanPeer {
  /** its cluster id; null for a foreign (seed-only) master that did not send one */
  clusterId: string | null;
  /** seed 004's MASTER_UUID of the lender, or the borrower master's node id when Peerboard knows it */
  masterId: string | null;
  /** the address its master was reached at (IP) */
  address: string;
  /** its loan port */
  loanPort: number;
  /** true when it spoke Peerboard's extensions (authenticated when keys are set) */
  peerboard: boolean;
}

/** One loan, as replicated on one side. `out`: this farm lent `workerId`; `in`: this farm borrowed it. */
export interface Loan {
  /** the same id on both sides for Peerboard farms: `${lenderMaster}:${workerId}:${sinceMs}` */
  id: string;
  direction: LoanDirection;
  /** seed 004's WORKER_UUID (a Peerboard node id) */
  workerId: string;
  /** the worker's node name or location label, when known */
  workerName: string | null;
  peer: LoanPeer;
  /** ms since the epoch (the committing entry's time) */
  since: number;
  /** lease end, ms since the epoch; renewed while the farms hear each other */
  until: number;
  state: 'active' | 'ended';
  endedAt: number | null;
  endReason: LoanEndReason | null;
}

/** board commands of loans (validated before the log: see board-loans.ts) */
export type LoanCommand =
  | { type: 'loan-start'; loan: Omit<Loan, 'since' | 'until' | 'state' | 'endedAt' | 'endReason'> & { leaseMs: number } }
  | { type: 'loan-renew'; id: string; leaseMs: number }
  | { type: 'loan-end'; id: string; reason: LoanEndReason };

/** one loan as the views show it: the replicated record plus what this node sees live */
export interface LoanView extends Loan {
  /** borrower: the worker's link is up; lender: the worker reports it is connected to the borrower */
  connected: boolean;
  /** ISO time the worker (or the other master) was last heard, as far as this node knows */
  lastSeen: string | null;
  /** borrower: checks assigned to this worker now */
  checks: number;
}

/** a neighbouring farm's master */
export interface NeighbourView {
  clusterId: string | null;
  masterId: string | null;
  address: string;
  loanPort: number;
  /** lan: heard in another cluster's heartbeat; config: from `loanNeighbours` */
  source: 'lan' | 'config';
  /** answered its last heartbeats (down after LOAN_MISSED_HEARTBEATS misses) */
  up: boolean;
  lastSeen: string | null;
  /** spoke Peerboard's authenticated extensions */
  trusted: boolean;
}

/** this farm's load as its master sees it, and why it borrows or lends */
export interface FarmLoadView {
  /** locations running this farm's checks: home ones (not lent) plus borrowed workers */
  pool: number;
  home: number;
  borrowed: number;
  lent: number;
  /** the worst location's check start lag p99 (ms), over its last report */
  lagP99Ms: number;
  /** the busiest location's CPU, as a fraction of one core */
  cpu: number;
  /** probe slots in use summed over the pool, in workers (1.0 = one location fully busy) */
  utilisation: number;
  /** locations the load needs at the target utilisation (the lender never lends below this) */
  needed: number;
  /** since when the farm has been over a threshold (ISO), or null */
  saturatedSince: string | null;
}

export interface LoansView {
  clusterId: string;
  /** this node is the farm's master (only the master negotiates; others show the replicated loans) */
  master: boolean;
  loanPort: number;
  load: FarmLoadView | null;
  neighbours: NeighbourView[];
  active: LoanView[];
  /** ended loans, newest first */
  recent: LoanView[];
  counters: Record<string, number>;
}

/**
 * What the edges (HTTP, IPC, CLI via HTTP, the demo fake) use of a node's loans. Implemented by the
 * node's LoanManager; errors are thrown as PeerboardError (NotFound, BadRequest, NotLeader, Forbidden).
 */
export interface LoansControl {
  view(): LoansView;
  /** lender side (an `out` loan): take the worker back now */
  recall(id: string, by: string): Promise<void>;
  /** borrower side (an `in` loan): give the worker back now */
  giveBack(id: string, by: string): Promise<void>;
}

/** loans as the board replicates them (board-loans.ts applies LoanCommands to it) */
export interface LoansData {
  /** by loan id */
  active: Map<string, Loan>;
  /** ended loans, oldest first, at most MAX_ENDED_LOANS */
  ended: Loan[];
}

/** a location's load, carried in its reports (home locations) and in a lent worker's ALIVE lines */
export interface LocationLoad {
  /** check start lag p99 over the last window, ms */
  lagP99Ms: number;
  /** process CPU over the last window, fraction of one core */
  cpu: number;
  /** probe slots in use / concurrency over the last window (0..1) */
  utilisation: number;
  /**
   * work offered, in locations (monitoring/load.ts demandOf): utilisation scaled by rounds due / rounds
   * started, so a saturated location reads above 1. Optional: absent, read as utilisation.
   */
  demand?: number;
}

/** another cluster's heartbeat heard on the LAN (unauthenticated: a hint only) */
export interface ForeignHeartbeat {
  clusterId: string;
  nodeId: string;
  /** the sender says it is its cluster's master */
  master: boolean;
  /** the packet's source address */
  address: string;
  /** the loan port its heartbeat advertised, if any */
  loanPort: number | null;
}
