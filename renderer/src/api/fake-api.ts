// An in-memory PeerApi for component tests and the ?demo=1 mode. It does not re-write the board's
// rules: every write goes through node-core's board service and the real board state machine (pure TS,
// bundled by vite); only the cluster around it (quorum, role, link, staleness) is simulated for tests.
import { checkProposal } from '../../../node-core/src/board/commands.js';
import { queryHistory } from '../../../node-core/src/board/format.js';
import { BoardService, type SubmitOptions, type SubmitResult } from '../../../node-core/src/board/service.js';
import { Board } from '../../../node-core/src/board/state-machine.js';
import type { BoardCommand } from '../../../node-core/src/board/types.js';
import { ErrorCode, PeerboardError, toPeerboardError } from '../../../node-core/src/errors.js';
import { MONITOR_COMMAND_TYPES } from '../../../node-core/src/monitoring/board-monitoring.js';
import { MonitorService } from '../../../node-core/src/monitoring/monitor-service.js';
import { LOAN_COMMAND_TYPES } from '../../../node-core/src/loans/board-loans.js';
import { endLoanAt, type LoanAction } from '../../../node-core/src/loans/loans-edge.js';
import type { Loan } from '../../../node-core/src/loans/types.js';
import { demoFarm, FakeLoans } from './fake-loans.js';
import { demoBoard, demoBoardWithMonitoring, demoSeries, makeServers, type FakeBoard } from './demo-data.js';
import {
  ApiKind,
  Code,
  errorResult,
  LinkState,
  type Alert,
  type BoardView,
  type CheckInput,
  type CheckSeries,
  type CheckView,
  type DesktopExtras,
  type DesktopSettings,
  type ErrorValue,
  type HistoryPage,
  type InviteInfo,
  type LinkListener,
  type LocationResult,
  type LoansView,
  type NotificationInput,
  type NotificationTargetView,
  type PeerEvent,
  type RendererApi,
  type Result,
  type Role,
  type WakeInfo,
  type Server,
  type ServerInput,
  type Verdict,
} from './api-types.js';

type Method = Exclude<keyof RendererApi, 'kind' | 'desktop' | 'subscribe' | 'onLink'>;

export interface FakeApiOptions {
  board?: FakeBoard;
  /** clock in ms (tests pin it) */
  now?: () => number;
  /** desktop settings: present → the fake also plays the desktop app */
  settings?: DesktopSettings;
  /** delay before each answer, ms (demo mode feels real with a little) */
  latencyMs?: number;
}

export class FakeApi implements RendererApi {
  readonly kind = ApiKind.fake;
  readonly desktop: DesktopExtras | null;
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  readonly board: FakeBoard;
  settings: DesktopSettings | null;
  /** what invite() answers (tests set an open team or none) */
  inviteInfo: InviteInfo = { clusterId: 'team', open: false, invite: `pb1:team:${'Zk'.repeat(21)}Q@192.168.1.10:8779`, peers: ['192.168.1.10:8779'] };
  private readonly now: () => number;
  private readonly listeners = new Set<(e: PeerEvent) => void>();
  private readonly linkListeners = new Set<LinkListener>();
  private readonly failures = new Map<string, ErrorValue>();
  /** the real board state machine; `board.servers` / `board.history` are its rows as the page reads them */
  private readonly sm = new Board();
  private readonly service = new BoardService({ submit: (cmd, opts) => this.commit(cmd, opts) });
  /** monitoring through node-core's own service over the same board; the chart's points are generated (demo) */
  private readonly monitor = new MonitorService(
    { submit: (cmd, opts) => this.commit(cmd, opts) },
    {
      monitoring: () => this.sm.monitoring(),
      now: () => this.now(),
      series: (checkId, sinceMs, maxPoints) => demoSeries(this.sm.monitoring(), checkId, sinceMs, this.now(), maxPoints),
    },
  );
  /** worker loans: a LoansControl over the same real board (recall/return commit loan-end through it) */
  readonly loanControl = new FakeLoans({
    board: () => {
      this.load();
      return this.sm;
    },
    commit: (cmd, opts) => this.commit(cmd, opts),
    now: () => this.now(),
    clusterId: () => this.board.self.clusterId,
    master: () => this.board.self.role === 'master',
  });
  private index = 1;

  constructor(private readonly opts: FakeApiOptions = {}) {
    this.board = opts.board ?? demoBoard(opts.now?.() ?? Date.now());
    this.now = opts.now ?? (() => Date.now());
    this.settings = opts.settings ?? null;
    this.desktop = this.settings ? this.makeDesktop() : null;
    this.index = this.board.history.reduce((m, h) => Math.max(m, h.id), 0) + 1;
    this.seed();
  }

