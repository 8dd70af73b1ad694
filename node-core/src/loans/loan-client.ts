// The loan wire's clients: NeighbourClient (a master talking to a neighbour master: heartbeats, requests,
// returns, recalls over one persistent connection); WorkerLink (worker-link.ts) is re-exported here.
import type { Logger } from '../log.js';
import { dialLine, type LineConn } from './line-conn.js';
import { NonceCache, WireLimits, type OutMessage, type ParsedLine, type Recieve, type WorkerResponse } from './wire.js';

export { WorkerLink, type WorkerLinkOptions } from './worker-link.js';

/** a RECIEVE as the client got it */
export type RecieveReply = Recieve & { authed: boolean };
export type WorkerResponseReply = WorkerResponse & { authed: boolean };

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
    this.connecting ??= dialLine(this.opts.address, this.opts.port, this.opts.key, this.nonces, this.opts.logger, this.opts.timeoutMs, 10 * 60_000)
      .then((c) => {
        if (this.closed) {
          c.destroy('closed');
          throw new Error('neighbour client closed');
        }
        this.conn = c;
        c.onMessage((p) => this.answer(p));
        // every line a neighbour sends is an answer: one we refuse fails the request it answered
        c.onBad((r) => this.fail(new Error(`neighbour's answer refused: ${r.reason}: ${r.detail}`)));
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

  private fail(err: Error): void {
    const first = this.pending.shift();
    if (!first) return;
    clearTimeout(first.timer);
    first.reject(err);
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
