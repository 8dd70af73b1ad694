// The reads of a node (NodeHandle): its status and health, the board view, the cluster view with
// names, the leader and the history. Computed on demand from consensus, discovery and the board.
import type { BoardView, LeaderInfo, NodeStatus } from './api/peer-api.js';
import type { HealthReport } from './api/node-handle.js';
import type { Board } from './board/state-machine.js';
import type { HistoryFilter, HistoryPage } from './board/types.js';
import { lendableOf, type NodeConfig } from './config.js';
import type { Raft } from './consensus/raft.js';
import { ErrorCode } from './errors.js';
import type { NodeMetrics } from './node-metrics.js';
import { nodeNameSchema } from './node-name.js';
import { PEERBOARD_VERSION, type Discovery } from './discovery.js';
import type { ClusterViewEntry, NodeInfo } from './protocol/messages.js';
import type { KeyMode } from './security/cluster-key.js';
import type { Store } from './storage/store.js';
import type { Transport } from './transport/transport.js';
import type { Clock } from './util/clock.js';
import type { WakeTracker } from './wake-tracker.js';

/** What the reads use of their node (PeerNode implements it). */
export interface ReadHost {
  readonly nodeId: string;
  /** display name: config name, else user@host */
  readonly name: string;
  readonly ip: string;
  readonly peerPort: number;
  readonly keyMode: KeyMode;
  readonly config: Pick<NodeConfig, 'clusterId' | 'user' | 'headless' | 'apiPort' | 'uiPort' | 'failoverOrder' | 'lendable'>;
  readonly clock: Clock;
  readonly raft: Pick<
    Raft,
    'role' | 'term' | 'leaderId' | 'commitIndex' | 'appliedIndex' | 'config' | 'isVoter' | 'hasQuorum' | 'masterReady' | 'leaderAlive' | 'lastLeaderContact' | 'storageFailed'
  >;
  readonly discovery: Pick<Discovery, 'clusterView' | 'infoOf' | 'alivePeers' | 'foreignIncarnations' | 'waitingForInvite'>;
  readonly deps: { readonly store: Pick<Store, 'lastIndex'>; readonly transport: Pick<Transport, 'stats'>; readonly ipExplicit?: boolean | undefined };
  readonly metrics_: Pick<NodeMetrics, 'droppedByReason'>;
  /** endpoint monitoring (issue 12), for its scheduler figures in health(); null: built without it */
  readonly monitor?: { schedulerStats(): HealthReport['monitoring'] } | null;
}

export class NodeReads {
  constructor(
    private readonly node: ReadHost,
    /** the board as applied now (replaced when a snapshot is installed) */
    private readonly board: () => Board,
    private readonly wake: Pick<WakeTracker, 'pending' | 'info'>,
    /** monotonic ms the node started */
    private readonly startedAt: number,
  ) {}

  clusterView(): ClusterViewEntry[] {
    return this.node.discovery.clusterView().map((e) => {
      const name = this.nameOf(e.nodeId);
      return name ? { ...e, name } : e;
    });
  }

  /**
   * A node's display name: this node's own, else what the node said about itself in discovery,
   * else the name in its registry record (metadata.name, kept after it leaves).
   */
  nameOf(nodeId: string): string | undefined {
    if (nodeId === this.node.nodeId) return this.node.name;
    const heard = this.node.discovery.infoOf(nodeId)?.name;
    if (heard) return heard;
    const rec = this.board().clusterNodes().find((n) => n.id === nodeId);
    const n = rec?.metadata.name;
    return typeof n === 'string' && nodeNameSchema.safeParse(n).success ? n : undefined;
  }

  leaderInfo(): LeaderInfo | null {
    const id = this.node.raft.leaderId;
    if (!id) return null;
    const name = this.nameOf(id);
    const named = name ? { name } : {};
    if (id === this.node.nodeId) return { nodeId: id, nodeIP: this.node.ip, apiPort: this.node.config.apiPort, ...named };
    const info = this.node.discovery.infoOf(id);
    return info ? { nodeId: id, nodeIP: info.nodeIP, apiPort: info.apiPort, ...named } : { nodeId: id, nodeIP: '', apiPort: 0, ...named };
  }

  view(): BoardView {
    const { clusterView, ...status } = this.status();
    return { serversData: this.board().serversData(), clusterView, userRequests: this.history({ limit: 50 }).items, ...status };
  }