  /** The board's monitoring seed (demo checks, targets, verdict changes), committed like any write. */
  private seed(): void {
    const seed = this.board.seed ?? [];
    if (seed.length === 0) return;
    const now = this.now();
    for (const { cmd, agoMs } of seed) {
      // a seed command the board refuses is a bug in the demo data: say so loudly
      this.apply(cmd, { user: 'admin', reqId: `demo-seed-${this.index}` }, now - agoMs);
    }
  }

  // ---- test hooks ----------------------------------------------------------------------------

  /** The next call of `method` fails with `error`. */
  failNext(method: Method | 'getSettings' | 'saveSettings' | 'generateKey' | 'joinTeam', error: ErrorValue): void {
    this.failures.set(method, error);
  }
  emit(event: PeerEvent): void {
    for (const l of [...this.listeners]) l(event);
  }
  /**
   * Commits a verdict change through the real board, as the master's monitoring would: the alert is
   * recorded (muted when the check's server is in maintenance) and pushed as a 'verdict' event.
   */
  commitVerdict(checkId: number, previous: Verdict, verdict: Verdict, locations: LocationResult[] = []): Alert {
    return (this.commitCommand({ type: 'verdict', checkId, previous, verdict, locations }).value as { alert: Alert }).alert;
  }
  /**
   * Commits any board command through the real board at the fake's clock, as an entry another node
   * proposed would arrive (e.g. the master's 'alert-delivery' outcomes); a refusal throws.
   */
  commitCommand(cmd: BoardCommand, user = 'system'): SubmitResult {
    return this.apply(cmd, { user }, this.now());
  }
  /** Starts a loan through the real board at the fake's clock (as a master's loan-start would); a refusal throws. */
  startLoan(loan: Omit<Loan, 'since' | 'until' | 'state' | 'endedAt' | 'endReason'> & { leaseMs: number }): Loan {
    return (this.commitCommand({ type: 'loan-start', loan }).value as { loan: Loan }).loan;
  }
  setLink(state: LinkState, hello?: BoardView): void {
    for (const l of [...this.linkListeners]) l(state, hello);
  }
  setQuorum(quorum: boolean): void {
    const b = this.board;
    b.quorum = quorum;
    b.writeBlockedReason = quorum ? null : 'No quorum: this node reaches 1 of 3 voters';
    this.emit({ type: 'cluster', clusterView: b.clusterView, leader: b.leader, quorum, stale: b.stale });
  }
  setStale(stale: boolean, staleMs: number | null): void {
    this.board.stale = stale;
    this.board.staleMs = staleMs;
    this.emit({ type: 'cluster', clusterView: this.board.clusterView, leader: this.board.leader, quorum: this.board.quorum, stale });
  }
  /** the node reports a pause (sleep) and, later, that it caught up (null: none lately) */
  setAsleep(asleep: WakeInfo | null): void {
    const b = this.board;
    this.asleep = asleep;
    this.emit({ type: 'cluster', clusterView: b.clusterView, leader: b.leader, quorum: b.quorum, stale: b.stale, asleep });
  }
  private asleep: WakeInfo | null = null;
  setRole(role: Role): void {
    const s = this.board.self;
    s.role = role;
    this.emit({ type: 'role', role, ip: s.nodeIP, nodeId: s.nodeId, term: s.term });
  }
  get listenerCount(): number {
    return this.listeners.size;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private async answer<T>(method: string, args: unknown[], run: () => Result<T> | Promise<Result<T>>): Promise<Result<T>> {
    this.calls.push({ method, args: structuredClone(args) });
    if (this.opts.latencyMs) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      return { ok: false, error: failure };
    }
    return structuredClone(await run());
  }

  /** A write: refused without quorum as a node would, else run by the board service on the real board. */
  private write<T>(method: string, args: unknown[], run: (service: BoardService) => Promise<Result<T>>): Promise<Result<T>> {
    return this.answer(method, args, () => {
      if (!this.board.quorum) return errorResult(Code.NoQuorum, this.board.writeBlockedReason ?? 'No quorum: writes are paused.');
      return run(this.service);
    });
  }

  /**
   * What a node's submit does, minus consensus: the gate before the log, then the state machine's
   * apply with this entry's time. The board's rows are first taken from `board.servers` (a test may
   * have changed them, as another node would), and the rows the command touched are written back.
   */
  private async commit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult> {
    return this.apply(cmd, opts, this.now());
  }

