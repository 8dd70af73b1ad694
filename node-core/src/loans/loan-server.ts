// The loan port's server (seed 004): neighbour masters' heartbeats, requests, returns and recalls, and lent
// workers' connections. Caps connections (total, per IP) and answers every line in the order it came.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { WorkerLinkImpl, workerHello, type BorrowerLink, type WorkerHello } from './borrower-link.js';
import { LineConn } from './line-conn.js';
import { NonceCache, WireLimits, hasExtensions, type ParsedLine, type RecieveExt, type WorkerResponse } from './wire.js';

export type { BorrowerLink, WorkerHello };

export const LoanServerDefaults = {
  maxConns: 128,
  maxConnsPerIp: 16,
  /** requests waiting for their answer on one connection; more are dropped */
  maxPending: 16,
  /** a worker that takes none of its WORK lines for this long is dropped */
  writeStallMs: 15_000,
} as const;

/** who sent a master's line */
export interface PeerHello {
  /** the socket's remote IP */
  address: string;
  clusterId?: string;
  masterId?: string;
  loanPort?: number;
  /** the line carried a valid MAC (only possible with a loanKey) */
  authed: boolean;
  /** authed, or (without a key) the line carried Peerboard's extension keys */
  peerboard: boolean;
  /** a heartbeat's LOANS: the loans it holds with us (extension) */
  loans?: string[];
}

/** What the loan brain does with the lines; the server has checked shape, limits and auth before any call. */
export interface LoanHandlers {
  /** every heartbeat, authenticated or not (from.authed); with a loanKey an unauthenticated one gets a bare RECIEVE whatever this returns */
  heartbeat(from: PeerHello): RecieveExt;
  /** only with 1 <= needed <= 64 (integer) and, with a loanKey, only authenticated; a throw answers NACK */
  workerRequest(needed: number, from: PeerHello): Promise<WorkerResponse>;
  /** WORKER_RETURN / WORKER_RECALL (no answer on the wire); with a loanKey only authenticated */
  workerReturn(from: PeerHello, workerIds: string[], loanIds: string[]): void;
  workerRecall(from: PeerHello, workerIds: string[], loanIds: string[]): void;
  /**
   * true accepts the worker; a string refuses it (sent as the ERROR's REASON, then the link closes);
   * an object refuses it naming where the farm's master is (a follower: ERROR + MASTER_ADDRESS "ip:port")
   */
  workerAlive(hello: WorkerHello, link: BorrowerLink): boolean | string | { reason: string; masterAddress?: string };
}

export interface LoanServerOptions {
  host: string;
  port: number;
  key?: string | undefined;
  logger: Logger;
  handlers: LoanHandlers;
  now?: () => number;
  maxConns?: number;
  maxConnsPerIp?: number;
  maxLinesPerSec?: number;
  idleMs?: number;
  writeStallMs?: number;
}

export interface LoanServerCounters {
  /** good lines received */
  lines: number;
  /** refused lines and connections, by reason */
  dropped: Record<string, number>;
  /** connections open now */
  conns: number;
  /** connections accepted in all */
  accepted: number;
}

function peerHello(address: string, p: ParsedLine, keyed: boolean): PeerHello {
  const m = p.msg as { CLUSTER_ID?: string; MASTER_UUID?: string; LOAN_PORT?: number; LOANS?: string[] };
  const h: PeerHello = { address, authed: p.authed, peerboard: keyed ? p.authed : hasExtensions(p.msg) };
  if (m.CLUSTER_ID !== undefined) h.clusterId = m.CLUSTER_ID;
  if (m.MASTER_UUID !== undefined) h.masterId = m.MASTER_UUID;
  if (m.LOAN_PORT !== undefined) h.loanPort = m.LOAN_PORT;
  if (m.LOANS !== undefined) h.loans = m.LOANS;
  return h;
}

export class LoanServer {
  readonly counters: LoanServerCounters = { lines: 0, dropped: {}, conns: 0, accepted: 0 };
  private readonly server: Server;
  private readonly conns = new Set<LineConn>();
  private readonly perIp = new Map<string, number>();
  private readonly nonces = new NonceCache();
  private readonly now: () => number;
  private workVersion = 0;

  constructor(private readonly opts: LoanServerOptions) {
    this.now = opts.now ?? Date.now;
    this.server = createServer((s) => this.accept(s));
    this.server.on('error', (err) => opts.logger.warn({ err: err.message }, 'loan server error'));
  }

  private get keyed(): boolean {
    return Boolean(this.opts.key);
  }

