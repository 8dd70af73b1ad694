// The borrower's side of a lent worker's connection (seed 004's 4.3 and Peerboard's WORK/RESULTS/RETURN):
// what the LoanServer hands its workerAlive handler once a worker's first ALIVE line is accepted.
import type { Logger } from '../log.js';
import type { CheckDef } from '../monitoring/types.js';
import type { LineConn } from './line-conn.js';
import type { LocationLoad } from './types.js';
import { WireLimits, hasExtensions, splitToLines, type ParsedLine, type ResultItem, type Work } from './wire.js';

/** a lent worker's ALIVE line */
export interface WorkerHello {
  workerId: string;
  loanId?: string;
  clusterId?: string;
  location?: string;
  load?: LocationLoad;
  address: string;
  authed: boolean;
  peerboard: boolean;
}

/** the borrower's side of one lent worker's connection */
export interface BorrowerLink {
  readonly workerId: string;
  /**
   * the full set of checks the worker runs now: split into WORK parts of a new VERSION, written as the worker reads
   * (a newer call replaces parts not yet written); false when the link is closed or the set needs over 200 lines
   */
  sendWork(checks: readonly CheckDef[]): boolean;
  /** WORKER_RETURN to the worker: go home */
  sendReturn(loanIds?: string[]): boolean;
  onResults(cb: (results: ResultItem[]) => void): void;
  /** each heartbeat line after the first */
  onAlive(cb: (hello: WorkerHello) => void): void;
  onClose(cb: () => void): void;
  close(): void;
}
export function workerHello(address: string, p: ParsedLine & { kind: 'worker-alive' }, keyed: boolean): WorkerHello {
  const m = p.msg;
  const h: WorkerHello = { workerId: m.WORKER_UUID, address, authed: p.authed, peerboard: keyed ? p.authed : hasExtensions(m) };
  if (m.LOAN_ID !== undefined) h.loanId = m.LOAN_ID;
  if (m.CLUSTER_ID !== undefined) h.clusterId = m.CLUSTER_ID;
  if (m.LOCATION !== undefined) h.location = m.LOCATION;
  if (m.LOAD !== undefined) h.load = m.LOAD;
  return h;
}

/** WORK lines are written while less than this is queued for the socket, the rest on 'drain' */
const WORK_QUEUE_BYTES = 256 * 1024;

export class WorkerLinkImpl implements BorrowerLink {
  private readonly resultCbs: Array<(r: ResultItem[]) => void> = [];
  private readonly aliveCbs: Array<(h: WorkerHello) => void> = [];
  /** WORK lines of the newest version not yet written (a new version replaces them) */
  private outbox: Work[] = [];
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly conn: LineConn,
    readonly workerId: string,
    private readonly nextVersion: () => number,
    private readonly logger: Logger,
    private readonly keyed: boolean,
    /** a worker that takes none of its WORK for this long is dropped (slow_reader) */
    private readonly stallMs: number,
  ) {
    conn.onDrain(() => this.pump());
    conn.onClose(() => {
      clearTimeout(this.stallTimer);
      this.outbox = [];
    });
  }

  sendWork(checks: readonly CheckDef[]): boolean {
    const version = this.nextVersion();
    const overhead = Buffer.byteLength(JSON.stringify({ TASK: 'WORK', VERSION: version, PART: WireLimits.parts, PARTS: WireLimits.parts, CHECKS: [] }));
    const { groups, skipped } = splitToLines(checks, overhead, Number.MAX_SAFE_INTEGER);
    if (skipped > 0) this.logger.warn({ worker: this.workerId, skipped }, 'checks too big for a WORK line were left out');
    if (groups.length > WireLimits.parts) {
      this.logger.warn({ worker: this.workerId, parts: groups.length }, 'too many checks for one WORK version');
      return false;
    }
    if (this.conn.isClosed) return false;
    this.outbox = groups.map((g, i) => ({ TASK: 'WORK', VERSION: version, PART: i + 1, PARTS: groups.length, CHECKS: g }));
    this.pump();
    return !this.conn.isClosed;
  }

  /** writes WORK lines while the socket takes them; waits for 'drain' (at most stallMs) for the rest */
  private pump(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    while (this.outbox.length > 0 && this.conn.queued < WORK_QUEUE_BYTES) {
      if (!this.conn.send(this.outbox.shift()!)) return;
    }
    if (this.outbox.length === 0) return;
    this.stallTimer = setTimeout(() => this.conn.stalled(), this.stallMs);
    this.stallTimer.unref?.();
  }

  sendReturn(loanIds?: string[]): boolean {
    return this.conn.send({ TASK: 'WORKER_RETURN', WORKERS: [this.workerId], ...(loanIds ? { LOAN_IDS: loanIds } : {}) });
  }

  onResults(cb: (r: ResultItem[]) => void): void {
    this.resultCbs.push(cb);
  }

  onAlive(cb: (h: WorkerHello) => void): void {
    this.aliveCbs.push(cb);
  }

  onClose(cb: () => void): void {
    this.conn.onClose(() => cb());
  }

  close(): void {
    this.conn.close();
  }

  /** a line on an accepted worker's connection */
  handle(p: ParsedLine): void {
    if (this.keyed && !p.authed) {
      this.conn.send({ TASK: 'ERROR', REASON: 'authentication required' });
      return;
    }
    if (p.kind === 'results') for (const cb of this.resultCbs) cb(p.msg.RESULTS);
    else if (p.kind === 'worker-alive' && p.msg.WORKER_UUID === this.workerId) {
      const hello = workerHello(this.conn.remoteAddress, p, this.keyed);
      for (const cb of this.aliveCbs) cb(hello);
    } else if (p.kind !== 'error') this.conn.send({ TASK: 'ERROR', REASON: `unexpected ${p.kind} on a worker link` });
  }
}
