// The worker role (every node): while an active `out` loan on its home board names this node, it
// connects to the borrower, runs the borrower's checks in a guest scheduler and sends the results. It
// follows only the newest such loan, finds the borrower's new master by cluster id after a failover
// (or from a follower's MASTER_ADDRESS), and when sent home or refused it stops and ends the loan at home.
import { toPeerboardError } from '../errors.js';
import type { Loan, LoanEndReason } from './types.js';
import { activeLoans, type GuestRunner, type LoanContext } from './loan-context.js';
import { WorkerLink } from './loan-client.js';
import { parseHostPort } from './neighbours.js';

interface Current {
  loan: Loan;
  /** set right after `cur` exists: the link dials at once and asks target(cur) */
  link: WorkerLink | null;
  guest: GuestRunner | null;
  /** where a follower of the borrower said its master is */
  redirect: { address: string; port: number } | null;
  /** follower redirects in a row */
  failures: number;
  /** connection attempts of this link */
  dials: number;
  /** the last status sent per check */
  last: Map<number, string>;
  connected: boolean;
}

/** the REASON a follower's loan port gives a worker (with MASTER_ADDRESS) */
export const NOT_THE_MASTER = 'not the master';
/** a worker sent from follower to follower this many times in a row gives up (the loan ends lost) */
const MAX_REDIRECTS = 50;

export class WorkerRole {
  private current: Current | null = null;
  private stopped = false;
  readonly stats = { links: 0, refused: 0, returned: 0 };

  constructor(private readonly ctx: LoanContext) {}

  /** the loan this node serves now, if any */
  serving(): { loanId: string; connected: boolean } | null {
    return this.current ? { loanId: this.current.loan.id, connected: this.current.connected } : null;
  }

  /** follows the home board: called on each loan command applied and every heartbeat */
  sync(): void {
    if (this.stopped) return;
    const mine = activeLoans(this.ctx.host.loans(), 'out').filter((l) => l.workerId === this.ctx.host.nodeId);
    let loan: Loan | null = null;
    for (const l of mine) if (!loan || l.since > loan.since) loan = l;
    if (this.current && (!loan || loan.id !== this.current.loan.id)) this.stopCurrent();
    if (loan && !this.current) this.start(loan);
  }

  private start(loan: Loan, carry: { redirect: Current['redirect']; failures: number } = { redirect: null, failures: 0 }): void {
    const { host, settings } = this.ctx;
    const guest =
      host.monitor?.runGuest((r) => {
        // batched each second; a status change goes at once (the borrower's verdict must not wait)
        const changed = cur.last.get(r.checkId) !== r.status;
        if (changed && cur.last.size < 100_000) cur.last.set(r.checkId, r.status);
        cur.link?.queueResult({ checkId: r.checkId, status: r.status, responseTime: r.responseTime, at: r.at, error: r.error ?? null }, changed);
      }) ?? null;
    const hello = { workerId: host.nodeId, loanId: loan.id, clusterId: host.clusterId, location: host.location };
    const cur: Current = {
      loan,
      guest,
      redirect: carry.redirect,
      failures: carry.failures,
      dials: 0,
      last: new Map(),
      connected: false,
      link: null,
    };
    cur.link = new WorkerLink({
      address: () => this.target(cur),
      key: settings.key,
      hello,
      logger: host.log.child({ subsystem: 'loan-worker' }),
      heartbeatMs: settings.heartbeatMs,
      load: () => host.monitor?.localLoad() ?? null,
      backoffMs: { min: Math.min(250, settings.heartbeatMs), max: Math.max(1000, settings.heartbeatMs * 2) },
      connectTimeoutMs: Math.max(1000, settings.heartbeatMs * 2),
      onWork: (checks) => cur.guest?.setChecks(checks),
      onReturn: () => {
        this.stats.returned++;
        this.finish(cur, 'returned');
      },
      onRefused: (reason, ext) => this.refused(cur, reason, ext?.masterAddress),
      onState: (connected) => {
        cur.connected = connected;
        // the borrower's checks stop with the link: its new master sends them again
        if (!connected) cur.guest?.setChecks([]);
      },
    });
    this.current = cur;
    this.stats.links++;
    host.log.info({ loan: loan.id, borrower: loan.peer.clusterId ?? loan.peer.address }, 'on loan: connecting to the borrower');
  }

  /**
   * Where to connect now: in turn a follower's redirect, the borrower farm's master as the neighbour
   * table knows it (by cluster id: it follows a failover), and the loan's own address.
   */
  private target(cur: Current): { address: string; port: number } {
    const p = cur.loan.peer;
    const nb = p.clusterId ? this.ctx.neighbours.byCluster(p.clusterId) : undefined;
    const options: Array<{ address: string; port: number }> = [];
    const add = (o: { address: string; port: number } | null | undefined): void => {
      if (o && !options.some((x) => x.address === o.address && x.port === o.port)) options.push(o);
    };
    add(cur.redirect);
    add(nb ? { address: nb.address, port: nb.loanPort } : null);
    add({ address: p.address, port: p.loanPort });
    return options[cur.dials++ % options.length]!;
  }

  private refused(cur: Current, reason: string, masterAddress: string | undefined): void {
    if (this.current !== cur) return;
    // a follower of the borrower's farm: go to its master (a new link; the refused one stopped)
    if (reason.startsWith(NOT_THE_MASTER) && cur.failures < MAX_REDIRECTS) {
      const hp = masterAddress ? parseHostPort(masterAddress) : null;
      this.current = null;
      cur.guest?.stop();
      const carry = { redirect: hp ? { address: hp.host, port: hp.port } : null, failures: cur.failures + 1 };
      const t = setTimeout(() => {
        if (!this.stopped && !this.current && this.ctx.host.loans().active.has(cur.loan.id)) this.start(cur.loan, carry);
      }, hp ? 0 : this.ctx.settings.heartbeatMs);
      t.unref();
      return;
    }
    this.stats.refused++;
    this.ctx.host.log.warn({ loan: cur.loan.id, reason }, 'the borrower refused this worker');
    this.finish(cur, reason === 'borrower unreachable' || reason.startsWith(NOT_THE_MASTER) ? 'lost' : 'refused');
  }

  private finish(cur: Current, reason: LoanEndReason): void {
    if (this.current === cur) this.stopCurrent();
    this.finishLoan(cur.loan, reason);
  }

  /** ends the loan at home if it is still active there */
  private finishLoan(loan: Loan, reason: LoanEndReason): void {
    if (!this.ctx.host.loans().active.has(loan.id)) return;
    this.ctx.host.submit({ type: 'loan-end', id: loan.id, reason }, `loan-end:${loan.id}`).catch((err: unknown) =>
      this.ctx.host.log.debug({ loan: loan.id, err: toPeerboardError(err).message }, 'could not end the loan at home (the master will)'),
    );
  }

  private stopCurrent(): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    cur.link?.close();
    cur.guest?.stop();
    this.ctx.host.log.info({ loan: cur.loan.id }, 'loan over: back home');
  }

  stop(): void {
    this.stopped = true;
    this.stopCurrent();
  }
}
