// The demo fake's worker loans: a LoansControl over the real board state machine's loans. Recall and
// return commit `loan-end` through the fake's board writer (the same path as every other write); the
// farm load and the neighbours are demo figures, since no loan port or probe runs in a browser.
import type { SubmitOptions, SubmitResult } from '../../../node-core/src/board/service.js';
import type { BoardCommand } from '../../../node-core/src/board/types.js';
import type { Board } from '../../../node-core/src/board/state-machine.js';
import type { FarmLoadView, Loan, LoanView, LoansControl, LoansView, NeighbourView } from '../../../node-core/src/loans/types.js';
import { DEFAULT_LOAN_PORT } from '../../../node-core/src/loans/types.js';

export interface FakeLoansDeps {
  board(): Board;
  commit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult>;
  now(): number;
  clusterId(): string;
  /** this node is the master (the fake's own role) */
  master(): boolean;
}

/** recent ended loans a view shows (the board keeps MAX_ENDED_LOANS) */
const RECENT_SHOWN = 50;

export class FakeLoans implements LoansControl {
  /** the demo's neighbouring farms (tests may replace them) */
  neighbours: NeighbourView[] = [];
  /** the demo's farm load; null: the view shows none (as on a follower) */
  load: FarmLoadView | null = null;
  readonly counters: Record<string, number> = {};

  constructor(private readonly deps: FakeLoansDeps) {}

  view(): LoansView {
    const data = this.deps.board().loans();
    const active = [...data.active.values()].map((l) => this.viewOf(l));
    const recent = data.ended
      .slice(-RECENT_SHOWN)
      .reverse()
      .map((l) => this.viewOf(l));
    return {
      clusterId: this.deps.clusterId(),
      master: this.deps.master(),
      loanPort: DEFAULT_LOAN_PORT,
      load: this.load ? { ...this.load, lent: active.filter((l) => l.direction === 'out').length, borrowed: active.filter((l) => l.direction === 'in').length } : null,
      neighbours: structuredClone(this.neighbours),
      active,
      recent,
      counters: { ...this.counters },
    };
  }

  recall(id: string, by: string): Promise<void> {
    return this.end(id, 'recalled', by);
  }

  giveBack(id: string, by: string): Promise<void> {
    return this.end(id, 'returned', by);
  }

  private async end(id: string, reason: 'recalled' | 'returned', by: string): Promise<void> {
    await this.deps.commit({ type: 'loan-end', id, reason }, { user: by, caller: 'admin' });
    const key = `end_${reason}`;
    this.counters[key] = (this.counters[key] ?? 0) + 1;
  }

  private viewOf(l: Loan): LoanView {
    const active = l.state === 'active';
    return { ...structuredClone(l), connected: active, lastSeen: active ? new Date(this.deps.now()).toISOString() : null, checks: active && l.direction === 'in' ? 4 : 0 };
  }
}

type SeedCommand = { cmd: BoardCommand; agoMs: number };
const MIN = 60_000;
const peer = (clusterId: string, address: string) => ({ clusterId, masterId: `${clusterId}-master`, address, loanPort: DEFAULT_LOAN_PORT, peerboard: true });

/**
 * The demo's loans, committed through the real board at start: the headless node (node-d2b8, whose
 * machine is the board's srv-0014) lent to team-red, a worker borrowed from team-green, and one
 * borrowed worker given back earlier (the recent list and the history show it).
 */
export function demoLoans(nowMs: number): SeedCommand[] {
  const start = (id: string, direction: 'out' | 'in', workerId: string, workerName: string, p: ReturnType<typeof peer>, agoMs: number): SeedCommand => ({
    cmd: { type: 'loan-start', loan: { id, direction, workerId, workerName, peer: p, leaseMs: 60 * MIN } },
    agoMs,
  });
  const red = peer('team-red', '192.168.7.20');
  const green = peer('team-green', '192.168.9.31');
  return [
    start(`team-green-master:node-9e01:${nowMs - 180 * MIN}`, 'in', 'node-9e01', 'green-worker-1', green, 180 * MIN),
    { cmd: { type: 'loan-end', id: `team-green-master:node-9e01:${nowMs - 180 * MIN}`, reason: 'returned' }, agoMs: 150 * MIN },
    start(`node-a7f3:node-d2b8:${nowMs - 25 * MIN}`, 'out', 'node-d2b8', 'srv-0014', red, 25 * MIN),
    start(`team-green-master:node-9e02:${nowMs - 12 * MIN}`, 'in', 'node-9e02', 'green-worker-2', green, 12 * MIN),
  ];
}

/** the demo's neighbouring farms and load, as a master would show them */
export function demoFarm(nowMs: number): { neighbours: NeighbourView[]; load: FarmLoadView } {
  const seen = new Date(nowMs - 1500).toISOString();
  return {
    neighbours: [
      { clusterId: 'team-red', masterId: 'team-red-master', address: '192.168.7.20', loanPort: DEFAULT_LOAN_PORT, source: 'lan', up: true, lastSeen: seen, trusted: true },
      { clusterId: 'team-green', masterId: 'team-green-master', address: '192.168.9.31', loanPort: DEFAULT_LOAN_PORT, source: 'config', up: true, lastSeen: seen, trusted: true },
      { clusterId: null, masterId: null, address: '192.168.4.2', loanPort: DEFAULT_LOAN_PORT, source: 'config', up: false, lastSeen: new Date(nowMs - 40 * MIN).toISOString(), trusted: false },
    ],
    load: { pool: 4, home: 4, borrowed: 1, lent: 1, lagP99Ms: 240, cpu: 0.46, utilisation: 2.1, needed: 3, saturatedSince: null },
  };
}