  /** resolves with the port it listens on (port 0 picks one) */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      this.server.once('error', fail);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', fail);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : this.opts.port);
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.conns) c.destroy('server_closed');
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private count(reason: string): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }

  private accept(socket: Socket): void {
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (this.conns.size >= (this.opts.maxConns ?? LoanServerDefaults.maxConns)) {
      this.count('too_many_conns');
      socket.destroy();
      return;
    }
    if ((this.perIp.get(ip) ?? 0) >= (this.opts.maxConnsPerIp ?? LoanServerDefaults.maxConnsPerIp)) {
      this.count('too_many_conns_ip');
      socket.destroy();
      return;
    }
    const conn = new LineConn({
      socket,
      key: this.opts.key,
      nonces: this.nonces,
      logger: this.opts.logger,
      now: this.now,
      ...(this.opts.maxLinesPerSec !== undefined ? { maxLinesPerSec: this.opts.maxLinesPerSec } : {}),
      ...(this.opts.idleMs !== undefined ? { idleMs: this.opts.idleMs } : {}),
      onDrop: (reason) => this.count(reason),
    });
    this.conns.add(conn);
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.counters.accepted++;
    this.counters.conns = this.conns.size;
    conn.onClose(() => {
      this.conns.delete(conn);
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
      this.counters.conns = this.conns.size;
    });
    new ConnHandler(this, conn, ip).start();
  }

  /** @internal used by ConnHandler */
  handlersFor(): { handlers: LoanHandlers; keyed: boolean; logger: Logger; count: (r: string) => void; lines: () => void; nextVersion: () => number; stallMs: number } {
    return {
      handlers: this.opts.handlers,
      keyed: this.keyed,
      logger: this.opts.logger,
      count: (r) => this.count(r),
      lines: () => void this.counters.lines++,
      nextVersion: () => ++this.workVersion,
      stallMs: this.opts.writeStallMs ?? LoanServerDefaults.writeStallMs,
    };
  }
}

/** One connection's dialogue: a master's requests answered in order, or one lent worker's link. */
class ConnHandler {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private link: WorkerLinkImpl | null = null;
  private readonly ctx: ReturnType<LoanServer['handlersFor']>;

  constructor(server: LoanServer, private readonly conn: LineConn, private readonly ip: string) {
    this.ctx = server.handlersFor();
  }

  start(): void {
    this.conn.onMessage((p) => {
      this.ctx.lines();
      if (this.pending >= LoanServerDefaults.maxPending) return this.ctx.count('busy');
      this.pending++;
      this.chain = this.chain
        .then(() => this.handle(p))
        .catch((err: Error) => this.ctx.logger.warn({ peer: this.ip, err: err.message }, 'loan line handling failed'))
        .finally(() => void this.pending--);
    });
  }

  private refuse(reason: string): void {
    this.ctx.count('unauthenticated');
    this.conn.send({ TASK: 'ERROR', REASON: reason });
  }

  private async handle(p: ParsedLine): Promise<void> {
    const h = this.ctx.handlers;
    const open = !this.ctx.keyed || p.authed;
    if (this.link) return this.link.handle(p);
    switch (p.kind) {
      case 'heartbeat': {
        const ext = h.heartbeat(peerHello(this.ip, p, this.ctx.keyed));
        // with a key, an unauthenticated master gets the seed's bare answer
        this.conn.send({ SERVER: 'ALIVE', TASK: 'RECIEVE', ...(open ? ext : {}) });
        return;
      }
      case 'worker-request': {
        if (!open) {
          this.ctx.count('unauthenticated');
          this.conn.send({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: 'authentication required' });
          return;
        }
        let answer: WorkerResponse;
        try {
          answer = await h.workerRequest(p.msg.WORKERS_NEEDED, peerHello(this.ip, p, this.ctx.keyed));
        } catch (err) {
          this.ctx.logger.warn({ peer: this.ip, err: (err as Error).message }, 'worker request failed');
          answer = { TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: 'the lender could not decide (internal error)' };
        }
        this.conn.send(answer);
        return;
      }
      case 'worker-return':
      case 'worker-recall': {
        if (!open) return this.refuse('authentication required');
        const from = peerHello(this.ip, p, this.ctx.keyed);
        const fn = p.kind === 'worker-return' ? h.workerReturn : h.workerRecall;
        fn.call(h, from, p.msg.WORKERS, p.msg.LOAN_IDS ?? []);
        return;
      }
      case 'worker-alive': {
        if (!open) {
          this.refuse('authentication required');
          this.conn.close();
          return;
        }
        const link = new WorkerLinkImpl(this.conn, p.msg.WORKER_UUID, this.ctx.nextVersion, this.ctx.logger, this.ctx.keyed, this.ctx.stallMs);
        const verdict = h.workerAlive(workerHello(this.ip, p, this.ctx.keyed), link);
        if (verdict === true) {
          this.link = link;
          this.conn.send({ WORKER: 'ALIVE', TASK: 'RECIEVE' });
        } else {
          this.ctx.count('worker_refused');
          const reason = typeof verdict === 'string' ? verdict : typeof verdict === 'object' ? verdict.reason : 'refused';
          const where = typeof verdict === 'object' && verdict.masterAddress ? { MASTER_ADDRESS: verdict.masterAddress.slice(0, WireLimits.stringLen) } : {};
          this.conn.send({ TASK: 'ERROR', REASON: reason.slice(0, WireLimits.stringLen), ...where });
          this.conn.close();
        }
        return;
      }
      case 'error':
        this.ctx.logger.debug({ peer: this.ip, reason: p.msg.REASON }, 'loan peer sent ERROR');
        return;
      default:
        this.ctx.count('unexpected');
        this.conn.send({ TASK: 'ERROR', REASON: `unexpected ${p.kind} here` });
    }
  }
}
