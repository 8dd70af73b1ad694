// A lent worker's link to its borrower (seed 004's 4.3): connects, sends ALIVE (then again every heartbeat,
// with its load), assembles WORK parts, sends RESULTS split to fit lines, reconnects with a bounded backoff.
import type { Logger } from '../log.js';
import type { CheckDef } from '../monitoring/types.js';
import { dialLine, type LineConn } from './line-conn.js';
import { DEFAULT_LOAN_PORT, type LocationLoad } from './types.js';
import { NonceCache, WireLimits, splitToLines, type ParsedLine, type ResultItem, type WorkerAlive } from './wire.js';

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
  /** the borrower answered ALIVE with ERROR (the link stops for good) */
  onRefused(reason: string, ext?: { masterAddress?: string }): void;
  onState(connected: boolean): void;
  /** reconnect backoff: first delay and cap, ms */
  backoffMs?: { min: number; max: number };
  /** connection attempts in a row before giving up (onRefused('unreachable')) */
  maxAttempts?: number;
  connectTimeoutMs?: number;
  /** queueResult's batching period, ms (default 1000) */
  batchMs?: number;
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
  private batch: ResultItem[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private droppedResults = 0;
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

  /**
   * Queues one result for the next batch (sent every batchMs), or sends the batch at once when `urgent`
   * (a status change). At most WireLimits.results wait; beyond that the oldest are dropped and counted.
   */
  queueResult(result: ResultItem, urgent = false): void {
    if (this.stopped) return;
    this.batch.push(result);
    if (this.batch.length > WireLimits.results) {
      this.batch.shift();
      this.droppedResults++;
    }
    if (urgent) return this.flush();
    if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => this.flush(), this.opts.batchMs ?? 1000);
      this.batchTimer.unref?.();
    }
  }

  /** results dropped because the batch overflowed or the link was down when it was sent */
  get resultsDropped(): number {
    return this.droppedResults;
  }

  private flush(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    if (!this.sendResults(batch)) this.droppedResults += batch.length;
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.batchTimer);
    this.batch = [];
    clearTimeout(this.retryTimer);
    clearInterval(this.beatTimer);
    this.conn?.close();
    this.conn = null;
  }

  private target(): { address: string; port: number } | null {
    const a = this.opts.address;
    if (typeof a === 'function') return a();
    return { address: a, port: this.opts.port ?? DEFAULT_LOAN_PORT };
  }

  private dial(): void {
    if (this.stopped) return;
    const t = this.target();
    this.attempts++;
    if (!t) return this.retry();
    dialLine(t.address, t.port, this.opts.key, this.nonces, this.opts.logger, this.opts.connectTimeoutMs ?? 5000, Math.max(this.opts.heartbeatMs * 10, 30_000))
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
