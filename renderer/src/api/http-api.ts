// PeerApi for web mode: JSON over fetch() to the node's /api routes, and the live event stream read
// from GET /api/events with fetch() streaming (EventSource cannot send the Authorization header).
import { encodeUserHeader, USER_HEADER } from '../../../node-core/src/api/peer-api.js';
import { LOAN_ID_MAX, LOAN_ID_PATTERN } from '../../../node-core/src/loans/loans-edge.js';
import { SseParser, type SseMessage } from './sse-parser.js';
import {
  ApiKind,
  Code,
  type Alert,
  type CheckInput,
  type CheckSeries,
  type CheckView,
  type NotificationInput,
  type NotificationTargetView,
  errorResult,
  LinkState,
  type BoardView,
  type ExtendRequest,
  type HistoryFilter,
  type HistoryPage,
  type InviteInfo,
  type LinkListener,
  type LoansView,
  type PeerEvent,
  type QueueRequest,
  type ReleaseRequest,
  type RendererApi,
  type ReserveRequest,
  type Result,
  type Server,
  type ServerInput,
} from './api-types.js';

export interface HttpApiOptions {
  /** origin + prefix of the node, '' for the page's own origin */
  baseUrl?: string;
  /** the bearer token, if the node requires one (read on every request) */
  getToken?: () => string | null;
  /** who is using this page: sent as X-Peerboard-User so the history names them for admin edits */
  getUser?: () => string | null;
  fetch?: typeof fetch;
  /** a request that takes longer fails with TIMEOUT */
  timeoutMs?: number;
  /** first and largest delay between event-stream reconnections */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** a stream silent for this long is considered dead and reopened */
  streamIdleMs?: number;
}

type Json = Record<string, unknown>;
const EVENT_NAMES = new Set(['change', 'role', 'cluster', 'verdict']);

