// PeerNode: one whole peer. Wires the store, the board, consensus, the codec and the transport,
// runs discovery (JoinRequest/Heartbeat) and the bootstrap rule, and offers NodeHandle to hosts.
// Headless mode and the Electron main process both start it through createNode(config).
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { BoardView, InviteInfo, LeaderInfo, NodeStatus, PeerEvent } from './api/peer-api.js';
import type { HealthReport, NodeEvents, NodeHandle, SubmitOptions, SubmitResult } from './api/node-handle.js';
import { Board } from './board/state-machine.js';
import { changeEventOf } from './change-rows.js';
import type { ApplyResult, BoardCommand, ClusterNodeRecord, HistoryFilter, HistoryPage, RegisteredUser, Server } from './board/types.js';
import { nodeDisplayName, parseConfig, type NodeConfig, type NodeConfigInput } from './config.js';
import { nodeNameSchema } from './node-name.js';
import { Raft } from './consensus/raft.js';
import type { StateMachine } from './consensus/state-machine.js';
import type { LogEntry } from './consensus/types.js';
import { ErrorCode, PeerboardError, toPeerboardError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { Discovery, PEERBOARD_VERSION } from './discovery.js';
import { NodeMetrics } from './node-metrics.js';
import { WritePath } from './node-writes.js';
import { startSelfRegistration } from './self-register.js';
import { Codec, type Decoded } from './protocol/codec.js';
import { PROTOCOL_VERSION, type ClusterViewEntry, type Message, type MessageType, type NodeInfo, type Outgoing, type Role } from './protocol/messages.js';
import { openStore } from './storage/open-store.js';
import type { Store } from './storage/store.js';
import { generateClusterKey, resolveClusterKey, saveClusterKey, type KeyMode } from './security/cluster-key.js';
import { inviteInfoOf } from './security/invite.js';
import { listIpv4Interfaces, preferredAddress } from './transport/interfaces.js';
import { NetTransport } from './transport/net-transport.js';
import { CloseConnection, Limits, TransportError, type StreamAddress, type Transport } from './transport/transport.js';
import { realClock, type Clock, type Random, type TimerHandle } from './util/clock.js';
import { WakeTracker } from './wake-tracker.js';

/** Injected parts; defaults are the real ones. Tests pass a MemStore, a MemTransport, a FakeClock. */
export interface NodeDeps {
  logger: Logger;
  clock: Clock;
  random: Random;
  store: Store;
  transport: Transport;
  /**
   * 'keyed': a key is configured; 'open': explicitly no key; 'pending': no key yet, one is created
   * when this node founds a cluster (secure by default). Default: keyed with a key, else open.
   */
  keyMode?: KeyMode;
  /** keeps a key this node created (createNode: the data directory); absent: kept in memory only */
  saveKey?: (key: string) => void;
  /**
   * the advertised IP was configured (default true); false: it is a hint, re-read from the
   * interfaces as they change, and peers use the source address of our packets
   */
  ipExplicit?: boolean;
}

export type { KeyMode };

/** how often a node re-reads its addresses */
const ADDRESS_CHECK_MS = 1000;

/** seed 000's frontend address, the default of frontendUrl */
const DEFAULT_FRONTEND_URL = 'http://localhost:8778';

/** commands that nodes issue by themselves; they do not make a cluster hold user data */
const REGISTRY_COMMANDS = new Set(['presence', 'cluster-register', 'user-register', 'serving']);

class BoardMachine implements StateMachine {
  board: Board;
  constructor(private readonly opts: { historyLimit: number }) {
    this.board = new Board(opts);
  }
  apply(e: Parameters<StateMachine['apply']>[0]): ApplyResult {
    return this.board.apply(e);
  }
  snapshot(opts?: { share?: boolean }) {
    return this.board.snapshot(opts);
  }
  restore(s: Parameters<StateMachine['restore']>[0]): void {
    this.board = Board.fromSnapshot(s, this.opts);
  }
  resultFor(reqId: string) {
    return this.board.resultFor(reqId);
  }
  reset(): void {
    this.board.reset();
  }
}


export class PeerNode implements NodeHandle {
  readonly events = new EventEmitter<NodeEvents>();
  readonly raft: Raft;
  readonly metrics_: NodeMetrics;
  readonly discovery: Discovery;
  private readonly writes = new WritePath(this);
  private readonly sm: BoardMachine;
  private readonly codec: Codec;
  keyMode: KeyMode;
  /** the key messages are authenticated with (configured, stored or created at founding) */
  private clusterKey: string | undefined;
  readonly log: Logger;
  readonly clock: Clock;
  private readonly startedAt: number;
  private cpuLoad = 0;
  private cpuTimer: NodeJS.Timeout | undefined;
  private addressTimer: NodeJS.Timeout | undefined;
  private expiryTimer: TimerHandle | undefined;
  private stopping = false;
  private stopSelfRegistration: (() => void) | undefined;
  /** pauses (sleep, SIGSTOP): distrust old contacts, say how old the board is until caught up */
  private readonly wake: WakeTracker;
  ip: string;
  peerPort = 0;
  /** display name: config name, else user@host */
  readonly name: string;

  constructor(
    readonly config: NodeConfig,
    readonly nodeId: string,
    readonly deps: NodeDeps,
  ) {
    this.log = deps.logger.child({ nodeId });
    this.clock = deps.clock;
    this.startedAt = deps.clock.monotonic();
    this.ip = config.advertiseIP ?? '127.0.0.1';
    this.name = nodeDisplayName(config);
    this.clusterKey = config.clusterKey;
    this.keyMode = deps.keyMode ?? (config.clusterKey ? 'keyed' : 'open');
    this.codec = new Codec({ clusterId: config.clusterId, key: config.clusterKey, previousKeys: config.previousClusterKeys });
    this.sm = new BoardMachine({ historyLimit: config.historyLimit });
    this.metrics_ = new NodeMetrics({
      role: () => this.raft.role,
      term: () => this.raft.term,
      commitIndex: () => this.raft.commitIndex,
      appliedIndex: () => this.raft.appliedIndex,
      lastIndex: () => this.deps.store.lastIndex(),
      peers: () => this.discovery.alivePeers().length,
      quorum: () => this.raft.hasQuorum(),
      transport: () => this.deps.transport.stats?.() as Record<string, number> | undefined,
    });
    this.discovery = new Discovery(this, this.log.child({ subsystem: 'discovery' }));
    this.raft = new Raft({
      nodeId,
      selfInfo: () => this.selfInfo(),
      store: deps.store,
      sm: this.sm,
      clock: deps.clock,
      random: deps.random,
      logger: this.log.child({ subsystem: 'raft' }),
      timing: config,
      maxVoters: config.maxVoters,
      snapshotEvery: config.snapshotEvery,
      rpc: (to, msg, timeout, term) => this.rpc(to, msg, timeout, term),
      preference: (id) => this.discovery.preference(id),
      moving: (id) => this.discovery.moving(id),
      onRefused: (condition) => this.metrics_.drop(condition),
      hooks: {
        onRole: (role, term) => this.onRole(role, term),
        onLeader: () => this.emitCluster(),
        onApplied: (e, r) => this.onApplied(e, r),
        onBecameMaster: () => this.onBecameMaster(),
        onMasterLost: (id, reason) => this.discovery.announceMasterLost(id, reason),
        onSlaveLost: (id) => this.discovery.announceSlaveLost(id),
      },
    });
    this.wake = new WakeTracker({
      clock: deps.clock,
      logger: this.log.child({ subsystem: 'wake' }),
      lastMasterContact: () => (this.raft.role === 'master' ? (this.raft.hasQuorum() ? this.clock.monotonic() : Number.NEGATIVE_INFINITY) : this.raft.lastLeaderContact),
      isMaster: () => this.raft.role === 'master',
      clockPaused: (hiddenMs) => this.raft.clockPaused(hiddenMs),
      current: () => (this.raft.role === 'master' ? this.raft.masterReady() && this.raft.hasQuorum() : this.raft.leaderAlive() && this.raft.appliedIndex >= this.raft.commitIndex),
      changed: () => this.emitCluster(),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const ports = await this.deps.transport.start(
      (data, from) => this.discovery.onPacket(data, `${from.ip}:${from.port}`),
      (data, from) => this.onRequest(data, from),
    );
    this.peerPort = ports.streamPort;
    this.refreshCpu();
    this.cpuTimer = setInterval(() => this.refreshCpu(), 5000);
    this.cpuTimer.unref();
    // every second: this node's own address (a hint follows DHCP and roaming) and connections from
    // an address that went away (they are re-made from the current one)
    this.addressTimer = setInterval(() => {
      this.refreshAddress();
      this.deps.transport.checkInterfaces?.();
    }, ADDRESS_CHECK_MS);
    this.addressTimer.unref();
    this.watchLiveness();
    this.wake.start();
    this.raft.start();
    this.discovery.start();
    this.scheduleExpiry();
    if (this.config.selfRegister) this.stopSelfRegistration = startSelfRegistration(this, { logger: this.log.child({ subsystem: 'self-register' }) });
    this.log.info({ clusterId: this.config.clusterId, ip: this.ip, peerPort: this.peerPort, discoveryPort: ports.packetPort, role: this.raft.role }, 'node started');
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopSelfRegistration?.();
    if (this.raft.role === 'master') {
      const target = this.bestSuccessor();
      if (target) {
        await this.raft.transferLeadership(target).catch((err: unknown) => this.log.warn({ err: toPeerboardError(err).message }, 'hand-over before leaving failed'));
      }
    }
    this.discovery.sendLeave('graceful shutdown');
    clearInterval(this.cpuTimer);
    clearInterval(this.addressTimer);
    this.wake.stop();
    this.clock.clearTimeout(this.livenessTimer);
    this.clock.clearTimeout(this.expiryTimer);
    this.discovery.stop();
    this.raft.stop();
    this.clock.clearTimeout(this.clusterTimer);
    await this.deps.transport.close();
    this.deps.store.close();
    this.events.removeAllListeners();
    this.log.info('node stopped');
  }

  /**
   * Stops every activity at once without any graceful step (no hand-over, no LeaveNotification):
   * what a kill -9 leaves behind. Tests use it to simulate crashes in-process.
   */
  halt(): void {
    this.stopping = true;
    this.stopSelfRegistration?.();
    clearInterval(this.cpuTimer);
    clearInterval(this.addressTimer);
    this.wake.stop();
    this.clock.clearTimeout(this.livenessTimer);
    this.clock.clearTimeout(this.expiryTimer);
    this.discovery.stop();
    this.raft.stop();
    this.clock.clearTimeout(this.clusterTimer);
  }

  /** the caught-up voter that should lead after us, if any */
  bestSuccessor(): string | null {
    const voters = this.raft.config?.voters.filter((v) => v.nodeId !== this.nodeId) ?? [];
    const now = this.clock.monotonic();
    const progress = this.raft.progress();
    const ok = voters.filter((v) => {
      const p = progress?.get(v.nodeId);
      return p && now - p.lastFetch < this.config.electionTimeoutMs;
    });
    ok.sort((a, b) => (this.raft.matchIndexOf(b.nodeId) ?? 0) - (this.raft.matchIndexOf(a.nodeId) ?? 0) || a.nodeId.localeCompare(b.nodeId));
    return ok[0]?.nodeId ?? null;
  }

  selfInfo(): NodeInfo {
    return {
      nodeId: this.nodeId,
      nodeIP: this.ip,
      peerPort: this.peerPort,
      apiPort: this.config.apiPort,
      ...(this.config.uiPort > 0 ? { uiPort: this.config.uiPort } : {}),
      headless: this.config.headless,
      user: this.config.user,
      failoverOrder: this.config.failoverOrder,
      cpuLoad: this.cpuLoad,
      version: PEERBOARD_VERSION,
      name: this.name,
      ...(this.deps.ipExplicit === false ? {} : { ipExplicit: true }),
    };
  }

  /** a hint IP follows the interfaces (DHCP renewal, another Wi-Fi); a configured one never changes */
  private refreshAddress(): void {
    if (this.deps.ipExplicit !== false) return;
    const ip = preferredAddress(listIpv4Interfaces(this.config.interfaces));
    if (ip && ip !== this.ip) {
      this.log.info({ from: this.ip, to: ip }, 'this node\'s address changed');
      this.ip = ip;
      // before the connections from the old address are dropped (checkInterfaces, right after): a
      // master's followers hear of the move first and wait for it instead of electing a new master
      this.discovery.announceAddress();
    }
  }

  /** ports known only after the HTTP servers listen (port 0 in tests) */
  setHttpPorts(apiPort: number, uiPort: number | null): void {
    (this.config as { apiPort: number }).apiPort = apiPort;
    if (uiPort !== null) (this.config as { uiPort: number }).uiPort = uiPort;
  }

  private refreshCpu(): void {
    this.cpuLoad = Math.min(1000, Math.round((loadavg()[0]! / Math.max(1, cpus().length)) * 100) / 100);
  }

  // ---------------------------------------------------------------- wire

  encode(msg: Outgoing<MessageType>, term = this.raft.term, ts = this.clock.now()): Buffer {
    return this.codec.encode({ ...msg, v: PROTOCOL_VERSION, clusterId: this.config.clusterId, nodeId: this.nodeId, term, ts } as Message);
  }

  decode(data: Buffer, max: number, from: string): Message | null {
    const d = this.decodeResult(data, max, from);
    return d.ok ? d.msg : null;
  }

  /** decodes a message; a refused one is counted by reason and logged at debug level */
  decodeResult(data: Buffer, max: number, from: string): Decoded {
    const d = this.codec.decode(data, max);
    if (d.ok) return d;
    this.metrics_.drop(d.reason);
    this.log.debug({ from, reason: d.reason, detail: d.detail }, 'dropped a peer message');
    return d;
  }

  /** messages are authenticated with a cluster key */
  get keyed(): boolean {
    return this.codec.keyed;
  }

  /**
   * A node with no key that founds a cluster creates the team's key first (secure by default), keeps
   * it in its data directory and authenticates everything from then on. Throws when it cannot keep it.
   */
  beforeFounding(): void {
    if (this.keyMode !== 'pending') return;
    const key = generateClusterKey();
    this.deps.saveKey?.(key);
    this.codec.setKey(key);
    this.clusterKey = key;
    this.keyMode = 'keyed';
    this.log.warn({ clusterId: this.config.clusterId }, 'founded a new team with a new key: others join with its invite (`peerboard invite` prints it)');
    this.emitInvite();
  }

  async rpc<T extends MessageType>(to: string, msg: Outgoing<T>, timeoutMs: number, term?: number, ts?: number): Promise<Message> {
    const addr = this.discovery.addressOf(to);
    if (!addr) throw new TransportError(`no known address for node ${to}`, 'CONNECT');
    const raw = await this.deps.transport.request(addr, this.encode(msg, term, ts), timeoutMs);
    const resp = this.decode(raw, Limits.maxFrameBytes, `${addr.ip}:${addr.port}`);
    if (!resp) throw new TransportError(`node ${to} sent an answer that was dropped`, 'CLOSED');
    return resp;
  }

  /**
   * Does the node `nodeId` answer at `addr`? A pre-vote request (it changes nothing on the other
   * side) whose answer must come from that node id. False on no answer, a refused connection, or
   * another node there.
   */
  async answersAt(addr: StreamAddress, nodeId: string): Promise<boolean> {
    const lastIndex = this.deps.store.lastIndex();
    const msg: Outgoing<'VoteRequest'> = { type: 'VoteRequest', preVote: true, lastIndex, lastTerm: this.deps.store.termAt(lastIndex) ?? 0, transfer: false };
    try {
      const raw = await this.deps.transport.request(addr, this.encode(msg), Math.min(1000, this.config.requestTimeoutMs));
      const resp = this.decode(raw, Limits.maxFrameBytes, `${addr.ip}:${addr.port}`);
      return resp !== null && resp.nodeId === nodeId;
    } catch {
      return false;
    }
  }

  private async onRequest(data: Buffer, from: StreamAddress): Promise<Buffer> {
    const msg = this.decode(data, Limits.maxRequestBytes, `${from.ip}:${from.port}`);
    // a peer that sends what the codec refuses (junk, a wrong or missing MAC) gets one answer and
    // loses its connection, so it cannot keep a stream of refusals going on it
    if (!msg) throw new CloseConnection('message refused', this.encode({ type: 'ErrorResponse', code: 'BAD_MESSAGE', message: 'message refused (see the node log for the reason)', leaderId: this.raft.leaderId }));
    if (msg.nodeId === this.nodeId) return this.encode({ type: 'ErrorResponse', code: 'SELF', message: 'message from myself' });
    const refusal = this.discovery.claimRefused(msg.nodeId, from.ip);
    if (refusal) {
      this.metrics_.drop(refusal);
      return this.encode({ type: 'ErrorResponse', code: 'ADDRESS_CONFLICT', message: 'another address speaks for this node id' });
    }
    switch (msg.type) {
      case 'FetchState':
        if (msg.node.nodeId !== msg.nodeId) return this.encode({ type: 'ErrorResponse', code: 'BAD_MESSAGE', message: 'node info names another node' });
        if (!this.discovery.learn(msg.node, 'fetch', from.ip)) return this.encode({ type: 'ErrorResponse', code: 'ADDRESS_CONFLICT', message: 'another address speaks for this node id' });
        return this.encode(await this.raft.handleFetch(msg, from.ip));
      case 'VoteRequest':
        return this.encode(this.raft.handleVoteRequest(msg));
      case 'TimeoutNow':
        return this.encode(this.raft.handleTimeoutNow(msg));
      case 'ForwardRequest':
        return this.encode(await this.writes.handleForward(msg));
      default:
        this.metrics_.drop('unexpected_type');
        return this.encode({ type: 'ErrorResponse', code: 'UNEXPECTED', message: `${msg.type} is not a request` });
    }
  }

  // ---------------------------------------------------------------- NodeHandle: writes (node-writes.ts)

  submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult> {
    return this.writes.submit(cmd, opts);
  }
  promote(target: { nodeId?: string; ip?: string }): Promise<{ leaderId: string }> {
    return this.writes.promote(target);
  }
  addVoter(nodeId: string, by: string): Promise<void> {
    return this.writes.addVoter(nodeId, by);
  }
  removeVoter(nodeId: string, by: string): Promise<void> {
    return this.writes.removeVoter(nodeId, by);
  }
  forceShrink(voterIds: string[], by: string): Promise<void> {
    return this.writes.forceShrink(voterIds, by);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimeout(r, ms));
  }

  private scheduleExpiry(): void {
    if (this.stopping) return;
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expireDue();
      this.scheduleExpiry();
    }, 500);
  }

  /** master: release holds whose time is up (idempotent per host and end time) */
  private expireDue(): void {
    if (this.raft.role !== 'master' || !this.raft.hasQuorum()) return;
    for (const { host, until } of this.sm.board.dueExpiries(Math.floor(this.clock.now() / 1000))) {
      const key = createHash('sha256').update(`${host}\0${until}`).digest('hex').slice(0, 32);
      this.submit({ type: 'expire', host, until }, { user: 'system', reqId: `expire:${key}` }).catch((err: unknown) =>
        this.log.debug({ host, err: toPeerboardError(err).message }, 'expiry not committed yet'),
      );
    }
  }

  private onBecameMaster(): void {
    this.metrics_.elections.inc();
    this.discovery.heartbeatBurst();
    const file = this.config.servers;
    if (file && this.sm.board.serversData().serversList.length === 0) {
      try {
        const data = JSON.parse(readFileSync(file, 'utf8')) as { serversList?: unknown };
        if (!Array.isArray(data.serversList)) throw new Error('no serversList array');
        const servers = data.serversList.map((s) => {
          const o = s as Record<string, unknown>;
          return { host: String(o.host), app: String(o.app ?? ''), ip: String(o.ip ?? ''), env: String(o.env ?? ''), comment: String(o.comment ?? '') };
        });
        this.submit({ type: 'servers-import', servers }, { user: 'admin', reqId: `servers-file:${file}` }).catch((err: unknown) =>
          this.log.error({ file, err: toPeerboardError(err).message }, 'importing the servers file failed'),
        );
      } catch (err) {
        this.log.error({ file, err: (err as Error).message }, 'cannot read the servers file (expected a ServersData JSON)');
      }
    }
  }

  // ---------------------------------------------------------------- events

  /** tells hosts (headless output, the app) the invite of a team this node just founded */
  private emitInvite(): void {
    const info = this.invite();
    if (info.invite) this.emit({ type: 'invite', invite: info.invite });
  }

  /** how teammates join: the invite carries the key this node runs with (null when open or not founded yet) */
  invite(): InviteInfo {
    return inviteInfoOf({ config: this.config, ip: this.ip, peerPort: this.peerPort }, this.clusterKey ?? null);
  }

  private onRole(role: Role, term: number): void {
    this.log.info({ role, term }, 'role changed');
    this.emit({ type: 'role', role, ip: this.ip, nodeId: this.nodeId, term });
    this.emitCluster();
    const url = this.frontendTarget();
    if (url) {
      // with tokens set, /updateRole needs one: sent only to a frontend on this machine, never to another host
      const token = this.config.userToken ?? this.config.adminToken;
      const local = /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/.test(url);
      fetch(`${url.replace(/\/$/, '')}/updateRole`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && local ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ role, ip: this.ip }),
        signal: AbortSignal.timeout(1000),
      }).catch((err: unknown) => this.log.debug({ url, err: (err as Error).message }, 'frontend /updateRole not reachable'));
    }
  }

  /**
   * Where role changes are POSTed (seed 000's /updateRole): the configured frontendUrl; when that is
   * the seed's default (localhost:8778), this node's own frontend port, which --ui-port may have
   * moved (-1: no frontend, nothing is posted).
   */
  frontendTarget(): string | null {
    const url = this.config.frontendUrl;
    if (!url) return null;
    if (url.replace(/\/$/, '') !== DEFAULT_FRONTEND_URL) return url;
    return this.config.uiPort > 0 ? `http://localhost:${this.config.uiPort}` : null;
  }

  /** board entries applied other than registrations and presence (what users wrote) */
  private dataEntries = 0;
  /**
   * A young cluster holds no board data yet: no snapshot and no applied entry but membership,
   * registrations and presence, which nodes recreate by themselves. Only a young cluster may
   * dissolve to merge into another (discovery.ts).
   */
  young(): boolean {
    return this.raft.snapshotIndex === 0 && this.dataEntries === 0;
  }

  /** called by discovery when this young cluster gives way to another: forget it and rejoin */
  dissolve(why: string): void {
    this.raft.dissolve(why);
    this.dataEntries = 0;
  }

  private onApplied(e: LogEntry, result: ApplyResult | null): void {
    if (e.kind === 'board' && !REGISTRY_COMMANDS.has((e.cmd as { type: string }).type)) this.dataEntries++;
    if (e.kind === 'config') this.emitCluster();
    if (this.events.listenerCount('event') === 0) return;
    if (e.kind !== 'board') return;
    const last = this.history({ limit: 1 }).items[0];
    // the event carries the rows the entry touched (issue 11): hosts patch, never copy the board
    this.emit(changeEventOf(e.index, e.cmd, this.sm.board, last && last.id === e.index ? last : null));
    void result;
  }

  private clusterTimer: TimerHandle | undefined;
  private livenessTimer: TimerHandle | undefined;
  /** leader, quorum and staleness as last sent in a cluster event */
  private sentLiveness = '';
  emitCluster(): void {
    if (this.stopping || this.clusterTimer || this.events.listenerCount('event') === 0) return;
    this.clusterTimer = this.clock.setTimeout(() => {
      this.clusterTimer = undefined;
      const v = this.status();
      this.sentLiveness = this.liveness();
      this.emit({ type: 'cluster', clusterView: v.clusterView, leader: v.leader, quorum: v.quorum, stale: v.stale, asleep: v.asleep });
    }, 20);
  }

  /** a master before its first entry of the term committed; anyone else without a live master */
  private stale(): boolean {
    if (this.wake.pending()) return true; // asleep until caught up: the board is old whatever the clocks say
    return this.raft.role === 'master' ? !this.raft.masterReady() : !this.raft.leaderAlive();
  }

  private liveness(): string {
    const w = this.wake.info();
    return `${this.raft.leaderId ?? ''}|${this.raft.hasQuorum()}|${this.stale()}|${w ? `${w.wokeAt}:${w.caughtUpAt}` : ''}`;
  }

  /**
   * Every half heartbeat: emits a cluster event when leader, quorum or staleness changed since the
   * last one (they also change with time alone: a lease runs out, a new master's first answer
   * arrives after the event that named it).
   */
  private watchLiveness(): void {
    if (this.stopping) return;
    if (this.events.listenerCount('event') > 0 && this.liveness() !== this.sentLiveness) this.emitCluster();
    this.livenessTimer = this.clock.setTimeout(() => this.watchLiveness(), Math.max(20, Math.round(this.config.heartbeatIntervalMs / 2)));
  }

  private emit(ev: PeerEvent): void {
    try {
      this.events.emit('event', ev);
    } catch (err) {
      this.log.error({ err }, 'an event listener threw');
    }
  }

  // ---------------------------------------------------------------- NodeHandle: reads

  clusterView(): ClusterViewEntry[] {
    return this.discovery.clusterView().map((e) => {
      const name = this.nameOf(e.nodeId);
      return name ? { ...e, name } : e;
    });
  }

  /**
   * A node's display name: this node's own, else what the node said about itself in discovery,
   * else the name in its registry record (metadata.name, kept after it leaves).
   */
  nameOf(nodeId: string): string | undefined {
    if (nodeId === this.nodeId) return this.name;
    const heard = this.discovery.infoOf(nodeId)?.name;
    if (heard) return heard;
    const rec = this.sm.board.clusterNodes().find((n) => n.id === nodeId);
    const n = rec?.metadata.name;
    return typeof n === 'string' && nodeNameSchema.safeParse(n).success ? n : undefined;
  }

  leaderInfo(): LeaderInfo | null {
    const id = this.raft.leaderId;
    if (!id) return null;
    const name = this.nameOf(id);
    const named = name ? { name } : {};
    if (id === this.nodeId) return { nodeId: id, nodeIP: this.ip, apiPort: this.config.apiPort, ...named };
    const info = this.discovery.infoOf(id);
    return info ? { nodeId: id, nodeIP: info.nodeIP, apiPort: info.apiPort, ...named } : { nodeId: id, nodeIP: '', apiPort: 0, ...named };
  }

  view(): BoardView {
    const { clusterView, ...status } = this.status();
    return { serversData: this.sm.board.serversData(), clusterView, userRequests: this.history({ limit: 50 }).items, ...status };
  }

  status(): NodeStatus {
    const isMaster = this.raft.role === 'master';
    const quorum = this.raft.hasQuorum();
    const contact = this.raft.lastLeaderContact;
    const staleMs = isMaster ? 0 : Number.isFinite(contact) ? Math.round(this.clock.monotonic() - contact) : null;
    return {
      clusterView: this.clusterView(),
      self: {
        nodeId: this.nodeId,
        nodeIP: this.ip,
        role: this.raft.role,
        term: this.raft.term,
        user: this.config.user,
        headless: this.config.headless,
        voter: this.raft.isVoter(),
        clusterId: this.config.clusterId,
        apiPort: this.config.apiPort,
        uiPort: this.config.uiPort,
        name: this.name,
      },
      leader: this.leaderInfo(),
      commitIndex: this.raft.commitIndex,
      appliedIndex: this.raft.appliedIndex,
      quorum,
      stale: this.stale(),
      staleMs,
      asleep: this.wake.info(),
      writeBlockedReason: quorum ? null : ErrorCode.NoQuorum,
    };
  }

  server(host: string): Server | undefined {
    return this.sm.board.server(host);
  }
  /** the history, each row with the name of the node it came from (nodeName) when known */
  history(filter: HistoryFilter): HistoryPage {
    const page = this.sm.board.history(filter);
    const names = new Map<string, string | undefined>();
    for (const r of page.items) {
      if (!names.has(r.nodeId)) names.set(r.nodeId, this.nameOf(r.nodeId));
      const name = names.get(r.nodeId);
      if (name) r.nodeName = name;
    }
    return page;
  }
  users(): RegisteredUser[] {
    return this.sm.board.users();
  }
  clusterNodes(): ClusterNodeRecord[] {
    return this.sm.board.clusterNodes();
  }

  health(): HealthReport {
    const v = this.status();
    return {
      status: 'ok',
      nodeId: this.nodeId,
      name: this.name,
      clusterId: this.config.clusterId,
      role: this.raft.role,
      term: this.raft.term,
      leader: v.leader,
      commitIndex: this.raft.commitIndex,
      appliedIndex: this.raft.appliedIndex,
      lastIndex: this.deps.store.lastIndex(),
      quorum: v.quorum,
      stale: v.stale,
      staleMs: v.staleMs,
      asleep: v.asleep,
      voters: this.raft.config?.voters.map((m) => m.nodeId) ?? [],
      peers: this.discovery.alivePeers().length,
      dropped: this.metrics_.droppedByReason(),
      incarnation: this.raft.config?.incarnation ?? null,
      foreignIncarnations: this.discovery.foreignIncarnations(),
      uptimeSec: Math.round((this.clock.monotonic() - this.startedAt) / 1000),
      security: this.keyMode,
      transport: (this.deps.transport.stats?.() as Record<string, number> | undefined) ?? null,
      waitingForInvite: this.discovery.waitingForInvite(),
      storageFailed: this.raft.storageFailed ? { what: this.raft.storageFailed.what, message: this.raft.storageFailed.message, sinceMs: Math.round(this.clock.monotonic() - this.raft.storageFailed.since) } : null,
    };
  }

  metrics(): Promise<string> {
    return this.metrics_.text();
  }
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.metrics_.http.observe({ route, method, status: String(status) }, seconds);
  }
}

