// The borrower (master only): watches the farm's load, asks neighbours for workers when saturated
// (commits `loan-start` in for each ACKed worker), takes the lent workers' links and gives them work
// through monitoring's guests, detaches silent ones, ends loans whose worker never came (`lost`), and
// returns the newest loan when the load has fallen.
import { toPeerboardError } from '../errors.js';
import type { LocationLoad, Loan } from './types.js';
import { activeLoans, safeId, safeLoanId, type FarmLoad, type LoanContext } from './loan-context.js';
import { SaturationDetector, newest, orderNeighbours, shouldReturn, workersToAsk } from './loan-policy.js';
import type { BorrowerLink, WorkerHello } from './loan-server.js';
import type { WorkerResponse } from './wire.js';

interface LinkState {
  loanId: string;
  link: BorrowerLink | null;
  connected: boolean;
  lastAlive: number;
  /** when the link went down (or since when this master waits for it) */
  downSince: number;
  attached: boolean;
  load: LocationLoad | undefined;
}

/** how long a neighbour that refused, or whose workers never came, is asked only after the others */
const PENALTY_HEARTBEATS = 10;

export class Borrower {
  readonly detector: SaturationDetector;
  private readonly links = new Map<string, LinkState>();
  /** ACKed workers whose loan-start is being committed: they may connect before it applies */
  private readonly expecting = new Map<string, string>();
  private asking = false;
  private masterSince: number | null = null;
  lastLoad: FarmLoad | null = null;

  constructor(private readonly ctx: LoanContext) {
    const s = ctx.settings;
    this.detector = new SaturationDetector({ lagMs: s.lagMs, cpu: s.cpu, sustainMs: s.sustainMs });
  }

  /** borrower: the worker's link is up */
  connected(workerId: string): boolean {
    return this.links.get(workerId)?.connected ?? false;
  }

  lastSeen(workerId: string): number | null {
    const st = this.links.get(workerId);
    return st ? st.lastAlive : null;
  }

  /** master, every heartbeat */
  tick(now: number): void {
    const { host, settings } = this.ctx;
    const mon = host.monitor;
    if (!mon) return;
    this.masterSince ??= now;
    const load = mon.farmLoad();
    this.lastLoad = load;
    // checks but no location left to run them (its only ones lent, crashed or lost): nothing reports
    // lag, yet no check runs at all — the worst saturation there is
    this.detector.update(now, load.pool === 0 && load.needed > 0 ? { lagP99Ms: Number.POSITIVE_INFINITY, cpu: load.cpu } : load);
    const inLoans = activeLoans(host.loans(), 'in');
    const hb = settings.heartbeatMs;
    let waiting = 0;
    for (const loan of inLoans) {
      let st = this.links.get(loan.workerId);
      if (!st || st.loanId !== loan.id) {
        st = { loanId: loan.id, link: null, connected: false, lastAlive: 0, downSince: Math.max(loan.since, this.masterSince), attached: false, load: undefined };
        this.links.set(loan.workerId, st);
      }
      // an open link that stopped sending heartbeats is as good as down
      if (st.connected && now - st.lastAlive > 3 * hb) {
        this.ctx.count('worker_silent');
        st.link?.close();
        this.down(st, now);
      }
      if (!st.connected) {
        if (st.attached && now - st.downSince >= 3 * hb) {
          mon.detachGuest(loan.workerId);
          st.attached = false;
          this.ctx.count('worker_detached');
        }
        if (now - st.downSince >= settings.connectMs) {
          this.ctx.neighbours.penalise(this.ctx.neighbourOf(loan).key, now + PENALTY_HEARTBEATS * hb);
          void this.finish(loan, 'lost');
          continue;
        }
        if (st.lastAlive === 0) waiting++;
      }
    }
    // forget links of loans that ended
    const activeIds = new Set(inLoans.map((l) => l.id));
    for (const [w, st] of this.links) if (!activeIds.has(st.loanId) && !this.expecting.has(w)) this.drop(w, st);
    if (!settings.enabled) return;
    if (this.detector.saturated(now) && !this.asking && waiting === 0 && this.expecting.size === 0) {
      void this.ask(load, inLoans.length);
    } else if (shouldReturn({ relaxed: this.detector.relaxed(now), pool: load.pool, needed: load.needed, borrowed: inLoans.length })) {
      const loan = newest(inLoans);
      if (loan) {
        this.detector.reset();
        void this.finish(loan, 'returned');
      }
    }
  }

