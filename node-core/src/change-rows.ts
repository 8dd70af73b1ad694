// What one applied board entry changed, for the 'change' event: the touched server rows as they are
// now and the hosts removed, so clients patch their view instead of copying the whole board (issue 11).
import { MAX_CHANGE_ROWS, type ChangeEvent } from './api/peer-api.js';
import type { Server } from './board/types.js';

/** The board queries this needs (the Board of state-machine.ts). */
export interface ChangeSource {
  server(host: string): Server | undefined;
  lastUpdated(): number;
}

/** commands that touch no server row (registrations, presence, serving) */
const ROWLESS = new Set(['presence', 'cluster-register', 'user-register', 'serving']);

/**
 * The hosts a command may have touched: null when it cannot name them (an import that may replace
 * the inventory, or an unknown or malformed command).
 */
export function hostsOf(cmd: unknown): string[] | null {
  if (typeof cmd !== 'object' || cmd === null) return null;
  const c = cmd as { type?: unknown; host?: unknown; server?: { host?: unknown }; servers?: unknown; replace?: unknown };
  if (typeof c.type !== 'string') return null;
  if (ROWLESS.has(c.type)) return [];
  if (typeof c.host === 'string') return [c.host];
  if (c.type === 'server-add' && typeof c.server?.host === 'string') return [c.server.host];
  if (c.type === 'servers-import' && c.replace !== true && Array.isArray(c.servers) && c.servers.length <= MAX_CHANGE_ROWS) {
    const hosts = c.servers.map((s) => (s as { host?: unknown } | null)?.host);
    return hosts.every((h): h is string => typeof h === 'string') ? [...new Set(hosts)] : null;
  }
  return null;
}

/** The change event of one applied entry: O(rows it touched), never O(board). */
export function changeEventOf(index: number, cmd: unknown, board: ChangeSource, request: ChangeEvent['request']): ChangeEvent {
  const hosts = hostsOf(cmd);
  const base = { type: 'change' as const, index, request, lastUpdate: board.lastUpdated() };
  if (hosts === null) return { ...base, full: true };
  const rows: Server[] = [];
  const removed: string[] = [];
  for (const host of hosts) {
    const row = board.server(host);
    if (row) rows.push(row);
    else removed.push(host);
  }
  return { ...base, rows, removed };
}
