// An in-test NodeHandle for the HTTP tests: the real board state machine applied in-process (no
// consensus), the real metrics, an EventEmitter for PeerEvents, and records of what the HTTP layer asked.
import { EventEmitter } from 'node:events';
import type { HealthReport, NodeEvents, NodeHandle, SubmitOptions, SubmitResult } from '../../../node-core/src/api/node-handle.js';
import type { BoardView, InviteInfo, NodeStatus } from '../../../node-core/src/api/peer-api.js';
import { inviteInfoOf } from '../../../node-core/src/security/invite.js';
import type {
  BoardCommand,
  ClusterNodeRecord,
  HistoryFilter,
  HistoryPage,
  RegisteredUser,
  Server,
  ServerInput,
  UserRequest,
} from '../../../node-core/src/board/types.js';
import { checkProposal } from '../../../node-core/src/board/commands.js';
import { Board } from '../../../node-core/src/board/state-machine.js';
import { type NodeConfig, type NodeConfigInput, parseConfig } from '../../../node-core/src/config.js';
import { ErrorCode, PeerboardError } from '../../../node-core/src/errors.js';
import { NodeMetrics } from '../../../node-core/src/node-metrics.js';
import type { ClusterViewEntry, Role } from '../../../node-core/src/protocol/messages.js';
import type { LoansControl } from '../../../node-core/src/loans/types.js';

export class FakeNode implements NodeHandle {
  readonly config: NodeConfig;
  readonly nodeId = 'node-a';
  readonly events = new EventEmitter<NodeEvents>();
  /** the real board; commands apply at once, stamped with `now()` */
  readonly board = new Board();
  readonly submits: Array<{ cmd: BoardCommand; opts: SubmitOptions }> = [];
  readonly promotes: Array<{ nodeId?: string; ip?: string }> = [];
  readonly historyCalls: HistoryFilter[] = [];
  readonly observed: Array<{ route: string; method: string; status: number; seconds: number }> = [];
  readonly voterCalls: Array<{ op: string; ids: string[]; by: string }> = [];
  voters = ['node-a', 'node-b', 'node-c'];
  /** the next submit/promote/voter call throws this */
  failNext: PeerboardError | null = null;
  /** ms since the epoch that each applied entry is stamped with (a test may pin it) */
  now: () => number = () => Date.now();
  private index = 0;
  private readonly metrics_ = new NodeMetrics({
    role: () => 'master',
    term: () => 3,
    commitIndex: () => this.index,
    appliedIndex: () => this.index,
    lastIndex: () => this.index,
    peers: () => 2,
    quorum: () => true,
    loans: () => this.loans?.view() ?? null,
  });
  /** worker loans: absent unless a test sets a LoansControl */
  loans?: LoansControl;
  /** this node's role in view() (a test makes it a follower); the leader is then node-b */
  selfRole: Role = 'master';

  constructor(config: NodeConfigInput = {}) {
    this.config = parseConfig({ apiPort: 0, uiPort: 0, user: 'operator', ...config });
    this.apply({ type: 'servers-import', servers: ['server-01', 'server-02'].map((host) => ({ host, app: 'Mid', env: 'preprod' })) }, 'admin', 'seed');
  }

  /** the board's rows by host (a copy) */
  get servers(): Map<string, Server> {
    return new Map(this.board.serversData().serversList.map((s) => [s.host, s]));
  }

