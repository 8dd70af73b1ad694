// Searching, filtering and sorting the board: pure functions over the server list, so a 2,000-row
// board re-sorts in a computed without touching the DOM.
import type { Server } from '../api/api-types.js';
import { isMine } from './hold-alerts.js';

export const Status = {
  Available: 'Available',
  Reserved: 'Reserved',
  Maintenance: 'Maintenance',
  Down: 'Down',
  OnLoan: 'On loan',
} as const;
export type Status = (typeof Status)[keyof typeof Status];
export const STATUSES = Object.values(Status) as Status[];

export const SortKey = {
  host: 'host',
  app: 'app',
  ip: 'ip',
  env: 'env',
  status: 'status',
  holder: 'holder',
  since: 'since',
  until: 'until',
  queue: 'queue',
} as const;
export type SortKey = (typeof SortKey)[keyof typeof SortKey];

export interface BoardQuery {
  text: string;
  env: string;
  app: string;
  status: string;
  sortKey: SortKey;
  sortDir: 'asc' | 'desc';
  /** the current user: their holds come first */
  me: string;
  /** "My reservations": only servers the user holds or waits for */
  mineOnly: boolean;
}

export const DEFAULT_QUERY: BoardQuery = { text: '', env: '', app: '', status: '', sortKey: 'host', sortDir: 'asc', me: '', mineOnly: false };

/** The badge a server shows: maintenance wins, then the node's action word, then the hold. */
export function statusOf(s: Server): Status {
  if (s.maintenance) return Status.Maintenance;
  if ((STATUSES as string[]).includes(s.action)) {
    if (s.action === Status.Available && s.holder) return Status.Reserved;
    return s.action as Status;
  }
  if (s.holder) return Status.Reserved;
  return s.available ? Status.Available : Status.Down;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function ipKey(ip: string): string {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return ip;
  return parts.map((p) => p.padStart(3, '0')).join('.');
}

function compare(a: Server, b: Server, key: SortKey): number {
  switch (key) {
    case 'since':
      return a.since - b.since;
    case 'until':
      return (a.until ?? Number.MAX_SAFE_INTEGER) - (b.until ?? Number.MAX_SAFE_INTEGER);
    case 'queue':
      return a.queue.length - b.queue.length;
    case 'status':
      return collator.compare(statusOf(a), statusOf(b));
    case 'holder':
      return collator.compare(a.holder ?? '\uffff', b.holder ?? '\uffff');
    case 'ip':
      return ipKey(a.ip) < ipKey(b.ip) ? -1 : ipKey(a.ip) > ipKey(b.ip) ? 1 : 0;
    default:
      return collator.compare(a[key], b[key]);
  }
}

function matches(s: Server, q: BoardQuery, needle: string): boolean {
  if (q.mineOnly && !isMine(s, q.me)) return false;
  if (q.env && s.env !== q.env) return false;
  if (q.app && s.app !== q.app) return false;
  if (q.status && statusOf(s) !== q.status) return false;
  if (!needle) return true;
  return (
    s.host.toLowerCase().includes(needle) ||
    s.app.toLowerCase().includes(needle) ||
    s.ip.includes(needle) ||
    s.env.toLowerCase().includes(needle) ||
    (s.holder?.toLowerCase().includes(needle) ?? false) ||
    s.comment.toLowerCase().includes(needle)
  );
}

/** The rows to show, in order: the user's own holds first, then by the chosen column. */
export function filterAndSort(servers: readonly Server[], q: BoardQuery): Server[] {
  const needle = q.text.trim().toLowerCase();
  const dir = q.sortDir === 'desc' ? -1 : 1;
  const rows = servers.filter((s) => matches(s, q, needle));
  rows.sort((a, b) => {
    if (q.me) {
      const am = a.holder === q.me ? 0 : 1;
      const bm = b.holder === q.me ? 0 : 1;
      if (am !== bm) return am - bm;
    }
    return compare(a, b, q.sortKey) * dir || collator.compare(a.host, b.host);
  });
  return rows;
}

/** The distinct non-empty values of a field, sorted: the options of a filter. */
export function distinct(servers: readonly Server[], field: 'env' | 'app'): string[] {
  const set = new Set<string>();
  for (const s of servers) if (s[field]) set.add(s[field]);
  return [...set].sort(collator.compare);
}