  /** asks neighbours in order until one ACKs */
  private async ask(load: FarmLoad, borrowed: number): Promise<void> {
    const { host, settings, neighbours } = this.ctx;
    const n = workersToAsk({ needed: load.needed, pool: load.pool, borrowed, maxWorkers: settings.maxWorkers });
    if (n <= 0) return;
    this.asking = true;
    try {
      const now = host.now();
      const inLoans = activeLoans(host.loans(), 'in');
      const choices = neighbours.list().map((nb) => ({
        ...nb,
        up: neighbours.up(nb),
        borrowedFrom: inLoans.filter((l) => this.ctx.neighbourOf(l).key === nb.key).length,
      }));
      const order = orderNeighbours(choices, now);
      // everyone refused lately: wait for the first penalty to run out instead of asking again each beat
      if (order.every((nb) => nb.penaltyUntil > now)) return;
      for (const nb of order) {
        if (!host.canPropose()) return;
        this.ctx.count('requests_sent');
        let resp: WorkerResponse;
        try {
          resp = await this.ctx.client(nb.address, nb.loanPort).requestWorkers(n, settings.leaseMs);
        } catch (err) {
          this.ctx.count('requests_failed');
          host.log.debug({ neighbour: nb.key, err: (err as Error).message }, 'worker request failed');
          neighbours.penalise(nb.key, host.now() + PENALTY_HEARTBEATS * settings.heartbeatMs);
          continue;
        }
        if (resp.STATUS !== 'ACK' || resp.WORKERS.length === 0) {
          this.ctx.count('nacks_received');
          host.log.info({ neighbour: nb.key, reason: (resp as { REASON?: string }).REASON }, 'neighbour refused workers');
          neighbours.penalise(nb.key, host.now() + PENALTY_HEARTBEATS * settings.heartbeatMs);
          continue;
        }
        this.ctx.count('acks_received');
        await this.commitAck(resp, nb.key);
        this.detector.reset();
        return;
      }
    } finally {
      this.asking = false;
    }
  }

  /** commits loan-start (in) for each worker an ACK named */
  private async commitAck(resp: WorkerResponse & { STATUS: 'ACK' }, key: string): Promise<void> {
    const { host, settings, neighbours } = this.ctx;
    const nb = neighbours.get(key);
    if (!nb) return;
    const masterId = safeId(resp.MASTER_UUID);
    const clusterId = safeId(resp.CLUSTER_ID) ?? nb.clusterId;
    const leaseMs = resp.LEASE_MS ?? settings.leaseMs;
    const at = host.now();
    const jobs = resp.WORKERS.slice(0, settings.maxWorkers).map(async (w, i) => {
      const workerId = safeLoanId(w);
      if (!workerId) {
        this.ctx.count('bad_worker_id');
        return;
      }
      const loanId = safeLoanId(resp.LOAN_IDS?.[i]) ?? `${masterId ?? 'foreign'}:${workerId}:${at}`.slice(0, 200);
      const name = resp.WORKER_NAMES?.[i]?.replace(/\p{Cc}/gu, '').slice(0, 100) || null;
      this.expecting.set(workerId, loanId);
      try {
        await host.submit(
          {
            type: 'loan-start',
            loan: {
              id: loanId,
              direction: 'in',
              workerId,
              workerName: name,
              peer: { clusterId, masterId, address: nb.address, loanPort: nb.loanPort, peerboard: nb.peerboard || resp.CLUSTER_ID !== undefined },
              leaseMs: Math.min(Math.max(leaseMs, 1000), 24 * 3600 * 1000),
            },
          },
          `loan-start:${loanId}`,
        );
        this.ctx.count('start_in');
      } catch (err) {
        host.log.warn({ workerId, err: toPeerboardError(err).message }, 'could not record a borrowed worker');
      } finally {
        this.expecting.delete(workerId);
      }
    });
    await Promise.all(jobs);
  }

