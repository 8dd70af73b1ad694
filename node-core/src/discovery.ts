// Discovery over UDP broadcast (seed 000): JoinRequest/JoinResponse, the master's Heartbeat,
// LeaveNotification, ForceMaster and the disconnection notices; the address book of every node
// seen; the cluster view; and the bootstrap rule for nodes that have never been in a cluster:
//
//   A fresh node broadcasts JoinRequest and listens for discoveryWindowMs. If it hears a master
//   (Heartbeat or JoinResponse) it joins that cluster. If it hears any node that already belongs to
//   a cluster, it waits for that cluster's master and never founds a new one. Otherwise the fresh
//   node with the smallest node id among those it heard founds the cluster (its only voter) and
//   the others join it. So two nodes started at the same moment end up in one cluster. If groups
//   that could not hear each other founded two clusters, the merge rule (mergeInto) folds a young
//   one into the other when they meet.
import { randomUUID } from 'node:crypto';
import type { NodeConfig } from './config.js';
import type { Raft } from './consensus/raft.js';
import { FOREIGN_REASONS, ForeignHeartbeatGate } from './loans/foreign-heartbeat.js';
import type { ForeignHeartbeat } from './loans/types.js';
import type { Logger } from './log.js';
import type { Decoded } from './protocol/codec.js';
import type { ClusterViewEntry, Message, MessageOf, MessageType, NodeInfo, Outgoing } from './protocol/messages.js';
import type { KeyMode } from './security/cluster-key.js';
import { Limits, type StreamAddress, type Transport } from './transport/transport.js';
import type { TimerHandle } from './util/clock.js';

export const PEERBOARD_VERSION = '0.1.0';
const MAX_VIEW_ENTRIES = 120;

/** Bounds on what strangers can make a node remember or send (membership floods). */
export const DiscoveryLimits = {
  /** nodes in the address book; beyond it, unknown ids are pruned (oldest non-members first) or refused */
  maxKnown: 1024,
  /**
   * nodes known only from their own JoinRequest (never a member, never fetching): the oldest is
   * forgotten beyond this, so a flood of random ids cannot crowd out the cluster, and a real
   * newcomer (it repeats its JoinRequest) is heard again at once
   */
  maxStrangers: 128,
  /** fresh nodes remembered for the bootstrap rule */
  maxFresh: 256,
  /** JoinResponse broadcasts: burst, then per second (fresh nodes repeat JoinRequest, heartbeats also inform) */
  joinResponseBurst: 10,
  joinResponsesPerSec: 5,
  /** ForceMaster messages older or newer than this (sender's ts vs our clock) are replays or forgeries */
  controlWindowMs: 60_000,
} as const;

/** how long a refused address claim stays refused before the old address is probed again */
const MOVE_RECHECK_MS = 10_000;
/** address claims checked at once */
const MAX_MOVE_CHECKS = 64;

interface Known {
  info: NodeInfo;
  /** monotonic ms */
  lastSeen: number;
  left: boolean;
  /** the source IP its packets and streams came from ('' when only heard of through a cluster view) */
  srcIp: string;
}

/** Why a claim about a node was refused (counted as a drop reason). */
export type LearnRefusal = 'address_conflict' | 'book_full';

/**
 * What discovery uses of its node (PeerNode implements it): identity and key mode, the codec, the
 * consensus state it reports and feeds, and the founding and merge steps it triggers.
 */
export interface DiscoveryHost {
  readonly nodeId: string;
  readonly ip: string;
  readonly config: Pick<NodeConfig, 'clusterId' | 'clusterKey' | 'discoveryWindowMs' | 'electionTimeoutMs' | 'heartbeatIntervalMs'>;
  readonly keyMode: KeyMode;
  /** messages are authenticated with a cluster key */
  readonly keyed: boolean;
  readonly raft: Pick<
    Raft,
    'bootstrap' | 'clock' | 'commitIndex' | 'config' | 'follower' | 'isVoter' | 'leaderAlive' | 'leaderId' | 'observeMaster' | 'progress' | 'role' | 'store' | 'term' | 'transferLeadership'
  >;
  readonly deps: { readonly transport: Pick<Transport, 'broadcast'> };
  /** counts a dropped message by reason (metrics) */
  readonly metrics_: { drop(reason: string): void };
  selfInfo(): NodeInfo;
  encode(msg: Outgoing<MessageType>): Buffer;
  decodeResult(data: Buffer, max: number, from: string): Decoded;
  /** does the node `nodeId` answer at `addr` (a pre-vote probe)? */
  answersAt(addr: StreamAddress, nodeId: string): Promise<boolean>;
  /** creates the team's key when this node founds a cluster without one */
  beforeFounding(): void;
  /** this young cluster holds no board data (it may dissolve to merge into another) */
  young(): boolean;
  dissolve(why: string): void;
  emitCluster(): void;
}

