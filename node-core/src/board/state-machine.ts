// The board state machine: applies committed log entries to the reservation board, identically on
// every replica. Deterministic (only entry.index / entry.at, never the wall clock) and never throws.
import { BadRequestError, ConfigError, ErrorCode, toPeerboardError } from '../errors.js';
import { checkBoardSnapshot, commandMetaSchema, HOST_PATTERN, parseBoardCommand, summarizeIssues } from './commands.js';
import { derive, fail, queryHistory } from './format.js';
import { applyCommand, historyRow, type BoardData, type Ctx } from './handlers.js';
import { emptyLoans } from '../loans/board-loans.js';
import { loansSnapshot, restoreLoans } from '../loans/loans-snapshot.js';
import type { LoansData } from '../loans/types.js';
import { emptyMonitoring, type MonitoringData } from '../monitoring/board-monitoring.js';
import { monitoringSnapshot, restoreMonitoring } from '../monitoring/monitor-snapshot.js';
import type {
  ApplyResult,
  BoardSnapshot,
  ClusterNodeRecord,
  CommandMeta,
  EpochSeconds,
  HistoryFilter,
  HistoryPage,
  RegisteredUser,
  Server,
  ServersData,
  UserRequest,
} from './types.js';

export interface BoardOptions {
  /** history rows kept, oldest dropped first (default 20000) */
  historyLimit?: number;
  /** idempotency keys remembered, oldest forgotten first (default 10000) */
  idempotencyLimit?: number;
}

/** One committed board entry as consensus hands it over. */
export interface BoardEntry {
  index: number;
  /** ms since the epoch, stamped by the master */
  at: number;
  cmd: unknown;
  meta: CommandMeta;
}

export class Board {
  private readonly historyLimit: number;
  private readonly idempotencyLimit: number;
  private data: BoardData = { servers: new Map(), users: new Map(), nodes: new Map(), monitoring: emptyMonitoring(), loans: emptyLoans() };
  private log: UserRequest[] = [];
  private applied = new Map<string, ApplyResult>();
  private lastUpdate: EpochSeconds = 0;

  constructor(opts: BoardOptions = {}) {
    this.historyLimit = positiveInt(opts.historyLimit, 20_000, 'historyLimit');
    this.idempotencyLimit = positiveInt(opts.idempotencyLimit, 10_000, 'idempotencyLimit');
  }

  /**
   * Applies one committed entry. A refused command is a result ({ok:false}), never an exception.
   * An entry whose envelope (index, at, meta) is malformed is refused without a history row: it has
   * no trustworthy time or author (consensus validates envelopes, so this is a last guard).
   */
  apply(entry: BoardEntry): ApplyResult {
    try {
      return this.applyChecked(entry);
    } catch (err) {
      return fail(ErrorCode.Internal, `the board could not apply entry: ${toPeerboardError(err).message}`);
    }
  }

