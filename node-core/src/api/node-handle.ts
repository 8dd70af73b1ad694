// NodeHandle: what the hosts of a node (HTTP servers, the Electron main process, the CLI's tests)
// may ask of a running node. Implemented by PeerNode in node.ts.
import type { EventEmitter } from 'node:events';
import type { BoardCommand, ClusterNodeRecord, HistoryFilter, HistoryPage, RegisteredUser, Server } from '../board/types.js';
import type { NodeConfig } from '../config.js';
import type { ClusterViewEntry, Role } from '../protocol/messages.js';
import type { MonitorReader } from '../monitoring/monitor-service.js';
import type { LocationReport } from '../monitoring/aggregator.js';
import type { LoansControl } from '../loans/types.js';
import type { BoardView, InviteInfo, LeaderInfo, NodeStatus, PeerEvent, WakeInfo } from './peer-api.js';

export interface HealthReport {
  status: 'ok';
  nodeId: string;
  /** display name (config name, else user@host) */
  name?: string;
  clusterId: string;
  role: Role;
  term: number;
  leader: LeaderInfo | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  quorum: boolean;
  stale: boolean;
  staleMs: number | null;
  asleep?: WakeInfo | null;
  voters: string[];
  peers: number;
  /** messages dropped by the codec or the protocol, by reason */
  dropped: Record<string, number>;
  incarnation: string | null;
  /** other incarnations of this clusterId seen on the network (a split bootstrap; see README) */
  foreignIncarnations: string[];
  uptimeSec: number;
  /**
   * how messages are authenticated: 'keyed' (the team key), 'open' (explicitly no key), or
   * 'pending' (no key yet: one is created if this node founds a team)
   */
  security?: 'keyed' | 'open' | 'pending';
  /** a node without a key heard a team with one: it waits for an invite (`peerboard join`) */
  waitingForInvite?: boolean;
  /** the peer transport's connection figures (connections, paused, buffered bytes, requests in flight) */
  transport?: Record<string, number> | null;
  /** set while the disk refuses writes: what failed and since when (ms ago) */
  storageFailed?: { what: string; message: string; sinceMs: number } | null;
  /** this location's check scheduler (issue 12): checks scheduled, rounds running/queued, start lag over the last minute (ms); null: not a location */
  monitoring?: { checks: number; running: number; queued: number; lagP50: number; lagP99: number; lagMax: number; startedTotal: number; skippedTotal?: number } | null;
}

export interface SubmitOptions {
  /** who asks (history, holder) */
  user: string;
  /** idempotency key; generated when absent */
  reqId?: string;
  /**
   * who the edge established the caller to be ('open' without tokens, 'user'/'admin' by token,
   * 'system' for the node's own writes). Forwarded writes carry a proof of that token to the master.
   * Default: 'system'.
   */
  caller?: 'open' | 'user' | 'admin' | 'system';
}

export interface SubmitResult {
  /** log index of the applied entry */
  index: number;
  value: unknown;
}

export interface NodeEvents {
  event: [PeerEvent];
}

export interface NodeHandle {
  readonly config: NodeConfig;
  readonly nodeId: string;
  /** emits 'event' with every PeerEvent */
  readonly events: EventEmitter<NodeEvents>;

  /** the whole board (a copy of every server: O(board) — use status() when the rows are not needed) */
  view(): BoardView;
  /** role, leader, quorum and freshness, without copying the board */
  status(): NodeStatus;
  clusterView(): ClusterViewEntry[];
  server(host: string): Server | undefined;
  history(filter: HistoryFilter): HistoryPage;
  users(): RegisteredUser[];
  clusterNodes(): ClusterNodeRecord[];
  health(): HealthReport;
  /** monitoring's reads (checks, verdicts, this location's results); absent on a node without monitoring */
  monitorReader?(): MonitorReader;
  /** stops (true) or resumes this node's probes: a desktop on battery power */
  setMonitorPaused?(paused: boolean): void;
  /**
   * master: takes results from a location that is not a cluster node (a remote instance over
   * /sync/api); answers how many it took. Throws NOT_LEADER on a node that is not the master.
   */
  monitorIngest?(nodeId: string, location: string, referenceOk: boolean, results: LocationReport[]): number;
  /** worker loans between farms (issue 13): absent when the node takes no part in loans (`loans: false`) */
  readonly loans?: LoansControl | undefined;
  /** Prometheus text exposition */
  metrics(): Promise<string>;
  /** records the latency of one HTTP request in the metrics */
  observeHttp(route: string, method: string, status: number, seconds: number): void;

  /**
   * Commits a board command through the master (forwarding from a slave) and returns the board's
   * answer once a majority stored it. Throws PeerboardError: a refused command (CONFLICT,
   * NOT_FOUND, BAD_REQUEST) with the board's message, NO_QUORUM, TIMEOUT.
   */
  submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult>;

  /** leadership transfer to a node (by id, or by IP when unique); resolves when it is master */
  promote(target: { nodeId?: string; ip?: string }): Promise<{ leaderId: string }>;
  /** admin: voter set management through the replicated log */
  addVoter(nodeId: string, by: string): Promise<void>;
  removeVoter(nodeId: string, by: string): Promise<void>;
  /** admin, explicit and audited: make the voter set exactly these reachable nodes (etcd's force-new-cluster) */
  forceShrink(voterIds: string[], by: string): Promise<void>;

  /**
   * How teammates join: the team's invite (carries the key), whether the cluster is open.
   */
  invite(): InviteInfo;

  /** tells the node the HTTP ports actually bound (port 0 picks one), so it advertises them */
  setHttpPorts?(apiPort: number, uiPort: number | null): void;

  /** graceful leave: hand mastership over, send LeaveNotification, close everything */
  stop(): Promise<void>;
}

export type { BoardCommand };
