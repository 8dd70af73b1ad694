// Worker loans on screen (issue 13): how a loan's other farm is named, the one-line notes the Cluster
// view's node rows and the Board's rows show ("On loan to <farm> until <time>", "Borrowed from <farm>"),
// and the farm load line.
import type { FarmLoadView, LoanView } from '../api/api-types.js';
import { formatClock } from './time-format.js';

/** the other farm: its cluster id, else (a foreign master that sent none) its address */
export function farmName(l: Pick<LoanView, 'peer'>): string {
  return l.peer.clusterId ?? l.peer.address;
}

/** "On loan to team-red until 14:05" (lent) or "Borrowed from team-green" */
export function loanNote(l: LoanView, nowMs: number): string {
  if (l.direction === 'out') return `On loan to ${farmName(l)} until ${formatClock(Math.floor(l.until / 1000), nowMs)}`;
  return `Borrowed from ${farmName(l)}`;
}

/** "to team-red until 14:05": what the Board adds after the On loan badge */
export function lentTo(l: LoanView, nowMs: number): string {
  return `to ${farmName(l)} until ${formatClock(Math.floor(l.until / 1000), nowMs)}`;
}

/** Active loans indexed for the views: by worker id (Cluster rows) and lent ones by worker name (Board rows). */
export function indexLoans(active: readonly LoanView[]): { byWorker: Map<string, LoanView>; lentByName: Map<string, LoanView> } {
  const byWorker = new Map<string, LoanView>();
  const lentByName = new Map<string, LoanView>();
  for (const l of active) {
    if (l.state !== 'active') continue;
    // a node both lent and borrowed cannot happen; the lent side wins the row if a view is inconsistent
    if (!byWorker.has(l.workerId) || l.direction === 'out') byWorker.set(l.workerId, l);
    if (l.direction === 'out' && l.workerName) lentByName.set(l.workerName, l);
  }
  return { byWorker, lentByName };
}

/** "Pool 4 (4 home, 1 borrowed, 1 lent) · needs 3 · lag p99 240 ms · CPU 46% · not saturated" */
export function loadLine(l: FarmLoadView, nowMs: number): string {
  const sat = l.saturatedSince ? `saturated since ${formatClock(Math.floor(Date.parse(l.saturatedSince) / 1000), nowMs)}` : 'not saturated';
  return `Pool ${l.pool} (${l.home} home, ${l.borrowed} borrowed, ${l.lent} lent) · needs ${l.needed} · lag p99 ${Math.round(l.lagP99Ms)} ms · CPU ${Math.round(l.cpu * 100)}% · ${sat}`;
}