  private applyChecked(entry: unknown): ApplyResult {
    if (typeof entry !== 'object' || entry === null) return fail(ErrorCode.BadRequest, 'invalid log entry: expected an object');
    const { index, at, cmd, meta: rawMeta } = entry as Record<string, unknown>;
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
      return fail(ErrorCode.BadRequest, 'invalid log entry: index must be a non-negative integer', { field: 'index' });
    }
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) {
      return fail(ErrorCode.BadRequest, 'invalid log entry: at must be non-negative integer milliseconds', { field: 'at' });
    }
    const metaParsed = commandMetaSchema.safeParse(rawMeta);
    if (!metaParsed.success) {
      const issue = summarizeIssues(metaParsed.error.issues)[0];
      const field = issue && issue.path !== '(command)' ? `meta.${issue.path}` : 'meta';
      return fail(ErrorCode.BadRequest, `invalid log entry: ${field}: ${issue?.message ?? 'invalid'}`, { field });
    }
    const meta = metaParsed.data;
    if (meta.reqId !== '') {
      const prev = this.applied.get(meta.reqId);
      if (prev) return structuredClone(prev);
    }

    const ctx: Ctx = { index, at, now: Math.floor(at / 1000), meta, main: null, extra: [], changed: false };
    const parsed = parseBoardCommand(cmd);
    let operation: string;
    let result: ApplyResult;
    if (!parsed.ok) {
      operation = operationName(cmd);
      ctx.main = { user: meta.user, serverHost: hostOf(cmd), comment: '' };
      result = fail(ErrorCode.BadRequest, parsed.message, { field: parsed.field, issues: parsed.issues });
    } else {
      const c = parsed.cmd;
      operation = c.type;
      ctx.main = { user: meta.user, serverHost: hostOf(c), comment: 'comment' in c ? (c.comment ?? '') : '' };
      result = applyCommand(this.data, c, ctx);
    }

    if (ctx.changed) this.lastUpdate = ctx.now;
    if (ctx.main) this.pushHistory(historyRow(ctx, operation, ctx.main, result));
    for (const r of ctx.extra) this.pushHistory(r);
    // presence batches are idempotent by nature (lastSeen only moves forward) and frequent: their
    // keys would push real idempotency keys out of the bounded memory
    if (meta.reqId !== '' && operation !== 'presence') this.remember(meta.reqId, result);
    return structuredClone(result);
  }

  private pushHistory(r: UserRequest): void {
    this.log.push(r);
    if (this.log.length > this.historyLimit) this.log.splice(0, this.log.length - this.historyLimit);
  }

  private remember(reqId: string, result: ApplyResult): void {
    this.applied.set(reqId, structuredClone(result));
    for (const key of this.applied.keys()) {
      if (this.applied.size <= this.idempotencyLimit) break;
      this.applied.delete(key); // Map order is insertion order: the oldest goes first
    }
  }

  // -- queries -----------------------------------------------------------------------------------

  serversData(): ServersData {
    return { lastUpdate: this.lastUpdate, serversList: [...this.data.servers.values()].map((s) => structuredClone(s)) };
  }

  /** the board's lastUpdate (epoch seconds) without copying the rows */
  lastUpdated(): EpochSeconds {
    return this.lastUpdate;
  }

  server(host: string): Server | undefined {
    const s = this.data.servers.get(host);
    return s ? structuredClone(s) : undefined;
  }

  history(filter: HistoryFilter = {}): HistoryPage {
    return queryHistory(this.log, filter);
  }

  users(): RegisteredUser[] {
    return [...this.data.users.values()].map((u) => ({ ...u }));
  }

  /** monitoring's replicated data, read-only: callers copy what they hand out */
  monitoring(): Readonly<MonitoringData> {
    return this.data.monitoring;
  }

  /** loans' replicated data (issue 13), read-only: callers copy what they hand out */
  loans(): Readonly<LoansData> {
    return this.data.loans;
  }

  clusterNodes(): ClusterNodeRecord[] {
    return [...this.data.nodes.values()].map((n) => structuredClone(n));
  }

  /** Holds that have ended by nowSec, earliest first: the master proposes an expire for each. */
  dueExpiries(nowSec: EpochSeconds): Array<{ host: string; until: EpochSeconds }> {
    const due: Array<{ host: string; until: EpochSeconds }> = [];
    for (const s of this.data.servers.values()) {
      if (s.holder !== null && s.until !== null && s.until <= nowSec) due.push({ host: s.host, until: s.until });
    }
    return due.sort((a, b) => a.until - b.until || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  resultFor(reqId: string): ApplyResult | undefined {
    const r = this.applied.get(reqId);
    return r ? structuredClone(r) : undefined;
  }

  // -- snapshots ---------------------------------------------------------------------------------

  /**
   * The whole state as plain data. A deep copy by default; with `share` the rows are the board's own
   * objects, for a caller that encodes the snapshot at once and keeps no reference (the periodic
   * snapshot to disk: at 60,000 servers the copy was half of the time the event loop stood still).
   */
  snapshot(opts: { share?: boolean } = {}): BoardSnapshot {
    const copy = opts.share ? <T>(x: T): T => x : <T>(x: T): T => structuredClone(x);
    return {
      version: 1,
      servers: [...this.data.servers.values()].map(copy),
      history: opts.share ? [...this.log] : structuredClone(this.log),
      users: this.users(),
      clusterNodes: this.clusterNodes(),
      applied: [...this.applied.entries()].map(([k, v]) => [k, copy(v)] as [string, ApplyResult]),
      lastUpdate: this.lastUpdate,
      monitoring: monitoringSnapshot(this.data.monitoring, copy),
      loans: loansSnapshot(this.data.loans, copy),
    };
  }

  /** Back to an empty board: no servers, history, users, nodes or remembered results. */
  reset(): void {
    this.data = { servers: new Map(), users: new Map(), nodes: new Map(), monitoring: emptyMonitoring(), loans: emptyLoans() };
    this.log = [];
    this.applied = new Map();
    this.lastUpdate = 0;
  }

  static fromSnapshot(s: BoardSnapshot, opts?: BoardOptions): Board {
    const board = new Board(opts);
    board.restore(s);
    return board;
  }

  /** Replaces the whole state with a snapshot's. Throws BadRequestError (state unchanged) if it is invalid. */
  restore(raw: BoardSnapshot): void {
    const checked = checkBoardSnapshot(raw);
    if (!checked.ok) {
      const first = checked.issues[0];
      throw new BadRequestError(`invalid board snapshot: ${first?.path ?? ''}: ${first?.message ?? 'invalid'}`, { issues: checked.issues });
    }
    const snap = structuredClone(checked.snapshot);
    const servers = new Map<string, Server>();
    for (const s of snap.servers) {
      if (servers.has(s.host)) throw new BadRequestError(`invalid board snapshot: server ${s.host} appears twice`, { host: s.host });
      if ((s.holder === null) !== (s.until === null)) {
        throw new BadRequestError(`invalid board snapshot: server ${s.host} has a holder without an end (or the reverse)`, { host: s.host });
      }
      derive(s);
      servers.set(s.host, s);
    }
    let monitoring: MonitoringData;
    try {
      monitoring = restoreMonitoring(snap.monitoring);
    } catch (err) {
      throw new BadRequestError(`invalid board snapshot: monitoring: ${(err as Error).message}`);
    }
    let loans: LoansData;
    try {
      loans = restoreLoans(snap.loans);
    } catch (err) {
      throw new BadRequestError(`invalid board snapshot: loans: ${(err as Error).message}`);
    }
    this.data = {
      servers,
      users: new Map(snap.users.map((u) => [u.username, u])),
      nodes: new Map(snap.clusterNodes.map((n) => [n.id, n])),
      monitoring,
      loans,
    };
    this.log = snap.history.slice(-this.historyLimit);
    this.applied = new Map(snap.applied.slice(-this.idempotencyLimit));
    this.lastUpdate = snap.lastUpdate;
  }
}

function positiveInt(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`board option ${name} must be a positive integer`, { key: name });
  return v;
}

function operationName(cmd: unknown): string {
  const t = typeof cmd === 'object' && cmd !== null ? (cmd as { type?: unknown }).type : undefined;
  if (typeof t !== 'string' || t === '') return 'invalid';
  return t.length > 64 ? t.slice(0, 64) : t;
}

/** The host a command is about, if it names a valid one ('' otherwise). */
function hostOf(cmd: unknown): string {
  if (typeof cmd !== 'object' || cmd === null) return '';
  const c = cmd as { host?: unknown; server?: unknown };
  const server = typeof c.server === 'object' && c.server !== null ? (c.server as { host?: unknown }).host : undefined;
  const h = typeof c.host === 'string' ? c.host : server;
  return typeof h === 'string' && HOST_PATTERN.test(h) ? h : '';
}
