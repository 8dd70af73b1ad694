// How a PeerNode hosts its loan manager (issue 13): the LoanHost it sees (board, role, home nodes as
// lending candidates, monitoring's guest API) and the settings from config. Keeps node.ts small.
import type { BoardCommand } from './board/types.js';
import type { Board } from './board/state-machine.js';
import { lendableOf, type NodeConfig } from './config.js';
import type { LeaderInfo } from './api/peer-api.js';
import type { SubmitOptions, SubmitResult } from './api/node-handle.js';
import type { Logger } from './log.js';
import type { ClusterViewEntry } from './protocol/messages.js';
import type { LendCandidate } from './loans/loan-policy.js';
import type { LoanMonitor } from './loans/loan-context.js';
import { LoanManager } from './loans/loan-manager.js';
import type { MonitorNode } from './monitoring/monitor-node.js';

/** what the loan glue needs of a PeerNode */
export interface LoanNodeHost {
  readonly nodeId: string;
  readonly config: NodeConfig;
  readonly name: string;
  ip(): string;
  readonly log: Logger;
  readonly clock: { now(): number };
  readonly raft: { readonly role: string; masterReady(): boolean; hasQuorum(): boolean };
  board(): Board;
  clusterView(): ClusterViewEntry[];
  leaderInfo(): LeaderInfo | null;
  /** the master's loan port as heard in its heartbeats, if known */
  masterLoanPort(): number | null;
  submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult>;
  /** the node's monitoring, if any (its guest API: monitoring/monitor-node.ts) */
  readonly monitor: MonitorNode | null;
}

/** monitoring's guest API */
export function loanMonitorOf(m: MonitorNode | null): LoanMonitor | null {
  return m satisfies LoanMonitor | null;
}

/** null when the node does not take part in loans (`loans: false`) */
export function createLoanManager(node: LoanNodeHost, location: string): LoanManager | null {
  const c = node.config;
  if (!c.loans) return null;
  const monitor = loanMonitorOf(node.monitor);
  const isMaster = (): boolean => node.raft.role === 'master';
  return new LoanManager(
    {
      nodeId: node.nodeId,
      clusterId: c.clusterId,
      location,
      log: node.log.child({ subsystem: 'loans' }),
      monitor,
      now: () => node.clock.now(),
      isMaster,
      canPropose: () => isMaster() && node.raft.masterReady() && node.raft.hasQuorum(),
      address: () => node.ip(),
      masterLoanAddress: () => {
        const l = node.leaderInfo();
        if (!l || l.nodeId === node.nodeId) return null;
        return `${l.nodeIP}:${node.masterLoanPort() ?? c.loanPort}`;
      },
      loans: () => node.board().loans(),
      submit: (cmd, reqId, user = 'system') => node.submit(cmd, { user, reqId, caller: 'system' }),
      homeNodes: () => homeNodes(node, monitor),
    },
    {
      enabled: c.loans,
      port: c.loanPort,
      bindAddress: c.peerBindAddress,
      neighbours: c.loanNeighbours,
      key: c.loanKey,
      lagMs: c.loanLagMs,
      cpu: c.loanCpu,
      sustainMs: c.loanSustainMs,
      maxWorkers: c.loanMaxWorkers,
      leaseMs: c.loanLeaseMs,
      heartbeatMs: c.loanHeartbeatMs,
      connectMs: c.loanConnectMs,
    },
  );
}

/**
 * The farm's nodes as lending candidates, as the master sees them: alive when it heard them lately,
 * in maintenance when their registry record is not serving or a board server of their name is in
 * maintenance, lendable by the setting they announce (absent: not lendable).
 */
function homeNodes(node: LoanNodeHost, monitor: LoanMonitor | null): LendCandidate[] {
  const board = node.board();
  const records = new Map(board.clusterNodes().map((r) => [r.id, r]));
  const out: LendCandidate[] = [];
  for (const e of node.clusterView()) {
    const self = e.nodeId === node.nodeId;
    const name = self ? node.name : (e.name ?? null);
    const serverInMaintenance = name !== null && board.server(name)?.maintenance === true;
    out.push({
      nodeId: e.nodeId,
      name,
      alive: self || e.reachable !== false,
      master: e.role === 'master' || self,
      maintenance: records.get(e.nodeId)?.serving === false || serverInMaintenance,
      lent: false,
      lendable: self ? lendableOf(node.config) : e.lendable === true,
      assigned: monitor?.assignedCount(e.nodeId) ?? 0,
    });
  }
  return out;
}