  /** commit()'s work, synchronous, with the entry's time (the demo seed dates its verdict changes back) */
  private apply(cmd: BoardCommand, opts: SubmitOptions, at: number): SubmitResult {
    const meta = { user: opts.user, nodeId: this.board.self.nodeId, nodeIP: this.board.self.nodeIP, reqId: opts.reqId ?? `demo-${this.index}` };
    const checked = checkProposal(cmd, meta);
    if (!checked.ok) throw new PeerboardError(ErrorCode.BadRequest, checked.message, checked.details);
    this.load();
    const index = this.index++;
    const result = this.sm.apply({ index, at, cmd, meta });
    this.store(cmd);
    const request = this.board.history[0]?.id === index ? this.board.history[0] : null;
    setTimeout(() => this.emit({ type: 'change', index, request }), 0);
    if (!result.ok) throw PeerboardError.fromValue(result.error);
    // as a node does: a committed verdict change is also pushed as its own event
    const alert = cmd.type === 'verdict' ? (result.value as { alert?: Alert } | undefined)?.alert : undefined;
    if (alert) setTimeout(() => this.emit({ type: 'verdict', alert }), 0);
    return { index, value: result.value };
  }

  /** board.servers / board.history (newest first) -> the state machine, unless it already holds them. */
  private load(): void {
    const prev = this.sm.snapshot({ share: true });
    if (this.inSync(prev)) return;
    this.sm.restore({
      version: 1,
      servers: this.board.servers,
      history: [...this.board.history].reverse(),
      users: prev.users,
      clusterNodes: prev.clusterNodes,
      applied: prev.applied,
      lastUpdate: this.board.lastUpdate,
      monitoring: prev.monitoring,
      loans: prev.loans,
    });
  }

  /**
   * true when the page's rows are the state machine's (nobody changed them since the last write):
   * a restore validates and copies the whole board, 80 ms a write at 2,000 servers; this is < 1 ms.
   */
  private inSync(snap: ReturnType<Board['snapshot']>): boolean {
    const rows = this.board.servers;
    if (snap.lastUpdate !== this.board.lastUpdate || rows.length !== snap.servers.length) return false;
    for (let i = 0; i < rows.length; i++) if (!sameRow(rows[i]!, snap.servers[i]!)) return false;
    const newest = snap.history[snap.history.length - 1];
    return this.board.history.length === Math.min(snap.history.length, HISTORY_KEPT) && this.board.history[0]?.id === newest?.id;
  }

  /** The state machine -> the rows the command touched (others keep statuses the demo shows, e.g. On loan). */
  private store(cmd: BoardCommand): void {
    const snap = this.sm.snapshot({ share: true });
    this.board.lastUpdate = snap.lastUpdate;
    this.board.history = structuredClone(snap.history.slice(-HISTORY_KEPT)).reverse();
    const hosts = 'host' in cmd ? [cmd.host] : cmd.type === 'server-add' ? [cmd.server.host] : MONITOR_TYPES.has(cmd.type) || LOAN_TYPES.has(cmd.type) ? [] : null;
    if (hosts === null) {
      this.board.servers = structuredClone(snap.servers);
      return;
    }
    for (const host of hosts) {
      const row = this.sm.server(host);
      const i = this.board.servers.findIndex((s) => s.host === host);
      if (row && i >= 0) this.board.servers[i] = row;
      else if (row) this.board.servers.push(row);
      else if (i >= 0) this.board.servers.splice(i, 1);
    }
  }

  // ---- PeerApi ---------------------------------------------------------------------------------

  getState(): Promise<Result<BoardView>> {
    return this.answer('getState', [], () => {
      const b = this.board;
      return {
        ok: true,
        value: {
          serversData: { lastUpdate: b.lastUpdate, serversList: b.servers },
          clusterView: b.clusterView,
          userRequests: b.history.slice(0, 50),
          self: b.self,
          leader: b.leader,
          commitIndex: this.index - 1,
          appliedIndex: this.index - 1,
          quorum: b.quorum,
          stale: b.stale,
          staleMs: b.staleMs,
          asleep: this.asleep,
          writeBlockedReason: b.writeBlockedReason,
        },
      };
    });
  }

  reserve(req: Parameters<RendererApi['reserve']>[0]): Promise<Result<Server>> {
    return this.write('reserve', [req], (b) => b.reserve(req));
  }

  release(req: Parameters<RendererApi['release']>[0]): Promise<Result<Server>> {
    return this.write('release', [req], (b) => b.release(req));
  }

  extend(req: Parameters<RendererApi['extend']>[0]): Promise<Result<Server>> {
    return this.write('extend', [req], (b) => b.extend(req));
  }

