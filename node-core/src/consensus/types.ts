// Types shared by the consensus module, storage and the wire protocol: log entries, cluster
// configuration (the voter set) and snapshots.
import type { BoardCommand, BoardSnapshot, CommandMeta } from '../board/types.js';

/** Where a node listens. Identity is the node id; several nodes may share an IP. */
export interface NodeAddress {
  nodeId: string;
  ip: string;
  /** TCP port for FetchState/StateUpdate, votes and forwarded writes */
  peerPort: number;
  /** HTTP backend port (seed: 8777) */
  apiPort: number;
}

/** A member of the cluster configuration. */
export interface Member extends NodeAddress {
  /** desktop app (false) or headless server host (true); headless nodes are preferred as voters */
  headless: boolean;
}

/** The replicated cluster configuration: who votes. Non-voters hold full replicas but do not vote. */
export interface ClusterConfig {
  /** random id fixed when the cluster was bootstrapped; two clusters with one clusterId differ here */
  incarnation: string;
  voters: Member[];
}

export type EntryPayload =
  | { kind: 'noop' }
  | { kind: 'config'; config: ClusterConfig; reason: string; by: string }
  | { kind: 'board'; cmd: BoardCommand; meta: CommandMeta };

export type LogEntry = {
  index: number;
  term: number;
  /** milliseconds since the epoch, stamped by the master that appended the entry */
  at: number;
} & EntryPayload;

/** A compacted prefix of the log. */
export interface Snapshot {
  /** last log index the snapshot covers */
  index: number;
  term: number;
  config: ClusterConfig;
  board: BoardSnapshot;
}

/** Durable per-node state outside the log. */
export interface HardState {
  term: number;
  votedFor: string | null;
  /** highest index known committed (persisted lazily; committed entries never change) */
  commitIndex?: number;
}