export class Discovery {
  private readonly book = new Map<string, Known>();
  private readonly fresh = new Map<string, number>();
  private readonly foreign = new Set<string>();
  /** ids known only from their JoinRequests, oldest first (see DiscoveryLimits.maxStrangers) */
  private readonly strangers = new Map<string, true>();
  private masterView: { view: ClusterViewEntry[]; at: number; from: string } | null = null;
  private clusterSeenAt = Number.NEGATIVE_INFINITY;
  private startedAt = 0;
  private joinTimer: TimerHandle | undefined;
  private beatTimer: TimerHandle | undefined;
  private burst: TimerHandle[] = [];
  private stopped = false;
  /** token bucket of JoinResponse broadcasts */
  private joinTokens: number = DiscoveryLimits.joinResponseBurst;
  private joinTokensAt = 0;
  /** ForceMaster messages acted on (sender, ts, target): a replay within the window is ignored */
  private readonly controlSeen = new Map<string, number>();
  /** monotonic ms a keyed cluster was last heard by this node without a key */
  private keyedClusterSeenAt = Number.NEGATIVE_INFINITY;
  private keyedHintLogged = false;
  /** the loan port our heartbeats advertise (issue 13); null: none (loans off) */
  loanPort: number | null = null;
  /** the loan port our own master's last heartbeat named (a follower tells lent workers where it is) */
  masterLoanPort: number | null = null;
  /**
   * Another cluster's master heard on the LAN (issue 13): an unauthenticated hint, rate-limited
   * (ForeignHintLimits). Null: such datagrams are dropped unread, as before.
   */
  onForeignHeartbeat: ((h: ForeignHeartbeat) => void) | null = null;
  private readonly foreignGate: ForeignHeartbeatGate;

  constructor(
    private readonly node: DiscoveryHost,
    private readonly log: Logger,
  ) {
    this.foreignGate = new ForeignHeartbeatGate(node.config.clusterId, () => this.clock.monotonic());
  }

  private get clock() {
    return this.node.raft.clock;
  }
  private get cfg() {
    return this.node.config;
  }

