// The loan wire's clients: NeighbourClient (a master talking to a neighbour master: heartbeats, requests,
// returns, recalls over one persistent connection) and WorkerLink (a lent worker's link to its borrower).
import { connect } from 'node:net';
import type { Logger } from '../log.js';
import type { CheckDef } from '../monitoring/types.js';
import { LineConn } from './line-conn.js';
import type { LocationLoad } from './types.js';
import { NonceCache, WireLimits, splitToLines, type OutMessage, type ParsedLine, type Recieve, type ResultItem, type WorkerAlive, type WorkerResponse } from './wire.js';

/** a RECIEVE as the client got it */
export type RecieveReply = Recieve & { authed: boolean };
export type WorkerResponseReply = WorkerResponse & { authed: boolean };

/** Opens a LineConn to address:port, or rejects after timeoutMs. */
function open(address: string, port: number, key: string | undefined, nonces: NonceCache, logger: Logger, timeoutMs: number, idleMs: number): Promise<LineConn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${address}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new LineConn({ socket, key, nonces, logger, idleMs }));
    });
  });
}

export interface NeighbourClientOptions {
  address: string;
  port: number;
  key?: string | undefined;
  self: { clusterId: string; masterId: string; loanPort: number };
  logger: Logger;
  /** a request not answered within this rejects (and the connection is reset: answers come in order) */
  timeoutMs: number;
  /** lines the neighbour sends unasked (e.g. nothing in the seed; kept for extensions) */
  onUnsolicited?: (p: ParsedLine) => void;
}

