// PeerApi: the one typed API through which a user interface reaches a node. The desktop preload
// implements it over IPC, the web client over HTTP + server-sent events, tests with a fake.
// Types only: the renderer imports this file and nothing else from node-core.
import type { ErrorValue } from '../errors.js';
import type { ClusterViewEntry, Role } from '../protocol/messages.js';
import type { HistoryFilter, HistoryPage, Server, ServerInput, ServersData, UserRequest } from '../board/types.js';
import type { Alert, CheckInput, CheckSeries, CheckView, LocationResult, NotificationInput, NotificationTargetView, Verdict } from '../monitoring/types.js';

import type { FarmLoadView, LoanView, LoansView, NeighbourView } from '../loans/types.js';

export type { FarmLoadView, LoanView, LoansView, NeighbourView };
export type { Alert, CheckInput, CheckSeries, CheckView, LocationResult, NotificationInput, NotificationTargetView, Verdict };

export type { ClusterViewEntry, Role, HistoryFilter, HistoryPage, Server, ServerInput, ServersData, UserRequest, ErrorValue };

/** Errors are values: Electron keeps only an error's message, so nothing is thrown across IPC. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorValue };

export interface SelfInfo {
  nodeId: string;
  nodeIP: string;
  role: Role;
  term: number;
  user: string;
  headless: boolean;
  voter: boolean;
  clusterId: string;
  apiPort: number;
  uiPort: number;
  /** display name (config name, else user@host); absent from older nodes and fakes */
  name?: string;
}

export interface LeaderInfo {
  nodeId: string;
  nodeIP: string;
  apiPort: number;
  /** the leader's display name, when known */
  name?: string;
}

/** BoardView without the board's rows: the node's role, leader and freshness (cheap: copies no server). */
export type NodeStatus = Omit<BoardView, 'serversData' | 'userRequests'>;

/** what a node reports about its last pause (null when there was none lately) */
export interface WakeInfo {
  /** 'suspended': the system slept; 'stopped': the process did not run (SIGSTOP, a paused VM) */
  kind: 'suspended' | 'stopped';
  /** how long it did not run */
  sleptMs: number;
  /** when it ran again (epoch ms) */
  wokeAt: number;
  /** when it last heard from a master before the pause (epoch ms): the age of the board it shows; null if never */
  dataAsOf: number | null;
  /** when it had caught up with its master after the pause (epoch ms), null while it has not */
  caughtUpAt: number | null;
}

/** GET /api/state: everything a board view needs, with how fresh it is. */
export interface BoardView {
  serversData: ServersData;
  clusterView: ClusterViewEntry[];
  /** the newest entries of the history (seed 000's UserRequests) */
  userRequests: UserRequest[];
  self: SelfInfo;
  leader: LeaderInfo | null;
  commitIndex: number;
  appliedIndex: number;
  /** true when this node believes writes can be committed now */
  quorum: boolean;
  /** true when this node has no live master: the data may be old */
  stale: boolean;
  /** ms since the last contact with a master (0 on the master itself), null if never */
  staleMs: number | null;
  /** the node did not run for a while (the computer slept, the process was stopped): how long, how old its board was, when it caught up; null when not lately */
  asleep?: WakeInfo | null;
  /** why writes are refused now, if they are (e.g. NO_QUORUM) */
  writeBlockedReason: string | null;
}

export interface ReserveRequest {
  host: string;
  user: string;
  /** either a duration in seconds or an absolute end (epoch seconds) */
  durationSec?: number;
  until?: number;
  comment?: string;
  /** retrying with the same key never applies twice */
  idempotencyKey?: string;
}
export interface ReleaseRequest {
  host: string;
  user: string;
  /** admin only: release someone else's hold */
  force?: boolean;
  idempotencyKey?: string;
}
export interface ExtendRequest {
  host: string;
  user: string;
  durationSec?: number;
  until?: number;
  idempotencyKey?: string;
}
export interface QueueRequest {
  host: string;
  user: string;
  durationSec: number;
  comment?: string;
  idempotencyKey?: string;
}

/** How to join this node's team (NodeHandle.invite(), GET /api/cluster/invite; admin only: it carries the key). */
export interface InviteInfo {
  clusterId: string;
  /** true in an explicitly open cluster (openCluster: no key, anyone on the network can change the board) */
  open: boolean;
  /** pb1:<clusterId>:<key>[@ip:port,...]; null without a key (open, or not founded yet) or with a key an invite cannot carry */
  invite: string | null;
  /** the discovery addresses "ip:port" the invite carries */
  peers: string[];
}

/** Rows one change carries at most; a change touching more (a big import) says `full` instead. */
export const MAX_CHANGE_ROWS = 100;

/**
 * One applied log entry. `rows`, `removed`, `lastUpdate` and `full` are Peerboard additions (issue 11):
 * a client patches its view with them instead of refetching the whole board. A node that predates
 * them sends only index and request; a client then refetches.
 */