  start(): void {
    this.startedAt = this.clock.monotonic();
    this.sendJoin();
    this.scheduleJoin();
    this.scheduleBeat();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.joinTimer);
    this.clock.clearTimeout(this.beatTimer);
    for (const t of this.burst) this.clock.clearTimeout(t);
  }

  private joinInterval(): number {
    return Math.max(10, Math.min(250, this.cfg.discoveryWindowMs / 6));
  }

  /** fresh nodes repeat JoinRequest until they have a master, then apply the bootstrap rule */
  private scheduleJoin(): void {
    if (this.stopped) return;
    this.joinTimer = this.clock.setTimeout(() => {
      const raft = this.node.raft;
      if (!raft.config && !raft.leaderId) {
        this.sendJoin();
        this.maybeBootstrap();
      }
      this.scheduleJoin();
    }, this.joinInterval());
  }

  private maybeBootstrap(): void {
    const now = this.clock.monotonic();
    const window = this.cfg.discoveryWindowMs;
    if (now - this.startedAt < window || now - this.clusterSeenAt < window) return;
    // without a key of its own, a node that hears a cluster with a key waits for its invite
    if (this.node.keyMode === 'pending' && now - this.keyedClusterSeenAt < window * 10) return;
    const self = this.node.nodeId;
    const rivals = [...this.fresh].filter(([, seen]) => now - seen < window).map(([id]) => id);
    if (rivals.some((id) => id < self)) return;
    this.log.info({ rivals }, 'no cluster found: founding one (bootstrap rule)');
    try {
      this.node.beforeFounding();
      this.node.raft.bootstrap(randomUUID());
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not found a cluster; trying again');
    }
  }

  private scheduleBeat(): void {
    if (this.stopped) return;
    this.beatTimer = this.clock.setTimeout(() => {
      if (this.node.raft.role === 'master') this.sendHeartbeat();
      this.scheduleBeat();
    }, this.cfg.heartbeatIntervalMs);
  }

  /** a new master announces itself at once and a few times more (UDP may be lost) */
  heartbeatBurst(): void {
    this.sendHeartbeat();
    for (const d of [30, 100, 300, 700]) {
      this.burst.push(
        this.clock.setTimeout(() => {
          if (this.node.raft.role === 'master' && !this.stopped) this.sendHeartbeat();
        }, d),
      );
    }
    if (this.burst.length > 20) this.burst.splice(0, this.burst.length - 20);
  }

  // ---------------------------------------------------------------- sending

  private broadcast(msg: Outgoing<MessageType>): void {
    if (this.stopped) return;
    const buf = this.node.encode(msg);
    if (buf.length > Limits.maxPacketBytes) {
      this.log.warn({ type: msg.type, bytes: buf.length }, 'message too large for a datagram: not sent');
      return;
    }
    this.send(buf);
  }

  private send(buf: Buffer): void {
    try {
      this.node.deps.transport.broadcast(buf);
    } catch (err) {
      this.log.warn({ err }, 'broadcast failed');
    }
  }

  /**
   * Broadcasts a message that carries the cluster view, trimmed to fit one datagram: voters come
   * first, and a big cluster with long names loses its last observers from the view, never the
   * heartbeat itself (which would cost the master its followers).
   */
  private broadcastWithView(make: (view: ClusterViewEntry[]) => Outgoing<MessageType>): void {
    if (this.stopped) return;
    const view = this.clusterView().sort((a, b) => Number(b.voter) - Number(a.voter));
    let n = Math.min(view.length, MAX_VIEW_ENTRIES);
    for (;;) {
      const buf = this.node.encode(make(view.slice(0, n)));
      if (buf.length <= Limits.maxPacketBytes) {
        if (n < view.length) this.log.debug({ shown: n, of: view.length }, 'cluster view trimmed to fit a datagram');
        return this.send(buf);
      }
      if (n <= 1) return void this.log.warn({ bytes: buf.length }, 'message too large for a datagram even with a one-node view: not sent');
      n = Math.max(1, Math.floor(n * 0.75));
    }
  }

  private sendJoin(): void {
    const raft = this.node.raft;
    const last = raft.store.lastIndex();
    this.broadcast({ type: 'JoinRequest', node: this.node.selfInfo(), lastIndex: last, lastTerm: raft.store.termAt(last) ?? 0, fresh: !raft.config });
  }

  private sendHeartbeat(): void {
    const raft = this.node.raft;
    const master = this.node.selfInfo();
    const young = this.node.young();
    this.broadcastWithView((clusterView) => ({
      type: 'Heartbeat',
      master,
      commitIndex: raft.commitIndex,
      lastIndex: raft.store.lastIndex(),
      incarnation: raft.config?.incarnation ?? '',
      clusterView,
      young,
      ...(this.loanPort !== null ? { loanPort: this.loanPort } : {}),
    }));
  }

  announceMasterLost(masterNodeId: string, reason: string): void {
    this.broadcast({ type: 'masterDisconnected', masterNodeId, reason });
  }
  announceSlaveLost(slaveNodeId: string): void {
    this.broadcast({ type: 'slaveDisconnected', slaveNodeId, reason: 'no FetchState within the election timeout' });
  }
  sendLeave(reason: string): void {
    this.broadcast({ type: 'LeaveNotification', node: this.node.selfInfo(), reason });
  }

  // ---------------------------------------------------------------- receiving

  onPacket(data: Buffer, from: string): void {
    const d = this.node.decodeResult(data, Limits.maxPacketBytes, from);
    if (!d.ok) {
      if (d.reason === 'keyed_message') this.onKeyedCluster(from);
      if (this.onForeignHeartbeat && FOREIGN_REASONS.has(d.reason)) this.foreignHint(data, from);
      return;
    }
    const msg = d.msg;
    if (msg.nodeId === this.node.nodeId) return;
    const srcIp = from.slice(0, from.lastIndexOf(':'));
    // a node id is bound to the address it is heard from: without a key, a live node's id cannot be
    // taken over by packets from another address (a stranger claiming to be the master)
    const refusal = this.claimRefused(msg.nodeId, srcIp);
    if (refusal) {
      this.node.metrics_.drop(refusal);
      this.log.debug({ from, node: msg.nodeId, type: msg.type }, 'packet claims a live node from another address: dropped');
      return;
    }
    try {
      this.dispatch(msg, srcIp);
    } catch (err) {
      this.node.metrics_.drop('handler_error');
      this.log.warn({ from, type: msg.type, err }, 'error while handling a datagram');
    }
  }

  /** another cluster's datagram: a neighbour hint when it is a master's heartbeat (never trusted) */
  private foreignHint(data: Buffer, from: string): void {
    const r = this.foreignGate.peek(data, from.slice(0, from.lastIndexOf(':')));
    if ('drop' in r) return void this.node.metrics_.drop(r.drop);
    if (!('hint' in r)) return;
    try {
      this.onForeignHeartbeat?.(r.hint);
    } catch (err) {
      this.node.metrics_.drop('handler_error');
      this.log.warn({ from, err }, 'error while handling a foreign heartbeat');
    }
  }

  /** a node without a key heard a keyed cluster: it will not found its own; say how to join once */
  private onKeyedCluster(from: string): void {
    if (this.node.keyMode !== 'pending') return;
    this.keyedClusterSeenAt = this.clock.monotonic();
    if (!this.keyedHintLogged) {
      this.keyedHintLogged = true;
      this.log.warn({ from }, 'a Peerboard team with a key is on this network: this node has no key and waits; join it with its invite (`peerboard join <invite>`, or --invite), which a member prints with `peerboard invite`');
    }
  }

  /** true when this node waits for an invite because it heard a keyed cluster */
  waitingForInvite(): boolean {
    return this.node.keyMode === 'pending' && !this.node.raft.config && Number.isFinite(this.keyedClusterSeenAt);
  }

  private alive(k: Known): boolean {
    return !k.left && this.clock.monotonic() - k.lastSeen < this.aliveWindow();
  }

  /**
   * Why a message claiming `nodeId` from `srcIp` must be refused, or null. With a key every message
   * is authenticated, so a member may move (DHCP, another Wi-Fi); without one, a live node keeps the
   * address it was heard from until it leaves or falls silent.
   */
  claimRefused(nodeId: string, srcIp: string): LearnRefusal | null {
    if (this.node.keyed) return null;
    const k = this.book.get(nodeId);
    if (!k || !k.srcIp || k.srcIp === srcIp || !this.alive(k)) return null;
    return 'address_conflict';
  }

  private dispatch(msg: Message, srcIp: string): void {
    const raft = this.node.raft;
    switch (msg.type) {
      case 'JoinRequest':
        if (msg.node.nodeId !== msg.nodeId) return void this.node.metrics_.drop('node_mismatch');
        if (!this.learn(msg.node, 'join', srcIp)) return;
        if (msg.fresh) this.rememberFresh(msg.nodeId);
        else this.clusterSeenAt = this.clock.monotonic();
        if (raft.role === 'master' && this.takeJoinToken()) {
          const master = this.node.selfInfo();
          this.broadcastWithView((clusterView) => ({ type: 'JoinResponse', to: msg.nodeId, master, clusterView, commitIndex: raft.commitIndex, incarnation: raft.config?.incarnation ?? '' }));
        }
        return;
      case 'JoinResponse':
        if (msg.to !== this.node.nodeId) return;
        if (msg.master.nodeId !== msg.nodeId) return void this.node.metrics_.drop('node_mismatch');
        this.onMasterSeen(msg, msg.master, msg.incarnation, msg.clusterView, srcIp);
        return;
      case 'Heartbeat':
        if (msg.master.nodeId !== msg.nodeId) return void this.node.metrics_.drop('node_mismatch');
        if (this.mergeInto(msg, srcIp)) return;
        this.masterLoanPort = msg.loanPort ?? null;
        this.onMasterSeen(msg, msg.master, msg.incarnation, msg.clusterView, srcIp);
        return;
      case 'LeaveNotification': {
        if (msg.node.nodeId !== msg.nodeId) return void this.node.metrics_.drop('node_mismatch');
        const k = this.book.get(msg.nodeId);
        // only the node itself says it leaves: from the address it is heard from (also with the key)
        if (k && k.srcIp && k.srcIp !== srcIp) return void this.node.metrics_.drop('address_conflict');
        if (k) k.left = true;
        this.fresh.delete(msg.nodeId);
        this.log.info({ node: msg.nodeId, reason: msg.reason }, 'node left');
        this.node.emitCluster();
        return;
      }
      case 'ForceMaster':
        this.onForceMaster(msg);
        return;
      case 'masterDisconnected':
      case 'slaveDisconnected':
        this.log.info({ from: msg.nodeId, type: msg.type, node: msg.type === 'masterDisconnected' ? msg.masterNodeId : msg.slaveNodeId }, 'disconnection notice');
        this.node.emitCluster();
        return;
      default:
        this.node.metrics_.drop('unexpected_type');
    }
  }

  /**
   * The merge rule for split bootstraps: when two clusters with one cluster id meet, a young one
   * (no board data yet) gives way to the other: to one that holds data, or between two young ones to
   * the smaller incarnation id. Its nodes dissolve it and join the other as fresh nodes, so nothing a
   * user wrote is lost. Two clusters that both hold data stay apart (an admin decides; README).
   * Returns true when this node dissolved its cluster (the heartbeat then counts as a fresh node's).
   */
  private mergeInto(msg: MessageOf<'Heartbeat'>, srcIp: string): boolean {
    const mine = this.node.raft.config?.incarnation;
    if (!mine || !msg.incarnation || msg.incarnation === mine || !this.node.young()) return false;
    const theirsYoung = msg.young === true;
    if (theirsYoung && msg.incarnation > mine) return false;
    this.node.dissolve(`cluster ${msg.incarnation} of master ${msg.master.nodeId} ${theirsYoung ? 'is also young and has the smaller id' : 'holds data'}`);
    this.startedAt = this.clock.monotonic();
    this.onMasterSeen(msg, msg.master, msg.incarnation, msg.clusterView, srcIp);
    return true;
  }

  private onMasterSeen(msg: Message, master: NodeInfo, incarnation: string, view: ClusterViewEntry[], srcIp: string): void {
    const raft = this.node.raft;
    if (raft.config && incarnation && incarnation !== raft.config.incarnation) {
      if (!this.foreign.has(incarnation)) this.log.warn({ incarnation, master: master.nodeId }, 'another cluster with the same cluster id is on this network (split bootstrap?): ignoring it');
      this.foreign.add(incarnation);
      this.node.metrics_.drop('foreign_incarnation');
      return;
    }
    this.clusterSeenAt = this.clock.monotonic();
    if (!this.learn(master, 'master', srcIp)) return;
    // a master's view names its members; only members of our configuration may claim leadership
    const trusted = !raft.config || raft.isVoter(master.nodeId);
    if (trusted) {
      for (const e of view) {
        if (e.nodeId !== this.node.nodeId && !this.book.has(e.nodeId) && this.makeRoom()) {
          this.book.set(e.nodeId, { info: viewToInfo(e), lastSeen: Number.NEGATIVE_INFINITY, left: false, srcIp: '' });
        }
      }
    }
    if (trusted && msg.term >= raft.term) this.masterView = { view, at: this.clock.monotonic(), from: master.nodeId };
    raft.observeMaster(master.nodeId, msg.term);
  }

  private onForceMaster(msg: MessageOf<'ForceMaster'>): void {
    if (!this.cfg.clusterKey) {
      this.node.metrics_.drop('force_master_unauthenticated');
      this.log.warn({ from: msg.nodeId, target: msg.targetNodeId }, 'ForceMaster ignored: it needs a cluster key (use POST /promote with the admin token)');
      return;
    }
    if (this.node.raft.role !== 'master') return;
    // a captured ForceMaster replayed later does nothing: it must be of this term, recent, and new
    const skew = Math.abs(this.clock.now() - msg.ts);
    const key = `${msg.nodeId}\0${msg.ts}\0${msg.targetNodeId}`;
    if (msg.term !== this.node.raft.term || skew > DiscoveryLimits.controlWindowMs || this.controlSeen.has(key)) {
      this.node.metrics_.drop('replay');
      this.log.warn({ from: msg.nodeId, target: msg.targetNodeId, term: msg.term, skewMs: skew }, 'ForceMaster ignored: replayed, of another term, or outside the time window');
      return;
    }
    this.rememberControl(key);
    this.log.warn({ from: msg.nodeId, target: msg.targetNodeId, by: msg.by }, 'AUDIT: ForceMaster received: handing over');
    this.node.raft.transferLeadership(msg.targetNodeId).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'ForceMaster hand-over failed'));
  }

  // ---------------------------------------------------------------- address book and view

  /**
   * Records what a node says about itself. Returns false (and counts why) when the claim is refused:
   * another address claims a live node without a key, or the book is full of live strangers.
   */
  learn(claimed: NodeInfo, source: string, srcIp = ''): boolean {
    if (claimed.nodeId === this.node.nodeId) return false;
    // a node's address is where its packets come from, as this node sees them (multi-homed hosts,
    // a Docker bridge listed first, a VPN): its own nodeIP is only a hint unless it was configured
    const info = srcIp && !claimed.ipExplicit && claimed.nodeIP !== srcIp ? { ...claimed, nodeIP: srcIp } : claimed;
    const k = this.book.get(info.nodeId);
    if (k) {
      const movedAddr = k.info.nodeIP !== info.nodeIP || k.info.peerPort !== info.peerPort;
      const movedSrc = srcIp !== '' && k.srcIp !== '' && k.srcIp !== srcIp;
      if (this.alive(k)) {
        if (!this.node.keyed && (movedAddr || movedSrc)) {
          this.node.metrics_.drop('address_conflict');
          return false;
        }
        // with the key every message is a member's, but a member may not take over another live
        // member's id: a move is accepted once the old address no longer answers as that node
        if (this.node.keyed && movedAddr && !this.moveConfirmed(k, info, srcIp)) return false;
      }
      k.info = info;
      k.lastSeen = this.clock.monotonic();
      k.left = false;
      if (srcIp) k.srcIp = srcIp;
      if (source !== 'join') this.strangers.delete(info.nodeId);
      else if (this.strangers.delete(info.nodeId)) this.strangers.set(info.nodeId, true); // most recent last
      return true;
    }
    if (!this.makeRoom()) {
      this.node.metrics_.drop('book_full');
      return false;
    }
    if (source === 'join') this.rememberStranger(info.nodeId);
    this.book.set(info.nodeId, { info, lastSeen: this.clock.monotonic(), left: false, srcIp });
    this.log.debug({ node: info.nodeId, ip: info.nodeIP, source }, 'learned a node');
    return true;
  }

  /** true while a claimed move of `id` to a new address is being checked (see moveConfirmed) */
  moving(id: string): boolean {
    return this.moves.get(id)?.state === 'probing';
  }

  /** this node's address changed: a master says so at once (its followers check the move and follow it) */
  announceAddress(): void {
    if (!this.stopped && this.node.raft.role === 'master') this.sendHeartbeat();
  }

  /** claimed moves of live members, by node id: being checked, or refused until `at` + MOVE_RECHECK_MS */
  private readonly moves = new Map<string, { to: string; state: 'probing' | 'refused'; at: number }>();

  /**
   * A keyed node claims a new address while it is live at its old one: probe the old address. If
   * the node still answers there, the claim comes from an impostor holding the key and is refused
   * (checked again after a while); if not, the node moved (DHCP, another network) and the new
   * address is taken as soon as the probe fails. Returns true only when the move may apply now.
   */
  private moveConfirmed(k: Known, info: NodeInfo, srcIp: string): boolean {
    const id = info.nodeId;
    const to = `${info.nodeIP}:${info.peerPort}`;
    const now = this.clock.monotonic();
    const m = this.moves.get(id);
    if (m && (m.state === 'probing' || (m.state === 'refused' && m.to === to && now - m.at < MOVE_RECHECK_MS))) {
      this.node.metrics_.drop('address_conflict');
      return false;
    }
    for (const [other, mv] of this.moves) if (mv.state === 'refused' && now - mv.at >= MOVE_RECHECK_MS) this.moves.delete(other);
    if (this.moves.size >= MAX_MOVE_CHECKS) {
      this.node.metrics_.drop('address_conflict');
      return false;
    }
    this.moves.set(id, { to, state: 'probing', at: now });
    const old = { ip: k.info.nodeIP, port: k.info.peerPort };
    void this.node.answersAt(old, id).then((alive) => {
      if (this.stopped) return;
      if (alive) {
        this.moves.set(id, { to, state: 'refused', at: this.clock.monotonic() });
        this.log.warn({ node: id, claimed: to, at: `${old.ip}:${old.port}` }, 'a member claims the address of another live member: refused (an impostor holding the key?)');
        return;
      }
      this.moves.delete(id);
      const cur = this.book.get(id);
      if (cur) {
        cur.info = info;
        cur.lastSeen = this.clock.monotonic();
        if (srcIp) cur.srcIp = srcIp;
        this.log.info({ node: id, from: `${old.ip}:${old.port}`, to }, 'a member moved to a new address');
        // a fetch still trying the master's old address would wait out its whole timeout
        if (id === this.node.raft.leaderId) this.node.raft.follower.interrupt();
      }
    });
    this.node.metrics_.drop('address_conflict');
    return false;
  }

  private rememberStranger(nodeId: string): void {
    this.strangers.set(nodeId, true);
    if (this.strangers.size <= DiscoveryLimits.maxStrangers) return;
    const raft = this.node.raft;
    for (const id of this.strangers.keys()) {
      if (this.strangers.size <= DiscoveryLimits.maxStrangers) break;
      this.strangers.delete(id);
      if (raft.isVoter(id) || raft.progress()?.has(id) || id === raft.leaderId) continue;
      this.book.delete(id);
      this.fresh.delete(id);
      this.node.metrics_.drop('stranger_forgotten');
    }
  }

  /** true when the book has room for one more node, after pruning silent non-members if needed */
  private makeRoom(): boolean {
    if (this.book.size < DiscoveryLimits.maxKnown) return true;
    const raft = this.node.raft;
    const progress = raft.progress();
    const members = new Set(raft.config?.voters.map((v) => v.nodeId) ?? []);
    const prunable = [...this.book.entries()]
      .filter(([id, k]) => !members.has(id) && !progress?.has(id) && id !== raft.leaderId && !this.alive(k))
      .sort((a, b) => a[1].lastSeen - b[1].lastSeen);
    for (const [id] of prunable.slice(0, Math.max(1, Math.floor(DiscoveryLimits.maxKnown / 8)))) this.book.delete(id);
    return this.book.size < DiscoveryLimits.maxKnown;
  }

  private rememberFresh(nodeId: string): void {
    const now = this.clock.monotonic();
    if (!this.fresh.has(nodeId) && this.fresh.size >= DiscoveryLimits.maxFresh) {
      for (const [id, seen] of this.fresh) if (now - seen > this.cfg.discoveryWindowMs) this.fresh.delete(id);
      if (this.fresh.size >= DiscoveryLimits.maxFresh) return void this.node.metrics_.drop('fresh_full');
    }
    this.fresh.set(nodeId, now);
  }

  private takeJoinToken(): boolean {
    const now = this.clock.monotonic();
    this.joinTokens = Math.min(DiscoveryLimits.joinResponseBurst, this.joinTokens + ((now - this.joinTokensAt) / 1000) * DiscoveryLimits.joinResponsesPerSec);
    this.joinTokensAt = now;
    if (this.joinTokens < 1) {
      this.node.metrics_.drop('join_response_rate');
      return false;
    }
    this.joinTokens -= 1;
    return true;
  }

  private rememberControl(key: string): void {
    const now = this.clock.monotonic();
    for (const [k, at] of this.controlSeen) if (now - at > 2 * DiscoveryLimits.controlWindowMs || this.controlSeen.size > 1000) this.controlSeen.delete(k);
    this.controlSeen.set(key, now);
  }

  /** size of the address book (for tests and health) */
  knownCount(): number {
    return this.book.size;
  }

  addressOf(nodeId: string): StreamAddress | undefined {
    const k = this.book.get(nodeId);
    if (k) return { ip: k.info.nodeIP, port: k.info.peerPort };
    const m = this.node.raft.config?.voters.find((v) => v.nodeId === nodeId);
    return m ? { ip: m.ip, port: m.peerPort } : undefined;
  }

  infoOf(nodeId: string): NodeInfo | undefined {
    return this.book.get(nodeId)?.info;
  }

  byIp(ip: string): string[] {
    const ids = [...this.book.values()].filter((k) => k.info.nodeIP === ip && !k.left).map((k) => k.info.nodeId);
    if (this.node.ip === ip) ids.push(this.node.nodeId);
    return ids;
  }

  private aliveWindow(): number {
    return Math.max(this.cfg.heartbeatIntervalMs * 3, this.cfg.electionTimeoutMs * 2);
  }

  preference(nodeId: string): { failoverOrder: number; cpuLoad: number; alive: boolean } | undefined {
    const k = this.book.get(nodeId);
    if (!k) return undefined;
    return { failoverOrder: k.info.failoverOrder, cpuLoad: k.info.cpuLoad, alive: !k.left && this.clock.monotonic() - k.lastSeen < this.aliveWindow() };
  }

  alivePeers(): string[] {
    const now = this.clock.monotonic();
    return [...this.book.values()].filter((k) => !k.left && now - k.lastSeen < this.aliveWindow()).map((k) => k.info.nodeId);
  }

  foreignIncarnations(): string[] {
    return [...this.foreign];
  }

  clusterView(): ClusterViewEntry[] {
    const raft = this.node.raft;
    const now = this.clock.now();
    const mono = this.clock.monotonic();
    const within = this.node.config.electionTimeoutMs;
    /** wall-clock time of a monotonic moment, 0 for never */
    const wall = (at: number | undefined) => (at !== undefined && Number.isFinite(at) ? Math.round(now - (mono - at)) : 0);
    const voters = new Set(raft.config?.voters.map((v) => v.nodeId) ?? []);
    const self: ClusterViewEntry = { ...infoToView(this.node.selfInfo(), raft.role, voters.has(this.node.nodeId), now, raft.term), matchIndex: raft.store.lastIndex(), reachable: true };
    const out = new Map<string, ClusterViewEntry>();
    if (raft.role === 'master') {
      for (const [id, p] of raft.progress() ?? []) {
        if (this.book.get(id)?.left && !voters.has(id)) continue;
        out.set(id, { ...infoToView(p.info, voters.has(id) ? 'slave' : 'observer', voters.has(id), wall(p.lastFetch), raft.term), matchIndex: p.matchIndex, reachable: mono - p.lastFetch < within });
      }
      for (const v of raft.config?.voters ?? []) {
        if (v.nodeId !== this.node.nodeId && !out.has(v.nodeId)) {
          // a voter that never fetched from this master (a crashed former master, say): when discovery last heard it
          const k = this.book.get(v.nodeId);
          out.set(v.nodeId, { nodeIP: v.ip, role: 'slave', nodeId: v.nodeId, peerPort: v.peerPort, apiPort: v.apiPort, headless: v.headless, voter: true, lastHeartbeat: wall(k?.lastSeen), term: 0, matchIndex: 0, reachable: false, ...(k?.info.user ? { user: k.info.user } : {}) });
        }
      }
    } else if (this.masterView) {
      const masterLive = raft.leaderId === this.masterView.from && raft.leaderAlive();
      for (const e of this.masterView.view) {
        if (e.nodeId === this.node.nodeId) continue;
        // the master vouches for the others; for itself only while it is live here, and at the
        // address this node reaches it at (its own view lists its hint)
        const seen = this.book.get(e.nodeId)?.info.nodeIP ?? e.nodeIP;
        out.set(e.nodeId, e.nodeId === this.masterView.from ? { ...e, nodeIP: seen, reachable: masterLive, lastHeartbeat: masterLive ? e.lastHeartbeat : wall(this.book.get(e.nodeId)?.lastSeen) || e.lastHeartbeat } : e);
      }
    } else {
      for (const v of raft.config?.voters ?? []) {
        if (v.nodeId === this.node.nodeId) continue;
        const k = this.book.get(v.nodeId);
        out.set(v.nodeId, { nodeIP: v.ip, role: v.nodeId === raft.leaderId ? 'master' : 'slave', nodeId: v.nodeId, peerPort: v.peerPort, apiPort: v.apiPort, headless: v.headless, voter: true, lastHeartbeat: wall(k?.lastSeen), term: 0, matchIndex: 0, reachable: k !== undefined && mono - k.lastSeen < within });
      }
    }
    return [self, ...out.values()];
  }
}

