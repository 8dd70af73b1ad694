// What a node shows of loans (LoansView): the replicated loans with what this node sees live (links,
// last heard, assigned checks), the farm's load and saturation as the master sees it, the neighbours,
// and the counters (events by name, lines dropped as dropped_<reason>) the edges render as /metrics.
import type { Borrower } from './borrower.js';
import { activeLoans, type LoanHost } from './loan-context.js';
import type { LoanServerCounters } from './loan-server.js';
import type { NeighbourTable } from './neighbours.js';
import type { Loan, LoanView, LoansView } from './types.js';
import type { WorkerRole } from './worker.js';

export interface ViewParts {
  host: LoanHost;
  port: number;
  borrower: Borrower;
  worker: WorkerRole;
  neighbours: NeighbourTable;
  counters: Record<string, number>;
  server: LoanServerCounters | null;
}

export function loansView(p: ViewParts): LoansView {
  const data = p.host.loans();
  const now = p.host.now();
  const master = p.host.isMaster();
  const serving = p.worker.serving();
  const lv = (l: Loan): LoanView => {
    const inward = l.direction === 'in';
    const seen = inward ? p.borrower.lastSeen(l.workerId) : p.neighbours.heardLoan(l.id);
    return {
      ...l,
      peer: { ...l.peer },
      // borrower: the worker's link is up; the lent worker itself: its link to the borrower is up
      connected: inward ? p.borrower.connected(l.workerId) : serving?.loanId === l.id ? serving.connected : false,
      lastSeen: seen ? new Date(seen).toISOString() : null,
      checks: inward && master ? (p.host.monitor?.assignedCount(l.workerId) ?? 0) : 0,
    };
  };
  const load = master ? p.borrower.lastLoad : null;
  const over = p.borrower.detector.overSince;
  const dropped = Object.fromEntries(Object.entries(p.server?.dropped ?? {}).map(([k, v]) => [`dropped_${k}`, v]));
  return {
    clusterId: p.host.clusterId,
    master,
    loanPort: p.port,
    load: load
      ? {
          pool: load.pool,
          home: load.home,
          borrowed: activeLoans(data, 'in').length,
          lent: activeLoans(data, 'out').length,
          lagP99Ms: load.lagP99Ms,
          cpu: load.cpu,
          utilisation: load.utilisation,
          needed: load.needed,
          saturatedSince: over === null ? null : new Date(over).toISOString(),
        }
      : null,
    neighbours: p.neighbours.views(),
    active: [...data.active.values()].map(lv),
    recent: [...data.ended].reverse().map(lv),
    counters: { ...p.counters, ...dropped, lines: p.server?.lines ?? 0, saturated: master && p.borrower.detector.saturated(now) ? 1 : 0 },
  };
}