/** Creates and starts a node. Throws ConfigError for a bad configuration, StorageError for a bad data directory. */
export async function createNode(input: NodeConfigInput, deps: Partial<NodeDeps> = {}): Promise<PeerNode> {
  const config = parseConfig(input);
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const store = deps.store ?? openStore(config.dataDir, { clusterId: config.clusterId }, { logger: logger.child({ subsystem: 'storage' }) });
  try {
    let identity = store.identity();
    if (identity && config.nodeId && identity.nodeId !== config.nodeId) {
      throw new PeerboardError(ErrorCode.Config, `data directory ${config.dataDir} belongs to node "${identity.nodeId}", not "${config.nodeId}"`);
    }
    if (!identity) {
      identity = { nodeId: config.nodeId ?? randomUUID(), clusterId: config.clusterId };
      store.setIdentity(identity);
    }
    const broadcastLoopback = config.broadcastAddress?.startsWith('127.') ?? false;
    const advertise = config.advertiseIP ?? (broadcastLoopback ? '127.0.0.1' : (preferredAddress(listIpv4Interfaces(config.interfaces)) ?? '127.0.0.1'));
    const ipExplicit = config.advertiseIP !== undefined || broadcastLoopback;
    const transport =
      deps.transport ??
      new NetTransport({
        bindAddress: config.peerBindAddress,
        packetPort: config.discoveryPort,
        streamPort: config.peerPort,
        broadcastAddress: config.broadcastAddress,
        interfaces: config.interfaces,
        staticPeers: config.staticPeers.map((s) => {
          const [ip, port] = s.split(':');
          return { ip: ip!, port: Number(port) };
        }),
        logger: logger.child({ subsystem: 'transport' }),
        onDrop: (reason) => node.metrics_.drop(reason),
      });
    // secure by default: the configured key or invite, else the key this node keeps in its data
    // directory; without one (and not explicitly open) the node creates a key when it founds a team
    const resolved = resolveClusterKey(config, config.dataDir);
    const keyMode: KeyMode = deps.keyMode ?? (resolved.open ? 'open' : resolved.key ? 'keyed' : 'pending');
    if (keyMode === 'open') logger.warn({ clusterId: config.clusterId }, 'open cluster (openCluster): no key, anyone on this network can change the board');
    const keyed = resolved.key ? { clusterKey: resolved.key } : {};
    const node: PeerNode = new PeerNode({ ...config, ...keyed, advertiseIP: advertise }, identity.nodeId, {
      logger,
      clock: deps.clock ?? realClock,
      random: deps.random ?? Math.random,
      store,
      transport,
      keyMode,
      ipExplicit,
      // a key created at founding is kept beside the database that createNode opened (tests that
      // inject a store keep it in memory)
      ...(deps.store ? {} : { saveKey: (key: string) => saveClusterKey(config.dataDir, key) }),
    });
    await node.start();
    return node;
  } catch (err) {
    if (!deps.store) store.close();
    throw err;
  }
}
