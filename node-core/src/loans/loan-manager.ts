// The loan manager: one per node. Every node listens on the loan port (a follower tells a worker where
// its master is) and runs the worker role; the master also heartbeats neighbours and loan peers,
// renews and expires leases, and runs the borrower and lender policies. Implements LoansControl.
import { ErrorCode, PeerboardError, toPeerboardError } from '../errors.js';
import { DEFAULT_LOAN_PORT, type ForeignHeartbeat, type Loan, type LoanCommand, type LoanEndReason, type LoansControl, type LoansView } from './types.js';
import { Borrower } from './borrower.js';
import { Lender } from './lender.js';
import { activeLoans, safeId, type LoanContext, type LoanHost, type LoanSettings } from './loan-context.js';
import { NeighbourClient } from './loan-client.js';
import { leaseAction } from './loan-policy.js';
import { LoanServer, type LoanHandlers, type PeerHello } from './loan-server.js';
import { NeighbourTable, type Neighbour } from './neighbours.js';
import { NOT_THE_MASTER, WorkerRole } from './worker.js';
import { loansView } from './loans-view.js';
import type { WorkerResponse } from './wire.js';

export type { LoanHost, LoanSettings };

/** at most this many neighbour clients kept open (the oldest used goes) */
const MAX_CLIENTS = 96;

export class LoanManager implements LoansControl {
  readonly neighbours: NeighbourTable;
  /** events by name (start_in, end_lost, requests_sent, ...); lines dropped are in view().counters as dropped_<reason> */
  readonly counters: Record<string, number> = {};
  readonly borrower: Borrower;
  readonly lender: Lender;
  readonly worker: WorkerRole;
  private readonly ctx: LoanContext;
  private server: LoanServer | null = null;
  private readonly clients = new Map<string, NeighbourClient>();
  private readonly beating = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private wasMaster = false;
  /** why the loan port could not be opened (then this node only serves as a worker) */
  offline: string | null = null;
  private stopped = false;
  port = 0;

  constructor(
    private readonly host: LoanHost,
    private readonly settings: LoanSettings,
  ) {
    this.neighbours = new NeighbourTable(host.clusterId, settings.neighbours);
    this.ctx = {
      host,
      settings,
      neighbours: this.neighbours,
      client: (a, p) => this.client(a, p),
      neighbourOf: (l) => this.neighbourOf(l),
      end: (l, r, by) => this.end(l, r, by),
      count: (e, n) => this.count(e, n),
    };
    this.borrower = new Borrower(this.ctx);
    this.lender = new Lender(this.ctx, this.borrower.detector);
    this.worker = new WorkerRole(this.ctx);
  }

  /** listens on the loan port (0 picks one) and starts the heartbeat timer; resolves with the port */
  async start(): Promise<number> {
    this.server = new LoanServer({ host: this.settings.bindAddress, port: this.settings.port, key: this.settings.key, logger: this.host.log, handlers: this.handlers(), now: () => this.host.now() });
    try {
      this.port = await this.server.listen();
    } catch (err) {
      // the node runs on: it may still be lent (a worker needs no port), but it cannot negotiate
      // (nobody could answer it) — say so loudly, as for any port in use
      this.server = null;
      this.offline = `cannot listen on the loan port ${this.settings.bindAddress}:${this.settings.port}: ${(err as Error).message}`;
      this.count('port_unavailable');
      this.host.log.error({ port: this.settings.port }, `${this.offline}; this node neither borrows nor lends (set --loan-port)`);
    }
    this.timer = setInterval(() => this.tick(), this.settings.heartbeatMs);
    this.timer.unref();
    queueMicrotask(() => this.worker.sync());
    return this.port;
  }