export interface ChangeEvent {
  type: 'change';
  index: number;
  /** the newest history row, when this entry wrote one */
  request: UserRequest | null;
  /** the server rows this entry touched, as they are after it (empty: no server row changed, e.g. presence) */
  rows?: Server[];
  /** hosts this entry removed from the board */
  removed?: string[];
  /** the board's lastUpdate after the entry */
  lastUpdate?: number;
  /** the entry touched more rows than a change carries (or ones it cannot name): refetch the board */
  full?: boolean;
}

/** Pushed from the node: over IPC in the desktop app, as server-sent events on GET /api/events. */
export type PeerEvent =
  /** the board changed: one applied operation (patch the view with `rows`/`removed`; refetch when `full`) */
  | ChangeEvent
  /** this node's role changed (also what 8778 /updateRole carries) */
  | { type: 'role'; role: Role; ip: string; nodeId: string; term: number }
  /** membership, leader, quorum or staleness changed */
  | { type: 'cluster'; clusterView: ClusterViewEntry[]; leader: LeaderInfo | null; quorum: boolean; stale: boolean; asleep?: WakeInfo | null }
  /** this node founded a team and generated its key: the invite to share (carries the key: never sent to web clients) */
  | { type: 'invite'; invite: string }
  /** a committed verdict change of a monitoring check (issue 12): desktop notification, UI badge */
  | { type: 'verdict'; alert: Alert };

export interface PeerApi {
  getState(): Promise<Result<BoardView>>;
  reserve(req: ReserveRequest): Promise<Result<Server>>;
  release(req: ReleaseRequest): Promise<Result<Server>>;
  extend(req: ExtendRequest): Promise<Result<Server>>;
  queue(req: QueueRequest): Promise<Result<Server>>;
  leaveQueue(req: { host: string; user: string }): Promise<Result<Server>>;
  addServer(server: ServerInput): Promise<Result<Server>>;
  updateServer(host: string, patch: Omit<ServerInput, 'host'>): Promise<Result<Server>>;
  removeServer(host: string): Promise<Result<{ host: string }>>;
  importServers(data: { serversList: ServerInput[]; replace?: boolean }): Promise<Result<{ count: number }>>;
  /** reason: why (at most 200 characters), stored with who set it and since when */
  setMaintenance(host: string, on: boolean, reason?: string): Promise<Result<Server>>;
  history(filter: HistoryFilter): Promise<Result<HistoryPage>>;
  /** leadership transfer to the given node (admin) */
  promote(nodeId: string): Promise<Result<{ leaderId: string }>>;
  /** how teammates join (admin: the invite carries the team key) */
  invite(): Promise<Result<InviteInfo>>;
  // -- monitoring (issue 12) ------------------------------------------------------------------
  /** every check with its verdict and each location's latest status */
  listChecks(): Promise<Result<CheckView[]>>;
  /** admin: a new check (answered with its id) */
  addCheck(input: CheckInput): Promise<Result<CheckView>>;
  /** admin: change some fields of a check */
  updateCheck(id: number, patch: Partial<CheckInput>): Promise<Result<CheckView>>;
  /** admin */
  removeCheck(id: number): Promise<Result<{ id: number }>>;
  /** this node's own results of a check for a chart (hours back, 1-720) */
  checkSeries(id: number, hours: number): Promise<Result<CheckSeries>>;
  /** committed verdict changes, newest first, with their deliveries */
  listAlerts(limit?: number): Promise<Result<Alert[]>>;
  /** admin: notification targets (secrets never shown) */
  listNotifications(): Promise<Result<NotificationTargetView[]>>;
  addNotification(input: NotificationInput): Promise<Result<NotificationTargetView>>;
  removeNotification(id: number): Promise<Result<{ id: number }>>;
  // -- worker loans (issue 13) ----------------------------------------------------------------
  /** the farm's loans as this node sees them: load, neighbours, active and recent loans, counters */
  loans(): Promise<Result<LoansView>>;
  /** admin: take a worker this farm lent (an `out` loan) back now */
  recallLoan(id: string): Promise<Result<{ id: string }>>;
  /** admin: give a borrowed worker (an `in` loan) back now */
  returnLoan(id: string): Promise<Result<{ id: string }>>;
  /** starts receiving pushed events; returns the function that stops it */
  subscribe(listener: (event: PeerEvent) => void): () => void;
}

/**
 * The HTTP header naming who acts (the history's "who" for admin operations). Header values carry
 * ISO-8859-1 only, so other names travel percent-encoded after `utf-8''` (RFC 8187's form).
 */
export const USER_HEADER = 'x-peerboard-user';

export function encodeUserHeader(user: string): string {
  return /^[\x20-\x7e]+$/.test(user) ? user : `utf-8''${encodeURIComponent(user)}`;
}

/** the name in a header value; null when its percent-encoding is broken */
export function decodeUserHeader(value: string): string | null {
  if (!value.startsWith("utf-8''")) return value;
  try {
    return decodeURIComponent(value.slice(7));
  } catch {
    return null;
  }
}