  status(): NodeStatus {
    const { serversData: _rows, userRequests: _history, ...status } = this.view();
    return status;
  }
  view(): BoardView {
    return {
      serversData: this.board.serversData(),
      clusterView: this.clusterView(),
      userRequests: this.board.history({ limit: 20 }).items,
      self: {
        nodeId: this.nodeId,
        nodeIP: '127.0.0.1',
        role: this.selfRole,
        term: 3,
        user: this.config.user,
        headless: true,
        voter: true,
        clusterId: this.config.clusterId,
        apiPort: this.config.apiPort,
        uiPort: this.config.uiPort,
      },
      leader: this.selfRole === 'master' ? { nodeId: this.nodeId, nodeIP: '127.0.0.1', apiPort: this.config.apiPort } : { nodeId: 'node-b', nodeIP: '127.0.0.2', apiPort: 8777 },
      commitIndex: this.index,
      appliedIndex: this.index,
      quorum: true,
      stale: false,
      staleMs: 0,
      writeBlockedReason: null,
    };
  }
  clusterView(): ClusterViewEntry[] {
    return [];
  }
  server(host: string): Server | undefined {
    return this.board.server(host);
  }
  history(filter: HistoryFilter): HistoryPage {
    this.historyCalls.push(filter);
    return this.board.history(filter);
  }
  users(): RegisteredUser[] {
    return [];
  }
  clusterNodes(): ClusterNodeRecord[] {
    return [];
  }
  health(): HealthReport {
    return {
      status: 'ok',
      nodeId: this.nodeId,
      clusterId: this.config.clusterId,
      role: 'master',
      term: 3,
      leader: null,
      commitIndex: this.index,
      appliedIndex: this.index,
      lastIndex: this.index,
      quorum: true,
      stale: false,
      staleMs: 0,
      voters: [...this.voters],
      peers: 2,
      dropped: {},
      incarnation: 'inc-1',
      foreignIncarnations: [],
      uptimeSec: 12,
    };
  }
  metrics(): Promise<string> {
    return this.metrics_.text();
  }
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.observed.push({ route, method, status, seconds });
    this.metrics_.http.observe({ route, method, status: String(status) }, seconds);
  }

  private takeFailure(): void {
    const f = this.failNext;
    this.failNext = null;
    if (f) throw f;
  }

  /** What PeerNode.submit does, minus consensus: the same gate before the log, then the board's apply. */
  async submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult> {
    this.submits.push({ cmd: structuredClone(cmd), opts: { ...opts } });
    this.takeFailure();
    return this.apply(cmd, opts.user, opts.reqId ?? `fake-${this.index + 1}`);
  }

  private apply(cmd: BoardCommand, user: string, reqId: string): SubmitResult {
    const meta = { user, nodeId: this.nodeId, nodeIP: '127.0.0.1', reqId };
    const checked = checkProposal(cmd, meta);
    if (!checked.ok) throw new PeerboardError(ErrorCode.BadRequest, checked.message, checked.details);
    this.index += 1;
    const r = this.board.apply({ index: this.index, at: this.now(), cmd, meta });
    const request = this.board.history({ limit: 1 }).items[0] ?? null;
    this.events.emit('event', { type: 'change', index: this.index, request: request?.id === this.index ? request : null });
    if (!r.ok) throw PeerboardError.fromValue(r.error);
    return { index: this.index, value: r.value };
  }

  /** the key invite() reports (a test sets it; default: the configured one) */
  inviteKey: string | null | undefined = undefined;
  invite(): InviteInfo {
    return inviteInfoOf({ config: this.config, ip: '127.0.0.1', peerPort: 8780 }, this.inviteKey === undefined ? (this.config.clusterKey ?? null) : this.inviteKey);
  }
  async promote(target: { nodeId?: string; ip?: string }): Promise<{ leaderId: string }> {
    this.promotes.push(target);
    this.takeFailure();
    return { leaderId: target.nodeId ?? 'node-b' };
  }
  async addVoter(nodeId: string, by: string): Promise<void> {
    this.voterCalls.push({ op: 'add', ids: [nodeId], by });
    this.takeFailure();
    if (!this.voters.includes(nodeId)) this.voters.push(nodeId);
  }
  async removeVoter(nodeId: string, by: string): Promise<void> {
    this.voterCalls.push({ op: 'remove', ids: [nodeId], by });
    this.takeFailure();
    this.voters = this.voters.filter((v) => v !== nodeId);
  }
  async forceShrink(voterIds: string[], by: string): Promise<void> {
    this.voterCalls.push({ op: 'force-shrink', ids: voterIds, by });
    this.takeFailure();
    this.voters = [...voterIds];
  }
  async stop(): Promise<void> {}
}
