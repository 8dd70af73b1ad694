// Small pure helpers of the board: result values, time formatting, derived server fields and the
// history query. No state lives here.
import { ErrorCode } from '../errors.js';
import type { Loan } from '../loans/types.js';
import { SYSTEM_OPERATIONS, ServerStatus, type ApplyResult, type HistoryFilter, type HistoryPage, type Server, type UserRequest } from './types.js';

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 500;

/** Epoch seconds as ISO UTC without milliseconds: 2026-11-22T14:00:00Z. */
export function isoSec(sec: number): string {
  const d = new Date(sec * 1000);
  if (Number.isNaN(d.getTime())) return String(sec);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Epoch milliseconds as full ISO (seed 002's createdAt style). */
export function isoMs(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}

/**
 * The readable history line of a loan as it stands after a start or an end: "lent <worker> to farm
 * <id> until <time>", "borrowed <worker> from farm <id>", "loan of <worker> ended: <reason>". The farm
 * is the peer's cluster id, or its address for a foreign master that sent none.
 */
export function loanLine(l: Loan): string {
  const worker = l.workerName ?? l.workerId;
  const farm = l.peer.clusterId ?? l.peer.address;
  if (l.state === 'ended') return `loan of ${worker} ended: ${l.endReason ?? 'ended'}`;
  if (l.direction === 'out') return `lent ${worker} to farm ${farm} until ${isoSec(Math.floor(l.until / 1000))}`;
  return `borrowed ${worker} from farm ${farm}`;
}

export function ok(value?: unknown): ApplyResult {
  return value === undefined ? { ok: true } : { ok: true, value };
}

export function fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ApplyResult {
  return { ok: false, error: { code, message, details } };
}

/** Recomputes available/action from holder and maintenance. */
export function derive(s: Server): void {
  s.available = s.holder === null && !s.maintenance;
  s.action = s.maintenance ? ServerStatus.Maintenance : s.holder !== null ? ServerStatus.Reserved : ServerStatus.Available;
}

export function newServer(host: string): Server {
  const s: Server = {
    host,
    app: '',
    ip: '',
    env: '',
    available: true,
    action: ServerStatus.Available,
    since: 0,
    comment: '',
    holder: null,
    until: null,
    maintenance: false,
    queue: [],
    holderNode: null,
  };
  return s;
}

function clampInt(v: unknown, dflt: number, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return dflt;
  return Math.min(max, Math.max(min, Math.floor(v)));
}

/** Filters the history (oldest first) and pages it newest first. Returns copies. */
export function queryHistory(history: readonly UserRequest[], filter: HistoryFilter = {}): HistoryPage {
  const f = filter ?? {};
  const limit = clampInt(f.limit, HISTORY_DEFAULT_LIMIT, 1, HISTORY_MAX_LIMIT);
  const offset = clampInt(f.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  const matches = (r: UserRequest): boolean =>
    (f.user === undefined || r.user === f.user) &&
    (f.host === undefined || r.serverHost === f.host) &&
    (f.operation === undefined || r.operation === f.operation) &&
    (f.result === undefined || r.result === f.result) &&
    (f.since === undefined || r.timestamp >= f.since) &&
    (f.system === undefined || SYSTEM_OPERATIONS.has(r.operation) === f.system);
  const items: UserRequest[] = [];
  let total = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const r = history[i]!;
    if (!matches(r)) continue;
    if (total >= offset && items.length < limit) items.push(structuredClone(r));
    total++;
  }
  return { items, total, limit, offset };
}
