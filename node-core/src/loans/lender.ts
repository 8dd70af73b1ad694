// The lender (master only): answers WORKER_REQUEST with what it can spare (committing `loan-start` out
// for each worker BEFORE the ACK names it), takes returns, recalls the newest loan when its own farm
// needs it back or a lent node goes into maintenance, and ends loans of lent workers that died.
import { toPeerboardError } from '../errors.js';
import { DEFAULT_LOAN_PORT, type Loan } from './types.js';
import { activeLoans, safeId, type LoanContext } from './loan-context.js';
import { badRequestCount, lenderGrant, newest, shouldRecall, type SaturationDetector } from './loan-policy.js';
import type { PeerHello } from './loan-server.js';
import type { WorkerResponse } from './wire.js';

const nack = (reason: string): WorkerResponse => ({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: reason.slice(0, 200) });

export class Lender {
  /** requests are decided one at a time: two at once must not lend the same node */
  private chain: Promise<unknown> = Promise.resolve();
  /** since when its own locations have been fewer than its checks need */
  private shortSince: number | null = null;
  /** lent workers not heard at home, since when */
  private readonly goneSince = new Map<string, number>();

  constructor(
    private readonly ctx: LoanContext,
    /** the farm's own saturation (the borrower's detector: one farm, one load) */
    private readonly detector: SaturationDetector,
  ) {}

  workerRequest(needed: number, from: PeerHello): Promise<WorkerResponse> {
    const next = this.chain.then(() => this.decide(needed, from));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async decide(needed: number, from: PeerHello): Promise<WorkerResponse> {
    const { host, settings } = this.ctx;
    this.ctx.count('requests_received');
    const bad = badRequestCount(needed);
    const refuse = (reason: string): WorkerResponse => {
      this.ctx.count('nacks_sent');
      return nack(reason);
    };
    if (bad) return refuse(bad);
    if (!host.canPropose()) return refuse('not the master');
    if (!settings.enabled) return refuse('this farm does not lend workers (loans are off)');
    if (from.clusterId === host.clusterId) return refuse('a farm does not borrow from itself');
    const now = host.now();
    if (this.detector.saturated(now)) return refuse('this farm is saturated itself');
    if (activeLoans(host.loans(), 'in').length > 0) return refuse('this farm is borrowing workers itself');
    const load = host.monitor?.farmLoad();
    const out = activeLoans(host.loans(), 'out');
    const lent = new Set(out.map((l) => l.workerId));
    const candidates = host.homeNodes().map((c) => ({ ...c, lent: c.lent || lent.has(c.nodeId) }));
    // home: the locations serving its own checks; a farm with no checks to run counts its live nodes
    // (idle locations send no reports, so monitoring's pool does not see them)
    const home = load && load.needed > 0 ? load.home : candidates.filter((c) => c.alive && !c.lent).length;
    const grant = lenderGrant(needed, candidates, home, load?.needed ?? 0);
    if (!grant.ok) return refuse(grant.reason);
    const peer = {
      clusterId: safeId(from.clusterId),
      masterId: safeId(from.masterId),
      address: from.address,
      loanPort: from.loanPort ?? DEFAULT_LOAN_PORT,
      peerboard: from.peerboard,
    };
    const granted: Array<{ id: string; workerId: string; name: string | null }> = [];
    await Promise.all(
      grant.workers.map(async (w) => {
        const id = `${host.nodeId}:${w.nodeId}:${now}`;
        try {
          await host.submit({ type: 'loan-start', loan: { id, direction: 'out', workerId: w.nodeId, workerName: w.name, peer, leaseMs: settings.leaseMs } }, `loan-start:${id}`);
          granted.push({ id, workerId: w.nodeId, name: w.name });
          this.ctx.count('start_out');
        } catch (err) {
          host.log.warn({ worker: w.nodeId, err: toPeerboardError(err).message }, 'could not record a lent worker');
        }
      }),
    );
    // commit before ACK: the answer names only workers the board holds as lent
    if (granted.length === 0) return refuse('the loan could not be recorded');
    this.ctx.count('acks_sent');
    host.log.info({ borrower: peer.clusterId ?? peer.address, workers: granted.map((g) => g.workerId) }, 'lent workers');
    return {
      TASK: 'WORKER_RESPONSE',
      STATUS: 'ACK',
      MASTER_UUID: host.nodeId,
      WORKERS: granted.map((g) => g.workerId),
      CLUSTER_ID: host.clusterId,
      LEASE_MS: settings.leaseMs,
      LOAN_IDS: granted.map((g) => g.id),
      WORKER_NAMES: granted.map((g) => g.name ?? g.workerId),
    };
  }

  /** the borrower gives workers back */
  returned(from: PeerHello, workerIds: string[], loanIds: string[]): void {
    for (const loan of activeLoans(this.ctx.host.loans(), 'out')) {
      // only the borrower gives its loans back (by cluster id, or the address of a foreign one)
      const samePeer = loan.peer.address === from.address || (loan.peer.clusterId !== null && loan.peer.clusterId === from.clusterId);
      const named = loanIds.length > 0 ? loanIds.includes(loan.id) : workerIds.includes(loan.workerId);
      if (samePeer && named) void this.ctx.end(loan, 'returned');
    }
  }

  /** master, every heartbeat: recall when its own farm needs the workers, end loans of dead workers */
  tick(now: number): void {
    const { host, settings } = this.ctx;
    const out = activeLoans(host.loans(), 'out');
    if (out.length === 0) {
      this.goneSince.clear();
      return;
    }
    const nodes = new Map(host.homeNodes().map((c) => [c.nodeId, c]));
    for (const loan of out) {
      const c = nodes.get(loan.workerId);
      if (c?.maintenance) {
        void this.recall(loan, 'system', 'the lent node went into maintenance');
        continue;
      }
      // a lent worker that stopped answering at home too is lost (its borrower will see it as well)
      if (!c?.alive) {
        const since = this.goneSince.get(loan.workerId) ?? now;
        this.goneSince.set(loan.workerId, since);
        if (now - since >= settings.connectMs) void this.ctx.end(loan, 'lost');
      } else this.goneSince.delete(loan.workerId);
    }
    const load = host.monitor?.farmLoad();
    if (!settings.enabled || !load) return;
    // its own locations short of its needs for sustainMs (not one beat: locations that just got checks report within a second)
    if (load.home < load.needed) this.shortSince ??= now;
    else this.shortSince = null;
    const short = this.shortSince !== null && now - this.shortSince >= settings.sustainMs;
    if (shouldRecall({ lent: out.length, saturated: this.detector.saturated(now), home: short ? load.home : load.needed, neededOwn: load.needed })) {
      const loan = newest(out);
      if (loan) {
        this.detector.reset();
        this.shortSince = null;
        void this.recall(loan, 'system', 'this farm needs its worker back');
      }
    }
  }

  /** takes a lent worker back: commit loan-end recalled, then WORKER_RECALL to the borrower */
  async recall(loan: Loan, by: string, why: string): Promise<void> {
    const ok = await this.ctx.end(loan, 'recalled', by);
    if (!ok) return;
    this.ctx.host.log.info({ loan: loan.id, why }, 'recalled a lent worker');
    const nb = this.ctx.neighbourOf(loan);
    await this.ctx
      .client(nb.address, nb.loanPort)
      .recallWorkers([loan.workerId], [loan.id])
      .catch((err: unknown) => this.ctx.host.log.debug({ loan: loan.id, err: (err as Error).message }, 'the borrower did not hear the recall'));
  }
}
