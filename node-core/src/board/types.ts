// The replicated board's data model: seed 000's ServersData / UserRequests shapes (field names kept
// exactly, extensions are extra fields) and the commands that the replicated log carries.
import type { ErrorValue } from '../errors.js';
import type { LoanCommandValues } from '../loans/board-loans.js';
import type { LoansSnapshot } from '../loans/loans-snapshot.js';
import type { LoanCommand } from '../loans/types.js';
import type { MonitorCommand, MonitorCommandValues, MonitoringSnapshot } from '../monitoring/types.js';

/** Seconds since the Unix epoch: the unit seed 000 uses for lastUpdate, since and timestamp. */
export type EpochSeconds = number;

/** Status shown on the board. `action` of seed 000 carries one of these words. */
export const ServerStatus = {
  Available: 'Available',
  Reserved: 'Reserved',
  Maintenance: 'Maintenance',
  Down: 'Down',
  OnLoan: 'On loan',
} as const;
export type ServerStatus = (typeof ServerStatus)[keyof typeof ServerStatus];

/** One server row. The first eight fields are seed 000's; the rest are Peerboard's additions. */
export interface Server {
  host: string;
  app: string;
  ip: string;
  env: string;
  /** true when nobody holds it and it is not in maintenance */
  available: boolean;
  /** a ServerStatus word */
  action: string;
  /** when the current state (hold, maintenance, availability) began; 0 = never changed */
  since: EpochSeconds;
  comment: string;
  /** who holds it now, or null */
  holder: string | null;
  /** when the current hold ends, or null */
  until: EpochSeconds | null;
  maintenance: boolean;
  /** users waiting for it, first in line first */
  queue: QueueEntry[];
  /** node id the holder reserved from (extension) */
  holderNode: string | null;
  /** while in maintenance: why (the maintenance command's reason; '' when none was given) */
  maintenanceReason?: string;
  /** while in maintenance: who put it there */
  maintenanceBy?: string;
  /** while in maintenance: since when */
  maintenanceSince?: EpochSeconds;
}

export interface QueueEntry {
  user: string;
  /** how long the hold lasts once granted */
  durationSec: number;
  comment: string;
  since: EpochSeconds;
}

/** Seed 000's ServersData. */
export interface ServersData {
  lastUpdate: EpochSeconds;
  serversList: Server[];
}

/** Inventory fields an admin may set (seed 000's descriptive fields). */
export interface ServerInput {
  host: string;
  app?: string;
  ip?: string;
  env?: string;
  comment?: string;
  maintenance?: boolean;
}

/** Seed 000's UserRequests entry, extended: the audit history of every operation. */
export interface UserRequest {
  nodeIP: string;
  timestamp: EpochSeconds;
  operation: string;
  serverHost: string;
  comment: string;
  /** extensions */
  id: number; // log index of the operation
  user: string;
  nodeId: string;
  result: 'ok' | 'error';
  errorCode?: string;
  details?: Record<string, unknown>;
  /** display name of nodeId, added when read (never stored in the log) */
  nodeName?: string;
}

/** History operations that are the cluster's bookkeeping, not a person's action on a server. */
export const SYSTEM_OPERATIONS: ReadonlySet<string> = new Set(['user-register', 'cluster-register', 'serving']);

export interface HistoryFilter {
  /** false: leave out SYSTEM_OPERATIONS rows; true: only those; unset: all */
  system?: boolean;
  user?: string;
  host?: string;
  operation?: string;
  result?: 'ok' | 'error';
  /** only entries with timestamp >= since */
  since?: EpochSeconds;
  limit?: number; // default 50, max 500
  offset?: number; // default 0; newest first
}
export interface HistoryPage {
  items: UserRequest[];
  total: number;
  limit: number;
  offset: number;
}

/** Seed 001: a registered client. */
export interface RegisteredUser {
  user_id: string;
  username: string;
  addr: string;
  registeredAt: EpochSeconds;
  /** presence (extension): ms since the epoch of the last heartbeat committed by a 'presence' command */
  lastSeen?: number;
  /** presence (extension): the address that last heartbeat came from */
  lastAddr?: string;
}

/** Seed 002: a registered cluster node (coordinator = master, worker = slave). */
export interface ClusterNodeRecord {
  id: string;
  url: string;
  clusterId: string;
  role: string;
  capabilities: Record<string, unknown>;
  tags: string[];
  metadata: Record<string, unknown>;
  createdAt: string; // ISO time, as in seed 002
  /** serving (true) or maintenance (false) */
  serving: boolean;
  servingChangedAt: string;
  /** presence (extension): ms since the epoch of the last committed heartbeat */
  lastSeenMs?: number;
  /** presence (extension): the status the node reported in that heartbeat */
  reportedStatus?: string;
  /** presence (extension): the load figures of that heartbeat (seed 002's heartbeat metadata) */
  stats?: NodeStats;
}