  /** stops everything: links close, nothing is sent (a crash leaves the same behind) */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.worker.stop();
    this.borrower.onRoleLost();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await this.server?.close();
  }

  /** another cluster's heartbeat heard on the LAN */
  onForeignHeartbeat(h: ForeignHeartbeat): void {
    this.neighbours.hint(h, this.host.now());
  }

  /** a loan command applied on this node's board */
  onLoanApplied(): void {
    if (!this.stopped) this.worker.sync();
  }

  /** node ids this farm lent out (monitoring leaves them out of its pool) */
  lentIds(): ReadonlySet<string> {
    const ids = activeLoans(this.host.loans(), 'out').map((l) => l.workerId).sort();
    const key = ids.join(',');
    // the same set while nothing changed: monitoring recomputes its assignment when the pool changes
    if (key !== this.lentKey) {
      this.lentKey = key;
      this.lent = new Set(ids);
    }
    return this.lent;
  }
  private lentKey = '';
  private lent: ReadonlySet<string> = new Set();

  private count(event: string, n = 1): void {
    this.counters[event] = (this.counters[event] ?? 0) + n;
  }

  private tick(): void {
    if (this.stopped) return;
    const master = this.host.isMaster();
    if (this.wasMaster && !master) this.borrower.onRoleLost();
    this.wasMaster = master;
    this.worker.sync();
    if (!master || !this.host.canPropose() || this.offline) return;
    const now = this.host.now();
    this.heartbeats();
    this.leases(now);
    this.borrower.tick(now);
    this.lender.tick(now);
  }

  /** one heartbeat to every neighbour and every loan's other farm (one in flight per neighbour) */
  private heartbeats(): void {
    const active = [...this.host.loans().active.values()];
    const targets = new Map<string, Neighbour>();
    for (const n of this.neighbours.list()) targets.set(n.key, n);
    for (const l of active) {
      const n = this.neighbourOf(l);
      targets.set(n.key, n);
    }
    this.neighbours.pruneLoans(new Set(active.map((l) => l.id)));
    for (const n of targets.values()) {
      if (this.beating.has(n.key)) continue;
      this.beating.add(n.key);
      const ids = active.filter((l) => this.neighbourOf(l).key === n.key).map((l) => l.id);
      this.count('heartbeats_sent');
      this.client(n.address, n.loanPort)
        .heartbeat(ids)
        .then((r) => this.neighbours.answered(n.key, { clusterId: safeId(r.CLUSTER_ID) ?? undefined, masterId: r.MASTER_UUID, loanPort: r.LOAN_PORT, loans: r.LOANS, authed: r.authed, peerboard: r.CLUSTER_ID !== undefined }, this.host.now()))
        .catch(() => {
          this.count('heartbeats_missed');
          this.neighbours.missedOne(n.key);
        })
        .finally(() => this.beating.delete(n.key));
    }
  }

  /** renews leases with less than half left (the other farm named them lately) and expires run-out ones */
  private leases(now: number): void {
    for (const l of this.host.loans().active.values()) {
      const nb = this.neighbourOf(l);
      const heardAt = l.peer.peerboard ? this.neighbours.heardLoan(l.id) : nb.lastSeen;
      const leaseMs = Math.max(1000, Math.min(this.settings.leaseMs, 24 * 3600 * 1000));
      const act = leaseAction({ until: l.until, now, leaseMs, heardAt, heartbeatMs: this.settings.heartbeatMs });
      if (act === 'expire') void this.end(l, 'expired');
      else if (act === 'renew') {
        this.host
          .submit({ type: 'loan-renew', id: l.id, leaseMs }, `loan-renew:${l.id}:${l.until}`)
          .then(() => this.count('renew'))
          .catch((err: unknown) => this.host.log.debug({ loan: l.id, err: toPeerboardError(err).message }, 'lease not renewed'));
      }
    }
  }

  /** the neighbour entry of a loan's other farm (its cluster's entry, else its address), added when missing */
  private neighbourOf(l: Loan): Neighbour {
    const p = l.peer;
    const known = (p.clusterId ? this.neighbours.byCluster(p.clusterId) : undefined) ?? this.neighbours.byAddress(p.address, p.loanPort);
    if (known) return known;
    return this.neighbours.ensure({ clusterId: p.clusterId, masterId: p.masterId, address: p.address, loanPort: p.loanPort }, this.host.now());
  }

  private client(address: string, port: number): NeighbourClient {
    const key = `${address}:${port}`;
    let c = this.clients.get(key);
    if (c) {
      this.clients.delete(key);
      this.clients.set(key, c);
      return c;
    }
    if (this.clients.size >= MAX_CLIENTS) {
      const [oldKey, old] = this.clients.entries().next().value as [string, NeighbourClient];
      old.close();
      this.clients.delete(oldKey);
    }
    c = new NeighbourClient({
      address,
      port,
      key: this.settings.key,
      self: { clusterId: this.host.clusterId, masterId: this.host.nodeId, loanPort: this.port || this.settings.port },
      logger: this.host.log,
      // a request's answer waits for the lender's commit (loan-start before ACK): not much less than a commit may take
      timeoutMs: Math.max(2000, Math.min(this.settings.heartbeatMs * 2, 10_000)),
    });
    this.clients.set(key, c);
    return c;
  }

  /** commits a loan-end (idempotent per loan); true when it committed or the loan had ended already */
  private async end(l: Loan, reason: LoanEndReason, by = 'system'): Promise<boolean> {
    const cmd: LoanCommand = { type: 'loan-end', id: l.id, reason };
    try {
      const r = (await this.host.submit(cmd, `loan-end:${l.id}`, by)) as { value?: { changed?: boolean } } | undefined;
      if (r?.value?.changed !== false) this.count(`end_${reason}`);
      this.host.log.info({ loan: l.id, reason, by }, 'loan ended');
      return true;
    } catch (err) {
      this.host.log.debug({ loan: l.id, reason, err: toPeerboardError(err).message }, 'loan end not committed');
      return false;
    }
  }

  private handlers(): LoanHandlers {
    const notMaster = (): string => `${NOT_THE_MASTER} of farm ${this.host.clusterId}`;
    const nack = (reason: string): WorkerResponse => ({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: reason });
    return {
      heartbeat: (from: PeerHello) => {
        const known = this.host.loans().active;
        const loans = (from.loans ?? []).filter((id) => known.has(id));
        if (from.loans) this.neighbours.heard(loans, from.clusterId ?? null, from.address, this.host.now());
        const ext = { CLUSTER_ID: this.host.clusterId, LOAN_PORT: this.port, LOANS: loans };
        return this.host.isMaster() ? { ...ext, MASTER_UUID: this.host.nodeId } : ext;
      },
      workerRequest: async (needed, from) => {
        if (!this.host.isMaster()) {
          // seed-conformant NACK, plus where the master is (extension)
          const at = this.host.masterLoanAddress();
          const answer = { ...nack(notMaster()), ...(at ? { MASTER_ADDRESS: at } : {}) };
          return answer;
        }
        return this.lender.workerRequest(needed, from);
      },
      workerReturn: (from, workerIds, loanIds) => {
        if (this.host.isMaster()) this.lender.returned(from, workerIds, loanIds);
      },
      workerRecall: (from, workerIds, loanIds) => {
        if (this.host.isMaster()) this.borrower.recalled(workerIds, loanIds, from.clusterId ?? null, from.address);
      },
      workerAlive: (hello, link) => {
        if (!this.host.isMaster()) {
          const at = this.host.masterLoanAddress();
          return at ? { reason: notMaster(), masterAddress: at } : notMaster();
        }
        return this.borrower.workerAlive(hello, link);
      },
    };
  }

  // ---------------------------------------------------------------- LoansControl

  view(): LoansView {
    return loansView({
      host: this.host,
      port: this.port || this.settings.port || DEFAULT_LOAN_PORT,
      borrower: this.borrower,
      worker: this.worker,
      neighbours: this.neighbours,
      counters: this.counters,
      server: this.server?.counters ?? null,
    });
  }

  async recall(id: string, by: string): Promise<void> {
    const l = this.activeLoan(id, 'out');
    await this.lender.recall(l, by, 'an admin recalled it');
  }

  async giveBack(id: string, by: string): Promise<void> {
    const l = this.activeLoan(id, 'in');
    await this.borrower.finish(l, 'returned', by);
  }

  private activeLoan(id: string, direction: 'in' | 'out'): Loan {
    if (!this.host.isMaster()) throw new PeerboardError(ErrorCode.NotLeader, 'only the master recalls or returns loans; ask the master');
    const l = this.host.loans().active.get(id);
    if (!l) throw new PeerboardError(ErrorCode.NotFound, `no active loan ${id}`);
    if (l.direction !== direction) throw new PeerboardError(ErrorCode.BadRequest, direction === 'out' ? `loan ${id} is a borrowed worker: return it instead` : `loan ${id} is a lent worker: recall it instead`);
    return l;
  }
}
