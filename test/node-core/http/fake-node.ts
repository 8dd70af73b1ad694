// An in-test NodeHandle for the HTTP tests: a map of servers with the board's holder rules, an
// EventEmitter for PeerEvents, and records of what the HTTP layer asked of it.
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
import { type NodeConfig, type NodeConfigInput, parseConfig } from '../../../node-core/src/config.js';
import { ConflictError, ErrorCode, NotFoundError, PeerboardError } from '../../../node-core/src/errors.js';
import type { ClusterViewEntry } from '../../../node-core/src/protocol/messages.js';

export function makeServer(input: ServerInput): Server {
  return {
    host: input.host,
    app: input.app ?? '',
    ip: input.ip ?? '',
    env: input.env ?? '',
    available: !input.maintenance,
    action: input.maintenance ? 'Maintenance' : 'Available',
    since: 0,
    comment: input.comment ?? '',
    holder: null,
    until: null,
    maintenance: input.maintenance ?? false,
    queue: [],
    holderNode: null,
  };
}

export class FakeNode implements NodeHandle {
  readonly config: NodeConfig;
  readonly nodeId = 'node-a';
  readonly events = new EventEmitter<NodeEvents>();
  readonly servers = new Map<string, Server>();
  readonly submits: Array<{ cmd: BoardCommand; opts: SubmitOptions }> = [];
  readonly promotes: Array<{ nodeId?: string; ip?: string }> = [];
  readonly historyCalls: HistoryFilter[] = [];
  readonly observed: Array<{ route: string; method: string; status: number; seconds: number }> = [];
  readonly voterCalls: Array<{ op: string; ids: string[]; by: string }> = [];
  voters = ['node-a', 'node-b', 'node-c'];
  history_: UserRequest[] = [];
  /** the next submit/promote/voter call throws this */
  failNext: PeerboardError | null = null;
  private index = 0;
  private readonly applied = new Map<string, SubmitResult>();

  constructor(config: NodeConfigInput = {}) {
    this.config = parseConfig({ apiPort: 0, uiPort: 0, user: 'operator', ...config });
    for (const host of ['server-01', 'server-02']) this.servers.set(host, makeServer({ host, app: 'Mid', env: 'preprod' }));
  }

  status(): NodeStatus {
    const { serversData: _rows, userRequests: _history, ...status } = this.view();
    return status;
  }
  view(): BoardView {
    return {
      serversData: { lastUpdate: 1706515614, serversList: [...this.servers.values()].map((s) => structuredClone(s)) },
      clusterView: this.clusterView(),
      userRequests: this.history_.slice(0, 20),
      self: {
        nodeId: this.nodeId,
        nodeIP: '127.0.0.1',
        role: 'master',
        term: 3,
        user: this.config.user,
        headless: true,
        voter: true,
        clusterId: this.config.clusterId,
        apiPort: this.config.apiPort,
        uiPort: this.config.uiPort,
      },
      leader: { nodeId: this.nodeId, nodeIP: '127.0.0.1', apiPort: this.config.apiPort },
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
    const s = this.servers.get(host);
    return s ? structuredClone(s) : undefined;
  }
  history(filter: HistoryFilter): HistoryPage {
    this.historyCalls.push(filter);
    const limit = filter.limit ?? 50;
    const offset = filter.offset ?? 0;
    const items = this.history_.filter((h) => (filter.user ? h.user === filter.user : true));
    return { items: items.slice(offset, offset + limit), total: items.length, limit, offset };
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
  async metrics(): Promise<string> {
    return '# HELP peerboard_up 1 when up\n# TYPE peerboard_up gauge\npeerboard_up 1\n';
  }
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.observed.push({ route, method, status, seconds });
  }

  private takeFailure(): void {
    const f = this.failNext;
    this.failNext = null;
    if (f) throw f;
  }

  private need(host: string): Server {
    const s = this.servers.get(host);
    if (!s) throw new NotFoundError(`server "${host}" does not exist`, { host });
    return s;
  }

  async submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult> {
    this.submits.push({ cmd: structuredClone(cmd), opts: { ...opts } });
    this.takeFailure();
    if (opts.reqId && this.applied.has(opts.reqId)) return this.applied.get(opts.reqId)!;
    const value = this.apply(cmd);
    this.index += 1;
    const result: SubmitResult = { index: this.index, value };
    if (opts.reqId) this.applied.set(opts.reqId, result);
    this.events.emit('event', { type: 'change', index: this.index, request: null });
    return result;
  }

  private apply(cmd: BoardCommand): unknown {
    switch (cmd.type) {
      case 'reserve': {
        const s = this.need(cmd.host);
        if (s.holder !== null && s.holder !== cmd.user) {
          throw new ConflictError(`server "${cmd.host}" is held by ${s.holder}`, { host: cmd.host, holder: s.holder, until: s.until });
        }
        Object.assign(s, { holder: cmd.user, until: cmd.until, available: false, action: 'Reserved', comment: cmd.comment ?? s.comment });
        return structuredClone(s);
      }
      case 'release': {
        const s = this.need(cmd.host);
        if (s.holder === null) throw new ConflictError(`server "${cmd.host}" is not held`, { host: cmd.host });
        if (s.holder !== cmd.user && !cmd.force) {
          throw new ConflictError(`server "${cmd.host}" is held by ${s.holder}`, { host: cmd.host, holder: s.holder });
        }
        Object.assign(s, { holder: null, until: null, available: true, action: 'Available' });
        return structuredClone(s);
      }
      case 'extend': {
        const s = this.need(cmd.host);
        if (s.holder !== cmd.user) throw new ConflictError(`server "${cmd.host}" is held by ${s.holder}`, { holder: s.holder });
        s.until = cmd.until;
        return structuredClone(s);
      }
      case 'queue': {
        const s = this.need(cmd.host);
        s.queue.push({ user: cmd.user, durationSec: cmd.durationSec, comment: cmd.comment ?? '', since: 1 });
        return structuredClone(s);
      }
      case 'unqueue': {
        const s = this.need(cmd.host);
        if (!s.queue.some((q) => q.user === cmd.user)) throw new NotFoundError(`${cmd.user} is not in the queue of ${cmd.host}`);
        s.queue = s.queue.filter((q) => q.user !== cmd.user);
        return structuredClone(s);
      }
      case 'server-add': {
        if (this.servers.has(cmd.server.host)) throw new ConflictError(`server "${cmd.server.host}" already exists`);
        const s = makeServer(cmd.server);
        this.servers.set(s.host, s);
        return structuredClone(s);
      }
      case 'server-update': {
        const s = this.need(cmd.host);
        Object.assign(s, cmd.patch);
        return structuredClone(s);
      }
      case 'server-remove':
        this.need(cmd.host);
        this.servers.delete(cmd.host);
        return { host: cmd.host };
      case 'servers-import':
        if (cmd.replace) this.servers.clear();
        for (const input of cmd.servers) this.servers.set(input.host, makeServer(input));
        return { count: cmd.servers.length };
      case 'maintenance': {
        const s = this.need(cmd.host);
        s.maintenance = cmd.on;
        return structuredClone(s);
      }
      default:
        throw new PeerboardError(ErrorCode.BadRequest, `unsupported command ${cmd.type}`);
    }
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