  status(): NodeStatus {
    const isMaster = this.node.raft.role === 'master';
    const quorum = this.node.raft.hasQuorum();
    const contact = this.node.raft.lastLeaderContact;
    const staleMs = isMaster ? 0 : Number.isFinite(contact) ? Math.round(this.node.clock.monotonic() - contact) : null;
    return {
      clusterView: this.clusterView(),
      self: {
        nodeId: this.node.nodeId,
        nodeIP: this.node.ip,
        role: this.node.raft.role,
        term: this.node.raft.term,
        user: this.node.config.user,
        headless: this.node.config.headless,
        voter: this.node.raft.isVoter(),
        clusterId: this.node.config.clusterId,
        apiPort: this.node.config.apiPort,
        uiPort: this.node.config.uiPort,
        name: this.node.name,
      },
      leader: this.leaderInfo(),
      commitIndex: this.node.raft.commitIndex,
      appliedIndex: this.node.raft.appliedIndex,
      quorum,
      stale: this.stale(),
      staleMs,
      asleep: this.wake.info(),
      writeBlockedReason: quorum ? null : ErrorCode.NoQuorum,
    };
  }

  /** the history, each row with the name of the node it came from (nodeName) when known */
  history(filter: HistoryFilter): HistoryPage {
    const page = this.board().history(filter);
    const names = new Map<string, string | undefined>();
    for (const r of page.items) {
      if (!names.has(r.nodeId)) names.set(r.nodeId, this.nameOf(r.nodeId));
      const name = names.get(r.nodeId);
      if (name) r.nodeName = name;
    }
    return page;
  }

  health(): HealthReport {
    const v = this.status();
    return {
      status: 'ok',
      nodeId: this.node.nodeId,
      name: this.node.name,
      clusterId: this.node.config.clusterId,
      role: this.node.raft.role,
      term: this.node.raft.term,
      leader: v.leader,
      commitIndex: this.node.raft.commitIndex,
      appliedIndex: this.node.raft.appliedIndex,
      lastIndex: this.node.deps.store.lastIndex(),
      quorum: v.quorum,
      stale: v.stale,
      staleMs: v.staleMs,
      asleep: v.asleep,
      voters: this.node.raft.config?.voters.map((m) => m.nodeId) ?? [],
      peers: this.node.discovery.alivePeers().length,
      dropped: this.node.metrics_.droppedByReason(),
      incarnation: this.node.raft.config?.incarnation ?? null,
      foreignIncarnations: this.node.discovery.foreignIncarnations(),
      uptimeSec: Math.round((this.node.clock.monotonic() - this.startedAt) / 1000),
      security: this.node.keyMode,
      transport: (this.node.deps.transport.stats?.() as Record<string, number> | undefined) ?? null,
      waitingForInvite: this.node.discovery.waitingForInvite(),
      storageFailed: this.node.raft.storageFailed ? { what: this.node.raft.storageFailed.what, message: this.node.raft.storageFailed.message, sinceMs: Math.round(this.node.clock.monotonic() - this.node.raft.storageFailed.since) } : null,
      monitoring: this.node.monitor?.schedulerStats() ?? null,
    };
  }

  /** what this node says about itself in discovery and consensus messages */
  selfInfo(cpuLoad: number): NodeInfo {
    return {
      nodeId: this.node.nodeId,
      nodeIP: this.node.ip,
      peerPort: this.node.peerPort,
      apiPort: this.node.config.apiPort,
      ...(this.node.config.uiPort > 0 ? { uiPort: this.node.config.uiPort } : {}),
      headless: this.node.config.headless,
      user: this.node.config.user,
      failoverOrder: this.node.config.failoverOrder,
      cpuLoad,
      version: PEERBOARD_VERSION,
      name: this.node.name,
      lendable: lendableOf(this.node.config),
      ...(this.node.deps.ipExplicit === false ? {} : { ipExplicit: true }),
    };
  }
  /** a master before its first entry of the term committed; anyone else without a live master */
  stale(): boolean {
    if (this.wake.pending()) return true; // asleep until caught up: the board is old whatever the clocks say
    return this.node.raft.role === 'master' ? !this.node.raft.masterReady() : !this.node.raft.leaderAlive();
  }
}