  /** a lent worker's ALIVE on this master's loan port */
  workerAlive(hello: WorkerHello, link: BorrowerLink): true | string {
    const { host } = this.ctx;
    const loans = activeLoans(host.loans(), 'in').filter((l) => l.workerId === hello.workerId);
    const loan = loans.find((l) => l.id === hello.loanId) ?? loans[0];
    const loanId = loan?.id ?? this.expecting.get(hello.workerId);
    if (!loanId) return 'no active loan names this worker';
    const now = host.now();
    const prev = this.links.get(hello.workerId);
    if (prev?.link && prev.link !== link) prev.link.close();
    const st: LinkState = { loanId, link, connected: true, lastAlive: now, downSince: now, attached: prev?.attached ?? false, load: hello.load };
    this.links.set(hello.workerId, st);
    link.onAlive((h) => {
      st.lastAlive = this.ctx.host.now();
      st.load = h.load;
    });
    link.onResults((rs) => {
      st.lastAlive = this.ctx.host.now();
      host.monitor?.ingestGuest(hello.workerId, rs.map((r) => ({ checkId: r.checkId, status: r.status, responseTime: r.responseTime, at: r.at, error: r.error ?? null })), st.load);
    });
    link.onClose(() => {
      if (this.links.get(hello.workerId) === st) this.down(st, this.ctx.host.now());
    });
    this.ctx.count('worker_connected');
    // attach after the accepting line went out: the first WORK follows it
    setImmediate(() => {
      if (!st.connected || this.links.get(hello.workerId) !== st || !host.isMaster()) return;
      host.monitor?.attachGuest({ workerId: hello.workerId, location: hello.location ?? loan?.workerName ?? hello.workerId, sendWork: (checks) => void link.sendWork(checks) });
      st.attached = true;
    });
    return true;
  }

  private down(st: LinkState, now: number): void {
    if (!st.connected) return;
    st.connected = false;
    st.downSince = now;
    st.link = null;
  }

  private drop(workerId: string, st: LinkState): void {
    st.link?.close();
    if (st.attached) this.ctx.host.monitor?.detachGuest(workerId);
    this.links.delete(workerId);
  }

  /** ends a borrowed worker's loan: the worker goes home, the lender hears it, the board records it */
  async finish(loan: Loan, reason: 'returned' | 'lost' | 'recalled', by = 'system'): Promise<void> {
    const st = this.links.get(loan.workerId);
    const ok = await this.ctx.end(loan, reason, by);
    if (!ok) return;
    if (st && st.loanId === loan.id) {
      st.link?.sendReturn([loan.id]);
      this.drop(loan.workerId, st);
    }
    if (reason === 'recalled') return;
    // the lender frees the worker (a lost one too: it need not wait for the lease)
    const nb = this.ctx.neighbourOf(loan);
    this.ctx.client(nb.address, nb.loanPort).returnWorkers([loan.workerId], [loan.id]).catch((err: unknown) =>
      this.ctx.host.log.debug({ loan: loan.id, err: (err as Error).message }, 'the lender did not hear the return'),
    );
  }

  /** the lender takes workers back */
  recalled(workerIds: string[], loanIds: string[], fromCluster: string | null, fromAddress: string): void {
    for (const loan of activeLoans(this.ctx.host.loans(), 'in')) {
      // only the lender takes its workers back (by cluster id, or the address of a foreign one)
      const samePeer = (loan.peer.clusterId !== null && loan.peer.clusterId === fromCluster) || loan.peer.address === fromAddress;
      const named = loanIds.length > 0 ? loanIds.includes(loan.id) : workerIds.includes(loan.workerId);
      if (samePeer && named) void this.finish(loan, 'recalled');
    }
  }

  /** this node is no longer master: drop every link (workers find the new master) */
  onRoleLost(): void {
    for (const [w, st] of this.links) this.drop(w, st);
    this.expecting.clear();
    this.masterSince = null;
    this.detector.reset();
  }
}
