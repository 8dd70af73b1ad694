// The terminal view of a farm's worker loans (`peerboard loans`): the loans (direction, worker, farm,
// since, until, state), then the neighbouring farms and the farm's load as its master sees it.
import type { LoanView, LoansView } from '../loans/types.js';
import { renderTable } from './table.js';
import { formatLocal, formatRelative, zoneLabel } from './time.js';

/** the other farm as people name it: its cluster id, else its master's address */
export function farmOf(l: Pick<LoanView, 'peer'>): string {
  return l.peer.clusterId ?? `${l.peer.address}:${l.peer.loanPort}`;
}

function at(ms: number | null, now: Date): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  return `${formatLocal(ms / 1000, now)} (${formatRelative(ms / 1000, now)})`;
}

function stateOf(l: LoanView): string {
  if (l.state === 'ended') return `ended: ${l.endReason ?? '?'}`;
  return l.connected ? 'active, connected' : 'active, not connected';
}

function loanRows(loans: LoanView[], now: Date): unknown[][] {
  return loans.map((l) => [
    l.direction === 'out' ? 'lent' : 'borrowed',
    l.workerName ?? l.workerId,
    farmOf(l),
    at(l.since, now),
    l.state === 'ended' ? at(l.endedAt, now) : at(l.until, now),
    stateOf(l),
    l.id,
  ]);
}

export function renderLoans(v: LoansView, now: Date = new Date()): string {
  const out: string[] = [];
  const zone = zoneLabel(now);
  out.push(`farm ${v.clusterId} · loan port ${v.loanPort}${v.master ? ' · this node is the master' : ' · this node is not the master (only the master negotiates)'}\n`);
  if (v.active.length === 0 && v.recent.length === 0) out.push('no loans\n');
  else out.push(renderTable(['DIRECTION', 'WORKER', 'FARM', `SINCE (${zone})`, 'UNTIL / ENDED', 'STATE', 'ID'], loanRows([...v.active, ...v.recent.slice(0, 10)], now)));
  out.push('\nneighbours\n');
  if (v.neighbours.length === 0) out.push('none known (LAN heartbeats of other farms, or loanNeighbours)\n');
  else
    out.push(
      renderTable(
        ['FARM', 'MASTER', 'ADDRESS', 'SOURCE', 'STATE', 'TRUSTED', 'LAST SEEN'],
        v.neighbours.map((n) => [n.clusterId ?? '(foreign)', n.masterId ?? '', `${n.address}:${n.loanPort}`, n.source, n.up ? 'up' : 'down', n.trusted ? 'yes' : 'no', n.lastSeen ? formatRelative(Date.parse(n.lastSeen) / 1000, now) : 'never']),
      ),
    );
  const l = v.load;
  if (l) {
    const sat = l.saturatedSince ? `saturated since ${formatRelative(Date.parse(l.saturatedSince) / 1000, now)}` : 'not saturated';
    out.push(
      `\nload: pool ${l.pool} (home ${l.home}, borrowed ${l.borrowed}, lent ${l.lent}) · needed ${l.needed} · lag p99 ${Math.round(l.lagP99Ms)} ms · cpu ${Math.round(l.cpu * 100)}% · utilisation ${l.utilisation.toFixed(2)} · ${sat}\n`,
    );
  } else out.push('\nload: known on the master only\n');
  return out.join('');
}