interface Pending {
  expect: 'recieve' | 'worker-response';
  resolve: (p: ParsedLine) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class NeighbourClient {
  private conn: LineConn | null = null;
  private connecting: Promise<LineConn> | null = null;
  private readonly pending: Pending[] = [];
  private readonly nonces = new NonceCache(10_000);
  private closed = false;

  constructor(private readonly opts: NeighbourClientOptions) {}

  async heartbeat(loanIds: readonly string[]): Promise<RecieveReply> {
    const { clusterId, masterId, loanPort } = this.opts.self;
    const p = await this.ask({ SERVER: 'ALIVE', TASK: 'REQUEST', CLUSTER_ID: clusterId, MASTER_UUID: masterId, LOAN_PORT: loanPort, LOANS: loanIds.slice(0, WireLimits.loans) }, 'recieve');
    return { ...(p.msg as Recieve), authed: p.authed };
  }

  async requestWorkers(n: number, leaseMs: number): Promise<WorkerResponseReply> {
    const { clusterId, masterId, loanPort } = this.opts.self;
    const p = await this.ask({ TASK: 'WORKER_REQUEST', WORKERS_NEEDED: n, CLUSTER_ID: clusterId, MASTER_UUID: masterId, LOAN_PORT: loanPort, LEASE_MS: leaseMs }, 'worker-response');
    return { ...(p.msg as WorkerResponse), authed: p.authed };
  }

  /** WORKER_RETURN (no answer in the protocol): resolves when written */
  returnWorkers(workerIds: string[], loanIds: string[]): Promise<void> {
    return this.tell({ TASK: 'WORKER_RETURN', WORKERS: workerIds, LOAN_IDS: loanIds });
  }

  /** WORKER_RECALL (no answer in the protocol): resolves when written */
  recallWorkers(workerIds: string[], loanIds: string[]): Promise<void> {
    return this.tell({ TASK: 'WORKER_RECALL', WORKERS: workerIds, LOAN_IDS: loanIds });
  }

  close(): void {
    this.closed = true;
    this.reset(new Error('neighbour client closed'));
  }

  private async connection(): Promise<LineConn> {
    if (this.closed) throw new Error('neighbour client closed');
    if (this.conn && !this.conn.isClosed) return this.conn;
    this.connecting ??= open(this.opts.address, this.opts.port, this.opts.key, this.nonces, this.opts.logger, this.opts.timeoutMs, 10 * 60_000)
      .then((c) => {
        if (this.closed) {
          c.destroy('closed');
          throw new Error('neighbour client closed');
        }
        this.conn = c;
        c.onMessage((p) => this.answer(p));
        c.onClose(() => {
          if (this.conn === c) this.reset(new Error(`connection to ${this.opts.address}:${this.opts.port} closed`));
        });
        return c;
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  private async tell(msg: OutMessage): Promise<void> {
    const c = await this.connection();
    await new Promise<void>((resolve, reject) => {
      if (!c.send(msg, (err) => (err ? reject(err) : resolve()))) reject(new Error('could not send: connection closed or peer not reading'));
    });
  }

  private async ask(msg: OutMessage, expect: Pending['expect']): Promise<ParsedLine> {
    const c = await this.connection();
    return new Promise<ParsedLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        // an answer may still come and would be taken for the next one's: start over
        this.reset(new Error(`no answer from ${this.opts.address}:${this.opts.port} within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      this.pending.push({ expect, resolve, reject, timer });
      if (!c.send(msg)) this.reset(new Error('could not send: connection closed or peer not reading'));
    });
  }

  private answer(p: ParsedLine): void {
    const first = this.pending[0];
    if (first && (p.kind === first.expect || p.kind === 'error')) {
      this.pending.shift();
      clearTimeout(first.timer);
      if (p.kind === 'error') first.reject(new Error(`neighbour refused: ${p.msg.REASON ?? 'ERROR'}`));
      else first.resolve(p);
      return;
    }
    this.opts.onUnsolicited?.(p);
  }

  /** fails every waiting request and drops the connection */
  private reset(err: Error): void {
    const c = this.conn;
    this.conn = null;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    c?.destroy('reset');
  }
}

export interface WorkerLinkOptions {
  /** the borrower's address, or a callback naming where to connect now (null: nobody known, retry later) */
  address: string | (() => { address: string; port: number } | null);
  /** the borrower's loan port (with a string address) */
  port?: number;
  key?: string | undefined;
  hello: { workerId: string; loanId?: string; clusterId?: string; location?: string };
  logger: Logger;
  heartbeatMs: number;
  /** this location's load, sent in every ALIVE */
  load?: () => LocationLoad | null;
  onWork(checks: CheckDef[]): void;
  onReturn(): void;
  /** the borrower answered ALIVE with ERROR (the link stops for good); a follower names its master (MASTER_ADDRESS) */
  onRefused(reason: string, ext?: { masterAddress?: string }): void;
  onState(connected: boolean): void;
  /** reconnect backoff: first delay and cap, ms */
  backoffMs?: { min: number; max: number };
  /** connection attempts in a row before giving up (onRefused('unreachable')) */
  maxAttempts?: number;
  connectTimeoutMs?: number;
}

export class WorkerLink {
  private conn: LineConn | null = null;
  private stopped = false;
  private accepted = false;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private readonly nonces = new NonceCache(10_000);
  /** WORK parts of the version being received */
  private work: { version: number; parts: Map<number, CheckDef[]>; count: number } | null = null;

  constructor(private readonly opts: WorkerLinkOptions) {
    this.dial();
  }

  get connected(): boolean {
    return this.conn !== null && !this.conn.isClosed;
  }

  /** Sends results, split into lines; false when the link is down (they are dropped). */
  sendResults(results: readonly ResultItem[]): boolean {
    const c = this.conn;
    if (!c || c.isClosed) return false;
    const { groups } = splitToLines(results, '{"TASK":"RESULTS","RESULTS":[]}'.length, WireLimits.results);
    return groups.every((g) => g.length === 0 || c.send({ TASK: 'RESULTS', RESULTS: g }));
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.beatTimer);
    this.conn?.close();
    this.conn = null;
  }

  private target(): { address: string; port: number } | null {
    const a = this.opts.address;
    if (typeof a === 'function') return a();
    return { address: a, port: this.opts.port ?? 8781 };
  }

  private dial(): void {
    if (this.stopped) return;
    const t = this.target();
    this.attempts++;
    if (!t) return this.retry();
    open(t.address, t.port, this.opts.key, this.nonces, this.opts.logger, this.opts.connectTimeoutMs ?? 5000, Math.max(this.opts.heartbeatMs * 10, 30_000))
      .then((c) => {
        if (this.stopped) return c.destroy('stopped');
        this.conn = c;
        this.accepted = false;
        c.onMessage((p) => this.message(p));
        c.onClose(() => this.lost(c));
        this.alive();
        this.beatTimer = setInterval(() => this.alive(), this.opts.heartbeatMs);
        this.beatTimer.unref?.();
        this.opts.onState(true);
      })
      .catch((err: Error) => {
        this.opts.logger.debug({ err: err.message, target: t }, 'worker link could not connect');
        this.retry();
      });
  }

  private retry(): void {
    if (this.stopped) return;
    if (this.attempts >= (this.opts.maxAttempts ?? 1000)) {
      this.stopped = true;
      this.opts.onRefused('borrower unreachable');
      return;
    }
    const { min, max } = this.opts.backoffMs ?? { min: 250, max: 10_000 };
    const delay = Math.min(max, min * 2 ** Math.min(this.attempts - 1, 20));
    this.retryTimer = setTimeout(() => this.dial(), delay);
    this.retryTimer.unref?.();
  }

  private lost(c: LineConn): void {
    if (this.conn !== c) return;
    this.conn = null;
    clearInterval(this.beatTimer);
    this.work = null;
    this.opts.onState(false);
    this.retry();
  }

  private alive(): void {
    const h = this.opts.hello;
    const load = this.opts.load?.() ?? null;
    // the seed's two keys first: a seed-only borrower reads exactly {"WORKER":"ALIVE","WORKER_UUID":...}
    const msg: WorkerAlive = { WORKER: 'ALIVE', WORKER_UUID: h.workerId };
    if (h.loanId !== undefined) msg.LOAN_ID = h.loanId;
    if (h.clusterId !== undefined) msg.CLUSTER_ID = h.clusterId;
    if (h.location !== undefined) msg.LOCATION = h.location.slice(0, WireLimits.stringLen);
    if (load) msg.LOAD = load;
    this.conn?.send(msg);
  }

  private message(p: ParsedLine): void {
    if (this.opts.key && !p.authed) {
      this.opts.logger.debug({ kind: p.kind }, 'worker link ignored an unauthenticated line');
      return;
    }
    switch (p.kind) {
      case 'worker-accepted':
        this.accepted = true;
        this.attempts = 0;
        return;
      case 'error':
        if (!this.accepted) {
          this.close();
          this.opts.onRefused(p.msg.REASON ?? 'refused', p.msg.MASTER_ADDRESS !== undefined ? { masterAddress: p.msg.MASTER_ADDRESS } : {});
        }
        return;
      case 'worker-return':
        this.close();
        this.opts.onReturn();
        return;
      case 'work':
        return this.part(p.msg.VERSION, p.msg.PART, p.msg.PARTS, p.msg.CHECKS);
      default:
        this.conn?.send({ TASK: 'ERROR', REASON: `unexpected ${p.kind} on a worker link` });
    }
  }

  private part(version: number, part: number, parts: number, checks: CheckDef[]): void {
    if (this.work && version < this.work.version) return; // an older version: superseded
    if (!this.work || version > this.work.version) this.work = { version, parts: new Map(), count: parts };
    if (this.work.count !== parts) return;
    this.work.parts.set(part, checks);
    if (this.work.parts.size < parts) return;
    const all = [...this.work.parts.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, c]) => c);
    this.work = { version, parts: new Map(), count: parts };
    this.opts.onWork(all);
  }
}
