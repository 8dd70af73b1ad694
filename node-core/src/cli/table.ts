// Plain-text tables for the terminal: the servers board and the history, columns padded to fit.
import type { Server, UserRequest } from '../board/types.js';
import { formatLocal, formatLocalDateTime, formatRelative, zoneLabel } from './time.js';

/** Longest text kept in one cell; longer text is cut with an ellipsis. */
export const MAX_CELL = 40;

function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value).replace(/[\r\n\t]+/g, ' ');
  // control characters from the network never reach the terminal
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean.length > MAX_CELL ? `${clean.slice(0, MAX_CELL - 1)}…` : clean;
}

/** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
export function renderTable(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => cell(r[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

export function statusOf(s: Server): string {
  return s.action || (s.maintenance ? 'Maintenance' : s.holder ? 'Reserved' : 'Available');
}

/** "in 1h 15m (15:20)", or with the zone when no header says it: "in 1h 15m (15:20 Europe/Berlin, UTC+01:00)" */
export function untilText(until: number | null | undefined, now: Date, withZone = false): string {
  if (until === null || until === undefined || !Number.isFinite(until)) return '';
  const zone = withZone ? ` ${zoneLabel(new Date(until * 1000))}` : '';
  return `${formatRelative(until, now)} (${formatLocal(until, now)}${zone})`;
}

export function renderServers(servers: Server[], now: Date = new Date()): string {
  if (servers.length === 0) return 'no servers\n';
  const rows = servers.map((s) => {
    const queued = Array.isArray(s.queue) && s.queue.length > 0 ? ` +${s.queue.length} queued` : '';
    return [s.host, s.app, s.env, statusOf(s) + queued, s.holder ?? '', untilText(s.until, now), s.comment];
  });
  return renderTable(['HOST', 'APP', 'ENV', 'STATUS', 'HOLDER', `UNTIL (${zoneLabel(now)})`, 'COMMENT'], rows);
}

/** What an import did, for its own column: "3 added, 1 updated, 0 removed" */
export function importSummary(h: UserRequest): string {
  if (h.operation !== 'servers-import' || !h.details) return '';
  const n = (k: string): number => (typeof h.details?.[k] === 'number' ? (h.details[k] as number) : 0);
  return `${n('added')} added, ${n('updated')} updated, ${n('removed')} removed`;
}

/** The history, newest first: the date and time of each row in local time, the zone said once in the header. */
export function renderHistory(items: UserRequest[], now: Date = new Date()): string {
  if (items.length === 0) return 'no history entries\n';
  const rows = items.map((h) => [
    formatLocalDateTime(h.timestamp),
    h.user,
    h.operation,
    h.serverHost || importSummary(h),
    h.result === 'error' ? `error${h.errorCode ? ` ${h.errorCode}` : ''}` : h.result ?? '',
    h.nodeName || h.nodeIP,
    h.comment,
  ]);
  return renderTable([`TIME (${zoneLabel(now)})`, 'USER', 'OPERATION', 'HOST', 'RESULT', 'NODE', 'COMMENT'], rows);
}

export interface ServerFilter {
  env?: string;
  app?: string;
  status?: string;
  /** only servers held by this user */
  holder?: string;
}

/** Case-insensitive exact match on env, app and status; holder matches exactly. */
export function filterServers(servers: Server[], f: ServerFilter): Server[] {
  const eq = (a: string | undefined, b: string | undefined): boolean => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  return servers.filter(
    (s) =>
      (f.env === undefined || eq(s.env, f.env)) &&
      (f.app === undefined || eq(s.app, f.app)) &&
      (f.status === undefined || eq(statusOf(s), f.status)) &&
      (f.holder === undefined || s.holder === f.holder),
  );
}
