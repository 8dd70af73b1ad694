// An in-memory PeerApi: the board's rules in miniature, for component tests and the ?demo=1 mode.
// Tests drive it (quorum, staleness, role, link, scripted failures) and read the calls it got.
import { formatClock } from '../lib/time-format.js';
import { demoBoard, makeServers, type FakeBoard } from './demo-data.js';
import {
  ApiKind,
  Code,
  errorResult,
  LinkState,
  SYSTEM_OPERATIONS,
  type BoardView,
  type DesktopExtras,
  type DesktopSettings,
  type ErrorValue,
  type HistoryPage,
  type InviteInfo,
  type LinkListener,
  type PeerEvent,
  type RendererApi,
  type Result,
  type Role,
  type Server,
  type ServerInput,
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
  private index = 1;

  constructor(private readonly opts: FakeApiOptions = {}) {
    this.board = opts.board ?? demoBoard(opts.now?.() ?? Date.now());
    this.now = opts.now ?? (() => Date.now());
    this.settings = opts.settings ?? null;
    this.desktop = this.settings ? this.makeDesktop() : null;
    this.index = this.board.history.reduce((m, h) => Math.max(m, h.id), 0) + 1;
  }

  // ---- test hooks ----------------------------------------------------------------------------

  /** The next call of `method` fails with `error`. */
  failNext(method: Method | 'getSettings' | 'saveSettings' | 'generateKey' | 'joinTeam', error: ErrorValue): void {
    this.failures.set(method, error);
  }
  emit(event: PeerEvent): void {
    for (const l of [...this.listeners]) l(event);
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
  setRole(role: Role): void {
    const s = this.board.self;
    s.role = role;
    this.emit({ type: 'role', role, ip: s.nodeIP, nodeId: s.nodeId, term: s.term });
  }
  get listenerCount(): number {
    return this.listeners.size;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private async answer<T>(method: string, args: unknown[], run: () => Result<T>): Promise<Result<T>> {
    this.calls.push({ method, args: structuredClone(args) });
    if (this.opts.latencyMs) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      return { ok: false, error: failure };
    }
    return structuredClone(run());
  }

  private write<T>(method: string, args: unknown[], op: string, host: string, user: string, run: () => Result<T>): Promise<Result<T>> {
    return this.answer(method, args, () => {
      if (!this.board.quorum) return errorResult(Code.NoQuorum, this.board.writeBlockedReason ?? 'No quorum: writes are paused.');
      const r = run();
      const nowSec = this.nowSec();
      const entry = {
        nodeIP: this.board.self.nodeIP,
        timestamp: nowSec,
        operation: op,
        serverHost: host,
        comment: '',
        id: this.index++,
        user,
        nodeId: this.board.self.nodeId,
        result: r.ok ? ('ok' as const) : ('error' as const),
        ...(r.ok ? {} : { errorCode: r.error.code }),
      };
      this.board.history.unshift(entry);
      if (r.ok) {
        this.board.lastUpdate = nowSec;
        setTimeout(() => this.emit({ type: 'change', index: entry.id, request: entry }), 0);
      }
      return r;
    });
  }

  private nowSec(): number {
    return Math.floor(this.now() / 1000);
  }
  private find(host: string): Server | undefined {
    return this.board.servers.find((s) => s.host === host);
  }
  private settle(s: Server): Server {
    s.available = !s.holder && !s.maintenance && s.action !== 'Down' && s.action !== 'On loan';
    if (s.maintenance) s.action = 'Maintenance';
    else if (s.holder) s.action = 'Reserved';
    else if (s.action !== 'Down' && s.action !== 'On loan') s.action = 'Available';
    return s;
  }
  private heldBy(s: Server): ErrorValue {
    const until = s.until ? ` until ${formatClock(s.until, this.now())}` : '';
    return { code: Code.Conflict, message: `${s.host} is reserved by ${s.holder}${until}`, details: { holder: s.holder, until: s.until } };
  }
  private endOf(req: { durationSec?: number; until?: number }, from: number): number | ErrorValue {
    if (req.durationSec !== undefined) {
      if (!Number.isInteger(req.durationSec) || req.durationSec <= 0) return { code: Code.BadRequest, message: 'durationSec must be a positive whole number' };
      return from + req.durationSec;
    }
    if (req.until !== undefined && Number.isFinite(req.until)) {
      if (req.until <= this.nowSec()) return { code: Code.BadRequest, message: 'until must be in the future' };
      return req.until;
    }
    return { code: Code.BadRequest, message: 'Give durationSec or until' };
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
          writeBlockedReason: b.writeBlockedReason,
        },
      };
    });
  }

  reserve(req: Parameters<RendererApi['reserve']>[0]): Promise<Result<Server>> {
    return this.write('reserve', [req], 'reserve', req.host, req.user, () => {
      const s = this.find(req.host);
      if (!s) return errorResult(Code.NotFound, `No server named ${req.host}`);
      if (s.maintenance) return errorResult(Code.Conflict, `${s.host} is in maintenance`);
      if (s.holder === req.user) return errorResult(Code.Conflict, `${s.host} is already yours; use Extend to keep it longer`);
      if (s.holder) return { ok: false, error: this.heldBy(s) };
      if (!s.available) return errorResult(Code.Conflict, `${s.host} is ${s.action.toLowerCase()}`);
      const end = this.endOf(req, this.nowSec());
      if (typeof end !== 'number') return { ok: false, error: end };
      Object.assign(s, { holder: req.user, until: end, since: this.nowSec(), comment: req.comment ?? '', holderNode: this.board.self.nodeId });
      return { ok: true, value: this.settle(s) };
    });
  }

  release(req: Parameters<RendererApi['release']>[0]): Promise<Result<Server>> {
    return this.write('release', [req], 'release', req.host, req.user, () => {
      const s = this.find(req.host);
      if (!s) return errorResult(Code.NotFound, `No server named ${req.host}`);
      if (!s.holder) return errorResult(Code.Conflict, `${s.host} is not reserved`);
      if (s.holder !== req.user && !req.force) return { ok: false, error: this.heldBy(s) };
      const next = s.queue.shift();
      const now = this.nowSec();
      if (next) Object.assign(s, { holder: next.user, until: now + next.durationSec, since: now, comment: next.comment });
      else Object.assign(s, { holder: null, until: null, since: now, comment: '', holderNode: null });
      return { ok: true, value: this.settle(s) };
    });
  }

  extend(req: Parameters<RendererApi['extend']>[0]): Promise<Result<Server>> {
    return this.write('extend', [req], 'extend', req.host, req.user, () => {
      const s = this.find(req.host);
      if (!s) return errorResult(Code.NotFound, `No server named ${req.host}`);
      if (s.holder !== req.user) return s.holder ? { ok: false, error: this.heldBy(s) } : errorResult(Code.Conflict, `${s.host} is not reserved`);
      const end = this.endOf(req, Math.max(s.until ?? 0, this.nowSec()));
      if (typeof end !== 'number') return { ok: false, error: end };
      s.until = end;
      return { ok: true, value: s };
    });
  }

  queue(req: Parameters<RendererApi['queue']>[0]): Promise<Result<Server>> {
    return this.write('queue', [req], 'queue', req.host, req.user, () => {
      const s = this.find(req.host);
      if (!s) return errorResult(Code.NotFound, `No server named ${req.host}`);
      if (s.holder === req.user) return errorResult(Code.Conflict, `You already hold ${s.host}`);
      if (s.queue.some((q) => q.user === req.user)) return errorResult(Code.Conflict, `You are already in the queue for ${s.host}`);
      if (!Number.isInteger(req.durationSec) || req.durationSec <= 0) return errorResult(Code.BadRequest, 'durationSec must be a positive whole number');
      s.queue.push({ user: req.user, durationSec: req.durationSec, comment: req.comment ?? '', since: this.nowSec() });
      return { ok: true, value: s };
    });
  }

  leaveQueue(req: { host: string; user: string }): Promise<Result<Server>> {
    return this.write('leaveQueue', [req], 'unqueue', req.host, req.user, () => {
      const s = this.find(req.host);
      if (!s) return errorResult(Code.NotFound, `No server named ${req.host}`);
      const i = s.queue.findIndex((q) => q.user === req.user);
      if (i < 0) return errorResult(Code.NotFound, `${req.user} is not in the queue for ${s.host}`);
      s.queue.splice(i, 1);
      return { ok: true, value: s };
    });
  }

  addServer(input: ServerInput): Promise<Result<Server>> {
    return this.write('addServer', [input], 'server-add', input.host, this.board.self.user, () => {
      if (!input.host?.trim()) return errorResult(Code.BadRequest, 'host is required');
      if (this.find(input.host)) return errorResult(Code.Conflict, `A server named ${input.host} already exists`);
      const s = newServer(input, this.nowSec());
      this.board.servers.push(s);
      return { ok: true, value: s };
    });
  }

  updateServer(host: string, patch: Omit<ServerInput, 'host'>): Promise<Result<Server>> {
    return this.write('updateServer', [host, patch], 'server-update', host, this.board.self.user, () => {
      const s = this.find(host);
      if (!s) return errorResult(Code.NotFound, `No server named ${host}`);
      Object.assign(s, patch);
      return { ok: true, value: this.settle(s) };
    });
  }

  removeServer(host: string): Promise<Result<{ host: string }>> {
    return this.write('removeServer', [host], 'server-remove', host, this.board.self.user, () => {
      const i = this.board.servers.findIndex((s) => s.host === host);
      if (i < 0) return errorResult(Code.NotFound, `No server named ${host}`);
      this.board.servers.splice(i, 1);
      return { ok: true, value: { host } };
    });
  }

  importServers(data: { serversList: ServerInput[]; replace?: boolean }): Promise<Result<{ count: number }>> {
    return this.write('importServers', [data], 'servers-import', '', this.board.self.user, () => {
      if (!Array.isArray(data.serversList) || data.serversList.some((s) => typeof s?.host !== 'string' || !s.host)) {
        return errorResult(Code.BadRequest, 'serversList must be a list of servers, each with a host');
      }
      if (data.replace) this.board.servers = [];
      for (const input of data.serversList) {
        const s = this.find(input.host);
        if (s) Object.assign(s, input);
        else this.board.servers.push(newServer(input, this.nowSec()));
      }
      return { ok: true, value: { count: data.serversList.length } };
    });
  }

  setMaintenance(host: string, on: boolean, reason?: string): Promise<Result<Server>> {
    const args: unknown[] = reason === undefined ? [host, on] : [host, on, reason];
    return this.write('setMaintenance', args, 'maintenance', host, this.board.self.user, () => {
      const s = this.find(host);
      if (!s) return errorResult(Code.NotFound, `No server named ${host}`);
      if (reason !== undefined && reason.length > 200) return errorResult(Code.BadRequest, 'reason: at most 200 characters');
      if (on !== s.maintenance) s.since = this.nowSec();
      if (on) Object.assign(s, { maintenanceReason: reason ?? '', maintenanceBy: this.board.self.user, maintenanceSince: s.since });
      else for (const k of ['maintenanceReason', 'maintenanceBy', 'maintenanceSince'] as const) delete s[k];
      s.maintenance = on;
      return { ok: true, value: this.settle(s) };
    });
  }

  history(filter: Parameters<RendererApi['history']>[0]): Promise<Result<HistoryPage>> {
    return this.answer('history', [filter], () => {
      const items = this.board.history.filter(
        (h) =>
          (!filter.user || h.user === filter.user) &&
          (!filter.host || h.serverHost === filter.host) &&
          (!filter.operation || h.operation === filter.operation) &&
          (!filter.result || h.result === filter.result) &&
          (filter.system === undefined || SYSTEM_OPERATIONS.has(h.operation) === filter.system),
      );
      const limit = Math.min(filter.limit ?? 50, 500);
      const offset = filter.offset ?? 0;
      return { ok: true, value: { items: items.slice(offset, offset + limit), total: items.length, limit, offset } };
    });
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

function newServer(input: ServerInput, nowSec: number): Server {
  const maintenance = input.maintenance ?? false;
  return {
    host: input.host,
    app: input.app ?? '',
    ip: input.ip ?? '',
    env: input.env ?? '',
    available: !maintenance,
    action: maintenance ? 'Maintenance' : 'Available',
    since: nowSec,
    comment: input.comment ?? '',
    holder: null,
    until: null,
    maintenance,
    queue: [],
    holderNode: null,
  };
}

/** 32 random bytes in base64url, like node-core's generateClusterKey */
function randomKey(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The demo mode's API: a sample board answering with a little latency; `servers` resizes it. */
export function createDemoApi(servers?: number, latencyMs = 120): FakeApi {
  const now = Date.now();
  const board = demoBoard(now);
  if (servers !== undefined) board.servers = makeServers(servers, now);
  return new FakeApi({ board, latencyMs });
}