/** Seed 002's heartbeat metadata: load (per CPU), memory (fraction used), open connections. */
export interface NodeStats {
  load?: number;
  memory?: number;
  connections?: number;
}

/** One user's heartbeat as a 'presence' command carries it (at: ms since the epoch). */
export interface PresenceUserBeat {
  username: string;
  addr: string;
  at: number;
}
/** One cluster node's heartbeat as a 'presence' command carries it. */
export interface PresenceNodeBeat extends NodeStats {
  id: string;
  at: number;
  status: string;
}

// ---------------------------------------------------------------------------------------------
// Commands: what a log entry asks the board to do. Every one is deterministic given the entry's
// `at` (milliseconds, stamped by the master when it appended the entry).

export type BoardCommand =
  /** exactly one of until (an absolute end) or durationSec (the end is the entry's time + durationSec) */
  | { type: 'reserve'; host: string; user: string; until?: EpochSeconds; durationSec?: number; comment?: string }
  | { type: 'release'; host: string; user: string; force?: boolean }
  /**
   * exactly one of until (the new end) or durationSec: the state machine adds it to the hold's end
   * as it stands when the entry applies (never an edge's clock or a replica's stale copy)
   */
  | { type: 'extend'; host: string; user: string; until?: EpochSeconds; durationSec?: number }
  | { type: 'queue'; host: string; user: string; durationSec: number; comment?: string }
  | { type: 'unqueue'; host: string; user: string }
  /** master-generated: end the hold on `host` if it still ends at `until` (never cuts an extended one) */
  | { type: 'expire'; host: string; until: EpochSeconds }
  | { type: 'server-add'; server: ServerInput }
  | { type: 'server-update'; host: string; patch: Omit<ServerInput, 'host'> }
  | { type: 'server-remove'; host: string }
  | { type: 'servers-import'; servers: ServerInput[]; replace?: boolean }
  | { type: 'maintenance'; host: string; on: boolean; reason?: string }
  | { type: 'user-register'; username: string; addr: string; userId: string }
  | { type: 'cluster-register'; node: Omit<ClusterNodeRecord, 'createdAt' | 'serving' | 'servingChangedAt'> }
  | { type: 'serving'; nodeId: string; enabled: boolean }
  /** batched heartbeats (seeds 001/002): moves lastSeen forward; leaves no history row */
  | { type: 'presence'; users: PresenceUserBeat[]; nodes: PresenceNodeBeat[] }
  /** monitoring (issue 12): checks, notification targets, verdict changes, deliveries, remote instances */
  | MonitorCommand
  /** worker loans between farms (issue 13): system/admin only (board-loans.ts) */
  | LoanCommand;

export type BoardCommandType = BoardCommand['type'];

/** Who asked, from where; stamped into the log entry and the history. */
export interface CommandMeta {
  user: string;
  nodeId: string;
  nodeIP: string;
  /** idempotency key: a retried request with the same key is applied once */
  reqId: string;
}

export type ApplyResult = { ok: true; value?: unknown } | { ok: false; error: ErrorValue };

/** A whole board, as stored in a snapshot. Plain JSON. */
export interface BoardSnapshot {
  version: 1;
  servers: Server[];
  history: UserRequest[];
  users: RegisteredUser[];
  clusterNodes: ClusterNodeRecord[];
  /** idempotency keys and their results, oldest first */
  applied: Array<[string, ApplyResult]>;
  lastUpdate: EpochSeconds;
  /** monitoring's entities (absent in snapshots from before monitoring) */
  monitoring?: MonitoringSnapshot;
  /** worker loans (absent in snapshots from before loans) */
  loans?: LoansSnapshot;
}

/**
 * What an applied command answers with (ApplyResult.value when ok), per command type: the contract
 * between the board and its callers (board/service.ts reads these; nobody guesses the shape).
 */
export interface CommandValues extends MonitorCommandValues, LoanCommandValues {
  reserve: { server: Server };
  release: { server: Server; released: string; grantedTo: string | null };
  extend: { server: Server };
  queue: { server: Server; granted: boolean; position: number };
  unqueue: { server: Server };
  expire: { released: boolean; holder?: string; grantedTo?: string | null; server?: Server };
  'server-add': { server: Server };
  'server-update': { server: Server };
  'server-remove': { removed: string; droppedQueue: string[] };
  'servers-import': { added: number; updated: number; removed: number };
  maintenance: { server: Server; changed: boolean };
  'user-register': { user: RegisteredUser };
  'cluster-register': { node: ClusterNodeRecord; created: boolean };
  serving: { node: ClusterNodeRecord };
  presence: { users: number; nodes: number };
}