  queue(req: Parameters<RendererApi['queue']>[0]): Promise<Result<Server>> {
    return this.write('queue', [req], (b) => b.queue(req));
  }

  leaveQueue(req: { host: string; user: string }): Promise<Result<Server>> {
    return this.write('leaveQueue', [req], (b) => b.leaveQueue(req));
  }

  addServer(input: ServerInput): Promise<Result<Server>> {
    return this.write('addServer', [input], (b) => b.addServer(input, { user: this.board.self.user }));
  }

  updateServer(host: string, patch: Omit<ServerInput, 'host'>): Promise<Result<Server>> {
    return this.write('updateServer', [host, patch], (b) => b.updateServer(host, patch, { user: this.board.self.user }));
  }

  removeServer(host: string): Promise<Result<{ host: string }>> {
    return this.write('removeServer', [host], (b) => b.removeServer(host, { user: this.board.self.user }));
  }

  importServers(data: { serversList: ServerInput[]; replace?: boolean }): Promise<Result<{ count: number }>> {
    return this.write('importServers', [data], (b) => b.importServers(data, { user: this.board.self.user }));
  }

  setMaintenance(host: string, on: boolean, reason?: string): Promise<Result<Server>> {
    const args: unknown[] = reason === undefined ? [host, on] : [host, on, reason];
    return this.write('setMaintenance', args, (b) => b.setMaintenance(host, on, { user: this.board.self.user }, reason));
  }

  /** the node's own history query over the board's rows */
  history(filter: Parameters<RendererApi['history']>[0]): Promise<Result<HistoryPage>> {
    return this.answer('history', [filter], () => ({ ok: true, value: queryHistory([...this.board.history].reverse(), filter) }));
  }

  promote(nodeId: string): Promise<Result<{ leaderId: string }>> {
    return this.answer('promote', [nodeId], () => {
      const b = this.board;
      const target = b.clusterView.find((n) => n.nodeId === nodeId);
      if (!target) return errorResult(Code.NotFound, `No node ${nodeId} in the cluster`);
      if (!b.quorum) return errorResult(Code.NoQuorum, b.writeBlockedReason ?? 'No quorum');
      const term = b.self.term + 1;
      for (const n of b.clusterView) Object.assign(n, { role: n.nodeId === nodeId ? 'master' : 'slave', term });
      b.leader = { nodeId, nodeIP: target.nodeIP, apiPort: target.apiPort };
      b.self.term = term;
      const selfRole: Role = nodeId === b.self.nodeId ? 'master' : 'slave';
      setTimeout(() => {
        this.setRole(selfRole);
        this.emit({ type: 'cluster', clusterView: structuredClone(b.clusterView), leader: b.leader, quorum: b.quorum, stale: b.stale });
      }, 0);
      return { ok: true, value: { leaderId: nodeId } };
    });
  }

  invite(): Promise<Result<InviteInfo>> {
    return this.answer('invite', [], () => ({ ok: true, value: this.inviteInfo }));
  }

  // ---- monitoring: node-core's MonitorService over the real board ------------------------------

  listChecks(): Promise<Result<CheckView[]>> {
    return this.answer('listChecks', [], () => ({ ok: true, value: this.monitor.listChecks() }));
  }
  addCheck(input: CheckInput): Promise<Result<CheckView>> {
    return this.write('addCheck', [input], () => this.monitor.addCheck(input, { user: this.board.self.user }));
  }
  updateCheck(id: number, patch: Partial<CheckInput>): Promise<Result<CheckView>> {
    return this.write('updateCheck', [id, patch], () => this.monitor.updateCheck(id, patch, { user: this.board.self.user }));
  }
  removeCheck(id: number): Promise<Result<{ id: number }>> {
    return this.write('removeCheck', [id], () => this.monitor.removeCheck(id, { user: this.board.self.user }));
  }
  checkSeries(id: number, hours: number): Promise<Result<CheckSeries>> {
    return this.answer('checkSeries', [id, hours], () => this.monitor.series(id, hours));
  }
  listAlerts(limit?: number): Promise<Result<Alert[]>> {
    return this.answer('listAlerts', limit === undefined ? [] : [limit], () => ({ ok: true, value: this.monitor.alerts(limit) }));
  }
  listNotifications(): Promise<Result<NotificationTargetView[]>> {
    return this.answer('listNotifications', [], () => ({ ok: true, value: this.monitor.listNotifications() }));
  }
  addNotification(input: NotificationInput): Promise<Result<NotificationTargetView>> {
    return this.write('addNotification', [input], () => this.monitor.addNotification(input, { user: this.board.self.user }));
  }
  removeNotification(id: number): Promise<Result<{ id: number }>> {
    return this.write('removeNotification', [id], () => this.monitor.removeNotification(id, { user: this.board.self.user }));
  }