function infoToView(i: NodeInfo, role: ClusterViewEntry['role'], voter: boolean, lastHeartbeat: number, term: number): ClusterViewEntry {
  return {
    nodeIP: i.nodeIP,
    role,
    nodeId: i.nodeId,
    peerPort: i.peerPort,
    apiPort: i.apiPort,
    ...(i.uiPort !== undefined ? { uiPort: i.uiPort } : {}),
    headless: i.headless,
    voter,
    ...(i.user !== undefined ? { user: i.user } : {}),
    lastHeartbeat,
    term,
    matchIndex: 0,
    failoverOrder: i.failoverOrder,
    cpuLoad: i.cpuLoad,
    ...(i.lendable !== undefined ? { lendable: i.lendable } : {}),
  };
}

function viewToInfo(e: ClusterViewEntry): NodeInfo {
  return {
    nodeId: e.nodeId,
    nodeIP: e.nodeIP,
    peerPort: e.peerPort,
    apiPort: e.apiPort,
    ...(e.uiPort !== undefined ? { uiPort: e.uiPort } : {}),
    headless: e.headless,
    ...(e.user !== undefined ? { user: e.user } : {}),
    failoverOrder: e.failoverOrder ?? 99,
    cpuLoad: e.cpuLoad ?? 0,
    version: '',
    ...(e.lendable !== undefined ? { lendable: e.lendable } : {}),
  };
}
