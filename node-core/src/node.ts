// PeerNode: one whole peer. Wires the store, the board, consensus, the codec and the transport,
// runs discovery (JoinRequest/Heartbeat) and the bootstrap rule, and offers NodeHandle to hosts.
// Headless mode and the Electron main process both start it through createNode(config). Its parts
// (node-reads, node-wire, node-writes, node-events, node-leadership) each see it through a small interface.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { cpus, loadavg } from 'node:os';
import type { BoardView, InviteInfo, LeaderInfo, NodeStatus, PeerEvent } from './api/peer-api.js';
import type { HealthReport, NodeEvents, NodeHandle, SubmitOptions, SubmitResult } from './api/node-handle.js';
import { BoardMachine } from './board/board-machine.js';
import { changeEventOf } from './change-rows.js';
import type { ApplyResult, BoardCommand, ClusterNodeRecord, HistoryFilter, HistoryPage, RegisteredUser, Server } from './board/types.js';
import { nodeDisplayName, parseConfig, type NodeConfig, type NodeConfigInput } from './config.js';
import { Raft } from './consensus/raft.js';
import type { LogEntry } from './consensus/types.js';
import { ErrorCode, PeerboardError, toPeerboardError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { Discovery } from './discovery.js';
import type { NodeDeps } from './node-deps.js';
import { bestSuccessor, dueExpiries, frontendTarget, postRole, serversFileImport } from './node-leadership.js';
import { NodeEventPump } from './node-events.js';
import { NodeMetrics } from './node-metrics.js';
import { NodeReads } from './node-reads.js';
import { NodeWire } from './node-wire.js';
import { WritePath } from './node-writes.js';
import { startSelfRegistration } from './self-register.js';
import { Codec, type Decoded } from './protocol/codec.js';
import type { ClusterViewEntry, Message, MessageOf, MessageType, NodeInfo, Outgoing, Role } from './protocol/messages.js';
import type { Alert } from './monitoring/types.js';
import { openStore } from './storage/open-store.js';
import { generateClusterKey, resolveClusterKey, saveClusterKey, type KeyMode } from './security/cluster-key.js';
import { inviteInfoOf } from './security/invite.js';
import { listIpv4Interfaces, preferredAddress } from './transport/interfaces.js';
import { NetTransport } from './transport/net-transport.js';
import type { StreamAddress } from './transport/transport.js';
import { realClock, type Clock, type TimerHandle } from './util/clock.js';
import { WakeTracker } from './wake-tracker.js';
import { MonitorNode, type ReportExtra } from './monitoring/monitor-node.js';
import type { AssignmentPush } from './monitoring/assign.js';
import type { LocationLoad } from './loans/types.js';
import type { LocationReport } from './monitoring/aggregator.js';
import type { MonitorReader } from './monitoring/monitor-service.js';
import { defaultMonitorParts } from './monitoring/monitor-parts.js';
import { meteredParts } from './monitoring/monitor-metrics.js';
import { hostname } from 'node:os';
import type { LoanManager } from './loans/loan-manager.js';
import { createLoanManager } from './node-loans.js';

export type { KeyMode, NodeDeps };

/** how often a node re-reads its addresses */
const ADDRESS_CHECK_MS = 1000;

/** commands that nodes issue by themselves; they do not make a cluster hold user data */
const REGISTRY_COMMANDS = new Set(['presence', 'cluster-register', 'user-register', 'serving']);

export class PeerNode implements NodeHandle {
  readonly events = new EventEmitter<NodeEvents>();
  readonly raft: Raft;
  readonly metrics_: NodeMetrics;
  readonly discovery: Discovery;
  private readonly writes = new WritePath(this);
  private readonly sm: BoardMachine;
  private readonly codec: Codec;
  private readonly wire: NodeWire;
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
  private readonly reads: NodeReads;
  private readonly pump: NodeEventPump;
  ip: string;
  peerPort = 0;
  /** display name: config name, else user@host */
  readonly name: string;
  /** endpoint monitoring (issue 12): null when the node was built without its parts */
  readonly monitor: MonitorNode | null;
  private monitorGeneration = 0;
  /** worker loans between farms (issue 13): undefined when `loans` is off */
  readonly loans: LoanManager | undefined;

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
    this.wire = new NodeWire(this, this.codec, (msg) => this.writes.handleForward(msg));
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
      monitor: { monitoring: () => this.sm.board.monitoring(), counters: () => this.monitor?.counters ?? null, lag: () => this.monitor?.schedulerStats() ?? null },
      loans: () => this.loans?.view() ?? null,
    });
    this.discovery = new Discovery(this, this.log.child({ subsystem: 'discovery' }));
    // our heartbeats name the loan port (issue 13); the loan manager sets the bound one (port 0)
    this.discovery.loanPort = config.loans && config.loanPort > 0 ? config.loanPort : null;
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
    this.reads = new NodeReads(this, () => this.sm.board, this.wake, this.startedAt);
    this.pump = new NodeEventPump(this, { stopping: () => this.stopping, stale: () => this.reads.stale(), wake: this.wake });
    // every probe result also feeds this node's metrics (monitor-metrics.ts)
    this.monitor = deps.monitor ? new MonitorNode(this.monitorHost(), meteredParts(deps.monitor, (r) => this.metrics_.monitor?.observeResult(r))) : null;
    this.loans = createLoanManager(
      {
        nodeId,
        config,
        name: this.name,
        ip: () => this.ip,
        log: this.log,
        clock: this.clock,
        raft: this.raft,
        board: () => this.sm.board,
        clusterView: () => this.clusterView(),
        leaderInfo: () => this.leaderInfo(),
        masterLoanPort: () => this.discovery.masterLoanPort,
        submit: (cmd, opts) => this.submit(cmd, opts),
        monitor: this.monitor,
      },
      config.location ?? safeHost(),
    ) ?? undefined;
  }

  /** what monitoring sees of this node */
  private monitorHost(): ConstructorParameters<typeof MonitorNode>[0] {
    return {
      nodeId: this.nodeId,
      location: this.config.location ?? safeHost(),
      log: this.log.child({ subsystem: 'monitor' }),
      now: () => this.clock.now(),
      isMaster: () => this.raft.role === 'master',
      canPropose: () => this.raft.role === 'master' && this.raft.masterReady() && this.raft.hasQuorum(),
      leaderId: () => this.raft.leaderId,
      monitoring: () => {
        if (this.sm.generation !== this.monitorGeneration) {
          this.monitorGeneration = this.sm.generation;
          queueMicrotask(() => this.monitor?.onRestored());
        }
        return this.sm.board.monitoring();
      },
      submit: (cmd, reqId) => this.submit(cmd, { user: 'system', reqId, caller: 'system' }),
      sendReport: (leaderId, location, referenceOk, results, extra) => this.sendCheckReport(leaderId, location, referenceOk, results, extra),
      excludedLocations: () => this.excludedLocations(),
    };
  }

  /**
   * Node ids this farm has lent to another (the loan brain sets it): as master, monitoring gives them
   * an empty assignment. Default: none.
   */
  excludedLocations: () => ReadonlySet<string> = () => this.loans?.lentIds() ?? NO_EXCLUSIONS;

  private async sendCheckReport(leaderId: string, location: string, referenceOk: boolean, results: LocationReport[], extra: ReportExtra = {}): Promise<boolean | { assign?: AssignmentPush }> {
    const msg: Outgoing<'CheckReport'> = {
      type: 'CheckReport',
      location: location.slice(0, 100),
      referenceOk,
      results: results.map((r) => ({ checkId: r.checkId, status: r.status, responseTime: r.responseTime, at: r.at, error: r.error === null ? null : r.error.slice(0, 300) })),
      ...(extra.assignVersion !== undefined ? { assignVersion: extra.assignVersion.slice(0, 64) } : {}),
      ...(extra.load ? { load: saneLoad(extra.load) } : {}),
    };
    const resp = await this.rpc(leaderId, msg, this.config.requestTimeoutMs);
    if (resp.type !== 'CheckReportResponse') return false;
    return resp.assign ? { assign: resp.assign } : true;
  }

  /** monitoring's reads for the HTTP routes and IPC (NodeHandle) */
  monitorReader(): MonitorReader {
    return {
      monitoring: () => this.sm.board.monitoring(),
      now: () => this.clock.now(),
      liveLocations: (check) => this.monitor?.locationsOf(check, this.sm.board.monitoring().verdicts.get(check.id)?.locations ?? []) ?? null,
      series: (checkId, sinceMs, maxPoints) => this.monitor?.series(checkId, sinceMs, maxPoints) ?? null,
    };
  }

  /** a desktop on battery stops probing (its results age and it stops voting), and resumes on AC */
  setMonitorPaused(paused: boolean): void {
    this.monitor?.setPaused(paused);
  }

  /** master: results of a remote location (/sync/api heartbeat) */
  monitorIngest(nodeId: string, location: string, referenceOk: boolean, results: LocationReport[]): number {
    if (this.raft.role !== 'master' || !this.monitor) throw new PeerboardError(ErrorCode.NotLeader, 'this node is not the master', { leaderId: this.raft.leaderId });
    return this.monitor.ingest(nodeId, location, referenceOk, results);
  }

  /** the master takes a location's report (node-wire.ts) */
  takeCheckReport(msg: MessageOf<'CheckReport'>): Outgoing<'CheckReportResponse'> | Outgoing<'ErrorResponse'> {
    if (this.raft.role !== 'master' || !this.monitor) return { type: 'ErrorResponse', code: 'NOT_LEADER', message: 'this node is not the master', leaderId: this.raft.leaderId };
    const extra: ReportExtra = { ...(msg.assignVersion !== undefined ? { assignVersion: msg.assignVersion } : {}), ...(msg.load ? { load: msg.load } : {}) };
    const answer = this.monitor.ingestReport(msg.nodeId, msg.location, msg.referenceOk, msg.results.map((r) => ({ ...r, nodeId: msg.nodeId, location: msg.location })), extra);
    return { type: 'CheckReportResponse', accepted: answer.accepted, ...(answer.assign ? { assign: answer.assign } : {}) };
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const ports = await this.deps.transport.start(
      (data, from) => this.discovery.onPacket(data, `${from.ip}:${from.port}`),
      (data, from) => this.wire.onRequest(data, from),
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
    this.pump.watchLiveness();
    this.wake.start();
    this.raft.start();
    this.discovery.start();
    this.scheduleExpiry();
    this.monitor?.start();
    await this.startLoans();
    if (this.config.selfRegister) this.stopSelfRegistration = startSelfRegistration(this, { logger: this.log.child({ subsystem: 'self-register' }) });
    this.log.info({ clusterId: this.config.clusterId, ip: this.ip, peerPort: this.peerPort, discoveryPort: ports.packetPort, role: this.raft.role }, 'node started');
  }

  /** the loan port listens on every node; the bound port (0 picks one) is what our heartbeats name */
  private async startLoans(): Promise<void> {
    if (!this.loans) return;
    const loans = this.loans;
    const port = await loans.start();
    (this.config as { loanPort: number }).loanPort = port;
    this.discovery.loanPort = port > 0 ? port : null;
    this.discovery.onForeignHeartbeat = (h) => loans.onForeignHeartbeat(h);
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
    this.stopActivities();
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
    this.stopActivities();
  }

  /** timers, discovery and consensus stop (the transport and the store stay open) */
  private stopActivities(): void {
    this.monitor?.stop();
    void this.loans?.stop();
    clearInterval(this.cpuTimer);
    clearInterval(this.addressTimer);
    this.wake.stop();
    this.pump.stopWatch();
    this.clock.clearTimeout(this.expiryTimer);
    this.discovery.stop();
    this.raft.stop();
    this.pump.dropPending();
  }

  /** the caught-up voter that should lead after us, if any */
  bestSuccessor(): string | null {
    return bestSuccessor(this.raft, this.nodeId, this.clock.monotonic(), this.config.electionTimeoutMs);
  }

  selfInfo(): NodeInfo {
    return this.reads.selfInfo(this.cpuLoad);
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

  encode(msg: Outgoing<MessageType>, term?: number, ts?: number): Buffer {
    return this.wire.encode(msg, term, ts);
  }
  decode(data: Buffer, max: number, from: string): Message | null {
    return this.wire.decode(data, max, from);
  }
  /** decodes a message; a refused one is counted by reason and logged at debug level */
  decodeResult(data: Buffer, max: number, from: string): Decoded {
    return this.wire.decodeResult(data, max, from);
  }
  rpc<T extends MessageType>(to: string, msg: Outgoing<T>, timeoutMs: number, term?: number, ts?: number): Promise<Message> {
    return this.wire.rpc(to, msg, timeoutMs, term, ts);
  }
  /** does the node `nodeId` answer at `addr` (a pre-vote probe from the right node id)? */
  answersAt(addr: StreamAddress, nodeId: string): Promise<boolean> {
    return this.wire.answersAt(addr, nodeId);
  }

  // ---------------------------------------------------------------- cluster key

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
    for (const { host, cmd, reqId } of dueExpiries(this.sm.board, this.clock.now())) {
      this.submit(cmd, { user: 'system', reqId }).catch((err: unknown) =>
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
        this.submit(serversFileImport(file), { user: 'admin', reqId: `servers-file:${file}` }).catch((err: unknown) =>
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
    if (role !== 'master') this.monitor?.onRoleLost();
    this.emitCluster();
    const url = this.frontendTarget();
    if (url) postRole(url, this.config, role, this.ip, this.log);
  }

  /** where role changes are POSTed (seed 000's /updateRole), if anywhere (node-leadership.ts) */
  frontendTarget(): string | null {
    return frontendTarget(this.config);
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
    if (e.kind === 'board' && !REGISTRY_COMMANDS.has(e.cmd.type)) this.dataEntries++;
    if (e.kind === 'config') this.emitCluster();
    if (e.kind === 'board' && result?.ok) {
      this.monitor?.onApplied(e.cmd as BoardCommand);
      if (e.cmd.type.startsWith('loan-')) this.loans?.onLoanApplied();
      if (e.cmd.type === 'verdict') {
        this.metrics_.monitor?.verdictChanges.inc();
        const alert = (result.value as { alert?: Alert } | undefined)?.alert;
        if (alert) this.emit({ type: 'verdict', alert });
      }
    }
    if (this.events.listenerCount('event') === 0) return;
    if (e.kind !== 'board') return;
    const last = this.history({ limit: 1 }).items[0];
    // the event carries the rows the entry touched (issue 11): hosts patch, never copy the board
    this.emit(changeEventOf(e.index, e.cmd, this.sm.board, last && last.id === e.index ? last : null));
    void result;
  }

  emitCluster(): void {
    this.pump.emitCluster();
  }
  private emit(ev: PeerEvent): void {
    this.pump.emit(ev);
  }

  // ---------------------------------------------------------------- NodeHandle: reads

  clusterView(): ClusterViewEntry[] {
    return this.reads.clusterView();
  }
  /** this node's own name, else what the node said in discovery, else its registry record's */
  nameOf(nodeId: string): string | undefined {
    return this.reads.nameOf(nodeId);
  }
  leaderInfo(): LeaderInfo | null {
    return this.reads.leaderInfo();
  }
  view(): BoardView {
    return this.reads.view();
  }
  status(): NodeStatus {
    return this.reads.status();
  }
  server(host: string): Server | undefined {
    return this.sm.board.server(host);
  }
  /** the history, each row with the name of the node it came from (nodeName) when known */
  history(filter: HistoryFilter): HistoryPage {
    return this.reads.history(filter);
  }
  users(): RegisteredUser[] {
    return this.sm.board.users();
  }
  clusterNodes(): ClusterNodeRecord[] {
    return this.sm.board.clusterNodes();
  }
  health(): HealthReport {
    return this.reads.health();
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
      monitor: deps.monitor ?? defaultMonitorParts(config, logger.child({ subsystem: 'monitor' }), deps.clock ?? realClock, { ...deps.monitorOptions, ...(deps.store ? { resultsDir: ':memory:' } : {}) }),
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

const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

/** a load within the wire's bounds (a clock jump or a many-core CPU figure must not fail the report) */
function saneLoad(l: LocationLoad): LocationLoad {
  const clamp = (v: number, max: number): number => (Number.isFinite(v) ? Math.min(max, Math.max(0, v)) : 0);
  return { lagP99Ms: clamp(l.lagP99Ms, 86_400_000), cpu: clamp(l.cpu, 1024), utilisation: clamp(l.utilisation, 1), ...(l.demand !== undefined ? { demand: clamp(l.demand, 1000) } : {}) };
}

function safeHost(): string {
  try {
    return hostname().slice(0, 100) || 'unknown';
  } catch {
    return 'unknown';
  }
}