  // ---- worker loans: the real board's loans, ended through its writer ---------------------------

  loans(): Promise<Result<LoansView>> {
    return this.answer('loans', [], () => ({ ok: true, value: this.loanControl.view() }));
  }
  recallLoan(id: string): Promise<Result<{ id: string }>> {
    return this.endLoan('recallLoan', id, 'recall');
  }
  returnLoan(id: string): Promise<Result<{ id: string }>> {
    return this.endLoan('returnLoan', id, 'return');
  }
  private endLoan(method: string, id: string, action: LoanAction): Promise<Result<{ id: string }>> {
    return this.write(method, [id], async () => {
      if (this.board.self.role !== 'master') return errorResult(Code.NotLeader, 'This node is not the master: only the master recalls or returns workers.');
      try {
        return { ok: true, value: await endLoanAt(this.loanControl, action, id, this.board.self.user) };
      } catch (err) {
        return { ok: false, error: toPeerboardError(err).toValue() };
      }
    });
  }

  subscribe(listener: (event: PeerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onLink(listener: LinkListener): () => void {
    this.linkListeners.add(listener);
    queueMicrotask(() => listener(LinkState.open));
    return () => this.linkListeners.delete(listener);
  }

  private makeDesktop(): DesktopExtras {
    return {
      getSettings: () => this.answer('getSettings', [], () => ({ ok: true, value: this.settings as DesktopSettings })),
      saveSettings: (patch) =>
        this.answer('saveSettings', [patch], () => {
          this.settings = { ...(this.settings as DesktopSettings), ...patch };
          return { ok: true, value: this.settings };
        }),
      generateKey: () =>
        this.answer('generateKey', [], () => {
          const clusterKey = randomKey();
          return { ok: true, value: { clusterKey, invite: `pb1:${this.settings?.clusterId ?? 'peerboard'}:${clusterKey}` } };
        }),
      // the desktop main process parses the invite (node-core); the fake knows its shape only
      joinTeam: (req) =>
        this.answer('joinTeam', [req], () => {
          const text = req.invite.trim();
          const m = /^pb1:([A-Za-z0-9._-]{1,64}):([A-Za-z0-9_-]{16,256})(?:@(.+))?$/.exec(text);
          let team: Partial<DesktopSettings>;
          if (m) team = { clusterId: m[1]!, clusterKey: m[2]!, staticPeers: m[3] ? m[3].split(',') : [] };
          else if (!text.startsWith('pb') && /^\S{16,256}$/.test(text)) team = { clusterKey: text };
          else return errorResult(Code.BadRequest, 'invalid invite: expected pb1:<team>:<key>, optionally followed by @ip:port,...');
          this.settings = { ...(this.settings as DesktopSettings), ...team, user: req.user.trim(), openCluster: false, onboarded: true };
          return { ok: true, value: this.settings };
        }),
    };
  }
}

const MONITOR_TYPES: ReadonlySet<string> = new Set(MONITOR_COMMAND_TYPES);
const LOAN_TYPES: ReadonlySet<string> = new Set(LOAN_COMMAND_TYPES);

/** history rows the page keeps (the node's GET /api/history pages at most 500) */
const HISTORY_KEPT = 500;

/** Same board state (the derived available/action aside: the demo shows seed statuses such as On loan). */
function sameRow(a: Server, b: Server): boolean {
  return (
    a.host === b.host &&
    a.app === b.app &&
    a.ip === b.ip &&
    a.env === b.env &&
    a.since === b.since &&
    a.comment === b.comment &&
    a.holder === b.holder &&
    a.until === b.until &&
    a.maintenance === b.maintenance &&
    a.holderNode === b.holderNode &&
    a.queue.length === b.queue.length &&
    a.queue.every((q, i) => {
      const r = b.queue[i]!;
      return q.user === r.user && q.durationSec === r.durationSec && q.comment === r.comment && q.since === r.since;
    })
  );
}

/** 32 random bytes in base64url, like node-core's generateClusterKey */
function randomKey(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The demo mode's API: a sample board with monitoring, answering with a little latency; `servers` resizes it. */
export function createDemoApi(servers?: number, latencyMs = 120): FakeApi {
  const now = Date.now();
  const board = demoBoardWithMonitoring(now);
  if (servers !== undefined) board.servers = makeServers(servers, now);
  const api = new FakeApi({ board, latencyMs });
  const farm = demoFarm(now);
  api.loanControl.neighbours = farm.neighbours;
  api.loanControl.load = farm.load;
  return api;
}