function statusCode(status: number): string {
  if (status === 401) return Code.Unauthorized;
  if (status === 403) return Code.Forbidden;
  if (status === 404) return Code.NotFound;
  if (status === 409) return Code.Conflict;
  if (status === 413) return Code.PayloadTooLarge;
  if (status === 503) return Code.Unavailable;
  if (status === 504) return Code.Timeout;
  if (status >= 400 && status < 500) return Code.BadRequest;
  return Code.Internal;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function looksLikeView(v: unknown): v is BoardView {
  return isObject(v) && isObject(v.serversData) && Array.isArray((v.serversData as Json).serversList) && isObject(v.self);
}

/** the shape a 'verdict' event's alert must have before a listener sees it */
function looksLikeAlert(v: unknown): v is Alert {
  if (!isObject(v) || typeof v.id !== 'number' || typeof v.muted !== 'boolean' || !Array.isArray(v.deliveries) || !isObject(v.change)) return false;
  const c = v.change;
  return typeof c.checkId === 'number' && typeof c.name === 'string' && typeof c.verdict === 'string' && typeof c.previous === 'string' && Array.isArray(c.locations);
}

function looksLikeCheck(v: unknown): v is CheckView {
  return isObject(v) && typeof v.id === 'number' && typeof v.name === 'string' && typeof v.verdict === 'string' && Array.isArray(v.locations);
}

function looksLikeTarget(v: unknown): v is NotificationTargetView {
  return isObject(v) && typeof v.id === 'number' && typeof v.url === 'string' && typeof v.hasSecret === 'boolean';
}

function looksLikeLoans(v: unknown): v is LoansView {
  return isObject(v) && typeof v.clusterId === 'string' && typeof v.master === 'boolean' && Array.isArray(v.active) && Array.isArray(v.recent) && Array.isArray(v.neighbours) && isObject(v.counters);
}

/** the path of one check (ids are positive integers; anything else would reach another route) */
function checkPath(id: number, rest = ''): string {
  return `/api/checks/${encodeURIComponent(String(id))}${rest}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class HttpApi implements RendererApi {
  readonly kind = ApiKind.http;
  readonly desktop = null;
  /** events that arrived malformed and were dropped (diagnostics, tests) */
  droppedEvents = 0;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly listeners = new Set<(e: PeerEvent) => void>();
  private readonly linkListeners = new Set<LinkListener>();
  private stream: AbortController | null = null;
  private link: LinkState = LinkState.closed;

  constructor(private readonly opts: HttpApiOptions = {}) {
    this.base = (opts.baseUrl ?? '').replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  get linkState(): LinkState {
    return this.link;
  }

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (json) h['content-type'] = 'application/json';
    const token = this.opts.getToken?.();
    if (token) h.authorization = `Bearer ${token}`;
    const user = this.opts.getUser?.()?.trim();
    if (user) h[USER_HEADER] = encodeUserHeader(user);
    return h;
  }

  /** One JSON request; every failure becomes an error value, nothing is thrown. */
  private async call<T>(method: string, path: string, body: unknown, pick: (b: Json) => T | undefined): Promise<Result<T>> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.opts.timeoutMs ?? 10_000);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctl.signal,
      });
      text = await res.text();
    } catch (err) {
      if (ctl.signal.aborted) return errorResult(Code.Timeout, 'The node did not answer in time. Try again in a moment.');
      const why = err instanceof Error ? err.message : String(err);
      return errorResult(Code.Unavailable, `Cannot reach the Peerboard node (${why}). Check that it is running.`);
    } finally {
      clearTimeout(timer);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok || (isObject(parsed) && parsed.success === false)) {
      if (isObject(parsed) && typeof parsed.message === 'string') {
        const code = typeof parsed.code === 'string' ? parsed.code : statusCode(res.status);
        const details = isObject(parsed.details) ? parsed.details : undefined;
        return errorResult(code, parsed.message, details);
      }
      return errorResult(statusCode(res.status), `The node answered ${res.status} ${res.statusText}`.trim() + '.');
    }
    const value = isObject(parsed) ? pick(parsed) : undefined;
    if (value === undefined) return errorResult(Code.Internal, `The node sent an unexpected answer to ${method} ${path}.`);
    return { ok: true, value };
  }

  getState(): Promise<Result<BoardView>> {
    return this.call('GET', '/api/state', undefined, (b) => (looksLikeView(b) ? b : looksLikeView(b.state) ? b.state : undefined));
  }

  private serverOp(path: string, body: unknown, method = 'POST'): Promise<Result<Server>> {
    return this.call(method, path, body, (b) => (isObject(b.server) ? (b.server as unknown as Server) : undefined));
  }

  private hostPath(host: string, rest = ''): string {
    return `/api/servers/${encodeURIComponent(host)}${rest}`;
  }

  reserve({ host, ...body }: ReserveRequest): Promise<Result<Server>> {
    return this.serverOp(this.hostPath(host, '/reserve'), body);
  }
  release({ host, ...body }: ReleaseRequest): Promise<Result<Server>> {
    return this.serverOp(this.hostPath(host, '/release'), body);
  }
  extend({ host, ...body }: ExtendRequest): Promise<Result<Server>> {
    return this.serverOp(this.hostPath(host, '/extend'), body);
  }
  queue({ host, ...body }: QueueRequest): Promise<Result<Server>> {
    return this.serverOp(this.hostPath(host, '/queue'), body);
  }
  leaveQueue({ host, user }: { host: string; user: string }): Promise<Result<Server>> {
    return this.serverOp(this.hostPath(host, `/queue/${encodeURIComponent(user)}`), undefined, 'DELETE');
  }
  addServer(server: ServerInput): Promise<Result<Server>> {
    return this.serverOp('/api/servers', server);
  }
  updateServer(host: string, patch: Omit<ServerInput, 'host'>): Promise<Result<Server>> {
    return this.serverOp(this.hostPath(host), patch, 'PATCH');
  }
  removeServer(host: string): Promise<Result<{ host: string }>> {
    return this.call('DELETE', this.hostPath(host), undefined, (b) => ({ host: typeof b.host === 'string' ? b.host : host }));
  }
  importServers(data: { serversList: ServerInput[]; replace?: boolean }): Promise<Result<{ count: number }>> {
    return this.call('POST', '/api/servers/import', data, (b) => (typeof b.count === 'number' ? { count: b.count } : undefined));
  }
  setMaintenance(host: string, on: boolean, reason?: string): Promise<Result<Server>> {
    return this.serverOp(this.hostPath(host, '/maintenance'), reason === undefined ? { on } : { on, reason });
  }
  history(filter: HistoryFilter): Promise<Result<HistoryPage>> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return this.call('GET', `/api/history${qs ? `?${qs}` : ''}`, undefined, (b) => {
      const page = Array.isArray(b.items) ? b : isObject(b.page) ? b.page : undefined;
      return page ? (page as unknown as HistoryPage) : undefined;
    });
  }
  promote(nodeId: string): Promise<Result<{ leaderId: string }>> {
    return this.call('POST', '/promote', { role: 'master', nodeId }, (b) =>
      typeof b.leaderId === 'string' ? { leaderId: b.leaderId } : undefined,
    );
  }

  invite(): Promise<Result<InviteInfo>> {
    return this.call('GET', '/api/cluster/invite', undefined, (b) =>
      typeof b.clusterId === 'string' && typeof b.open === 'boolean' && (b.invite === null || typeof b.invite === 'string') && Array.isArray(b.peers)
        ? { clusterId: b.clusterId, open: b.open, invite: b.invite as string | null, peers: (b.peers as unknown[]).filter((p): p is string => typeof p === 'string') }
        : undefined,
    );
  }

  // ---- monitoring (issue 12) -----------------------------------------------------------------

  listChecks(): Promise<Result<CheckView[]>> {
    return this.call('GET', '/api/checks', undefined, (b) => (Array.isArray(b.checks) && b.checks.every(looksLikeCheck) ? b.checks : undefined));
  }
  addCheck(input: CheckInput): Promise<Result<CheckView>> {
    return this.call('POST', '/api/checks', input, (b) => (looksLikeCheck(b.check) ? b.check : undefined));
  }
  updateCheck(id: number, patch: Partial<CheckInput>): Promise<Result<CheckView>> {
    return this.call('PATCH', checkPath(id), patch, (b) => (looksLikeCheck(b.check) ? b.check : undefined));
  }
  removeCheck(id: number): Promise<Result<{ id: number }>> {
    return this.call('DELETE', checkPath(id), undefined, (b) => (typeof b.id === 'number' ? { id: b.id } : undefined));
  }
  checkSeries(id: number, hours: number): Promise<Result<CheckSeries>> {
    const h = Number.isFinite(hours) ? Math.min(Math.max(Math.round(hours), 1), 720) : 24;
    return this.call('GET', checkPath(id, `/series?hours=${h}`), undefined, (b) =>
      isObject(b.series) && Array.isArray(b.series.points) ? (b.series as unknown as CheckSeries) : undefined,
    );
  }
  listAlerts(limit?: number): Promise<Result<Alert[]>> {
    const q = limit === undefined ? '' : `?limit=${Number.isFinite(limit) ? Math.min(Math.max(Math.round(limit), 1), 500) : 50}`;
    return this.call('GET', `/api/alerts${q}`, undefined, (b) => (Array.isArray(b.alerts) && b.alerts.every(looksLikeAlert) ? b.alerts : undefined));
  }
  listNotifications(): Promise<Result<NotificationTargetView[]>> {
    return this.call('GET', '/api/notifications', undefined, (b) =>
      Array.isArray(b.notifications) && b.notifications.every(looksLikeTarget) ? b.notifications : undefined,
    );
  }
  addNotification(input: NotificationInput): Promise<Result<NotificationTargetView>> {
    return this.call('POST', '/api/notifications', input, (b) => (looksLikeTarget(b.notification) ? b.notification : undefined));
  }
  removeNotification(id: number): Promise<Result<{ id: number }>> {
    return this.call('DELETE', `/api/notifications/${encodeURIComponent(String(id))}`, undefined, (b) => (typeof b.id === 'number' ? { id: b.id } : undefined));
  }

  // ---- worker loans (issue 13) ---------------------------------------------------------------

  loans(): Promise<Result<LoansView>> {
    return this.call('GET', '/api/loans', undefined, (b) => (looksLikeLoans(b.loans) ? b.loans : undefined));
  }
  recallLoan(id: string): Promise<Result<{ id: string }>> {
    return this.endLoan(id, 'recall');
  }
  returnLoan(id: string): Promise<Result<{ id: string }>> {
    return this.endLoan(id, 'return');
  }
  private async endLoan(id: string, action: 'recall' | 'return'): Promise<Result<{ id: string }>> {
    // checked here too: an id such as ".." would be resolved by fetch() as a path segment
    if (typeof id !== 'string' || id.length > LOAN_ID_MAX || !LOAN_ID_PATTERN.test(id)) return errorResult(Code.BadRequest, 'bad loan id: letters, digits and . _ : @ -, at most 200 characters');
    return this.call('POST', `/api/loans/${encodeURIComponent(id)}/${action}`, {}, (b) => (typeof b.id === 'string' ? { id: b.id } : undefined));
  }

  // ---- live events -------------------------------------------------------------------------

  subscribe(listener: (event: PeerEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.stream) {
      this.stream = new AbortController();
      void this.runStream(this.stream.signal);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.stream) {
        this.stream.abort();
        this.stream = null;
        this.setLink(LinkState.closed);
      }
    };
  }

  onLink(listener: LinkListener): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  private setLink(state: LinkState, hello?: BoardView): void {
    if (state === this.link && !hello) return;
    this.link = state;
    for (const l of [...this.linkListeners]) {
      try {
        l(state, hello);
      } catch {
        // a failing listener must not stop the stream
      }
    }
  }

  /** Opens the stream, reads it until it ends, and reopens it with backoff until unsubscribed. */
  private async runStream(signal: AbortSignal): Promise<void> {
    const initial = this.opts.backoffInitialMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 15_000;
    let attempt = 0;
    while (!signal.aborted) {
      this.setLink(LinkState.connecting);
      const parser = new SseParser((m) => this.onMessage(m));
      const attemptCtl = new AbortController();
      const abortAttempt = (): void => attemptCtl.abort();
      signal.addEventListener('abort', abortAttempt, { once: true });
      let idle: ReturnType<typeof setTimeout> | undefined;
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(abortAttempt, this.opts.streamIdleMs ?? 60_000);
      };
      try {
        armIdle();
        const res = await this.fetchImpl(`${this.base}/api/events`, {
          headers: { ...this.headers(false), accept: 'text/event-stream' },
          signal: attemptCtl.signal,
          cache: 'no-store',
        });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        attempt = 0;
        this.setLink(LinkState.open);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          armIdle();
          parser.feed(decoder.decode(value, { stream: true }));
        }
      } catch {
        // network error, HTTP error, idle timeout or unsubscribe: handled below
      } finally {
        clearTimeout(idle);
        signal.removeEventListener('abort', abortAttempt);
      }
      if (signal.aborted) return;
      this.setLink(LinkState.closed);
      const backoff = Math.min(max, initial * 2 ** Math.min(attempt, 16));
      const delay = parser.retryMs ?? backoff * (0.75 + Math.random() * 0.5);
      attempt += 1;
      await sleep(Math.min(max, delay), signal);
    }
  }

  private onMessage(msg: SseMessage): void {
    let data: unknown;
    try {
      data = JSON.parse(msg.data);
    } catch {
      this.droppedEvents += 1;
      return;
    }
    if (msg.event === 'hello') {
      if (looksLikeView(data)) this.setLink(LinkState.open, data);
      else this.droppedEvents += 1;
      return;
    }
    if (!EVENT_NAMES.has(msg.event) || !isObject(data)) {
      this.droppedEvents += 1;
      return;
    }
    if ((data.type !== undefined && data.type !== msg.event) || (msg.event === 'verdict' && !looksLikeAlert(data.alert))) {
      this.droppedEvents += 1;
      return;
    }
    const event = { ...data, type: msg.event } as PeerEvent;
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // one failing listener must not starve the others
      }
    }
  }
}
