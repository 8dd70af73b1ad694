// The records a fault run produces and the checker reads: client operations, the committed history,
// the final per-node states and the process exits. Plain data, so hand-made histories test the checker.

export const Outcome = { ok: 'ok', fail: 'fail', unknown: 'unknown' } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export type OpKind = 'reserve' | 'release' | 'extend' | 'read';

/** What one read saw: the node's indexes and every server's holder. */
export interface ReadView {
  nodeGen: number;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  holders: Record<string, { holder: string | null; until: number | null }>;
}

/** One logical client operation (a write retried with the same idempotency key is one operation). */
export interface OpRecord {
  id: number;
  client: string;
  /** the node the first attempt went to */
  node: string;
  op: OpKind;
  host: string;
  user: string;
  key?: string;
  /** ms since the epoch (harness clock) when the first attempt was sent */
  invokeTime: number;
  /** ms when the last attempt ended */
  completeTime: number;
  outcome: Outcome;
  attempts: number;
  status?: number;
  code?: string;
  /** the hold's end (epoch seconds) from a successful reserve or extend */
  until?: number | null;
  read?: ReadView;
  response?: unknown;
}

/** A row of GET /api/history (the UserRequests log), as far as the checker needs it. */
export interface HistoryRow {
  id: number;
  operation: string;
  serverHost: string;
  user: string;
  result: 'ok' | 'error';
  timestamp: number;
  errorCode?: string;
  details?: Record<string, unknown>;
}

export interface FinalNodeState {
  node: string;
  /** null when the node did not answer */
  serversData: { lastUpdate: number; serversList: Array<{ host: string; holder: string | null; until: number | null } & Record<string, unknown>> } | null;
  commitIndex: number | null;
  appliedIndex: number | null;
}

export interface ProcessExit {
  node: string;
  pid: number;
  code: number | null;
  signal: string | null;
  byHarness: boolean;
  at: number;
}

export interface RunRecord {
  ops: OpRecord[];
  /** the committed history from the final master, oldest first */
  history: HistoryRow[] | null;
  /** commit index of the node the history was read from; reads beyond it are not compared with it */
  historyCommitIndex?: number;
  finalStates: FinalNodeState[];
  /** harness time when the final states were read */
  finalTime: number;
  exits: ProcessExit[];
  /** largest wall-clock offset (ms, absolute) injected into any node during the run */
  clockSkewMs: number;
}
