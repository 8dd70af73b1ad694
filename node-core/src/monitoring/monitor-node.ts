// A node's monitoring: as a location it probes every enabled check (scheduler), keeps its results
// (results store) and reports them to the master; as the master it turns every location's latest
// results into verdicts, commits only verdict changes, and delivers each committed change's
// notifications once (the delivery is committed too, so a new master resumes where the old one was).
// The master assigns each check to K locations of its pool (farm-assign.ts) and pushes each location
// its set in the report's answer; a location runs every enabled check until it first hears one.
import type { Logger } from '../log.js';
import { toPeerboardError } from '../errors.js';
import type { BoardCommand } from '../board/types.js';
import { Aggregator, type LocationReport } from './aggregator.js';
import type { MonitoringData } from './board-monitoring.js';
import type { LocationLoad } from '../loans/types.js';
import { MAX_ASSIGN_IDS, type AssignmentPush } from './assign.js';
import { FarmAssign, type GuestLink } from './farm-assign.js';
import { CpuSampler, type FarmLoad } from './load.js';
import type { SchedulerLoad } from './scheduler.js';
import type { Alert, CheckDef, CheckResult, LocationResult, NotificationTarget, VerdictChange } from './types.js';

export type { GuestLink } from './farm-assign.js';
export type { FarmLoad } from './load.js';

/** what a location sends with its report besides results */
export interface ReportExtra {
  /** the version of the assignment it runs (absent: it has heard none and runs every check) */
  assignVersion?: string;
  load?: LocationLoad;
}

/** the master's answer to a report: taken, and the location's assignment when its version differs */
export interface ReportAnswer {
  accepted: number;
  assign?: AssignmentPush;
}

/** a lent worker's second scheduler, running the borrower's checks (runGuest) */
export interface GuestRunner {
  setChecks(checks: readonly CheckDef[]): void;
  stop(): void;
  stats(): ReturnType<SchedulerLike['stats']> & { load: LocationLoad };
}

/** a report carries at most this many results; more wait for the next one */
export const REPORT_BATCH = 2000;
/** how often a location reports (and the master re-evaluates staleness) */
export const REPORT_PERIOD_MS = 1000;
/** check changes reach this location's scheduler within this long (a burst of changes is one update) */
export const SYNC_DEBOUNCE_MS = 100;
/**
 * A PARTIAL verdict is committed only after it held this long (at most half the interval): locations
 * that see the same outage flip one after the other, and UP -> PARTIAL -> DOWN within one round would
 * be two notifications for one event. UP, DOWN and UNKNOWN are committed at once.
 */
export const PARTIAL_SETTLE_MS = 2500;
/**
 * A new master decides nothing for this long: it starts from the committed verdicts and first collects
 * every location's latest results (each location re-sends them to a master it has not reported to).
 * Without it, its empty view turned every check UNKNOWN on failover (a DOWN -> UNKNOWN -> DOWN pair of
 * extra notifications, found by test/cluster/monitoring-netns.test.ts).
 */
export const MASTER_WARMUP_MS = 3 * REPORT_PERIOD_MS;

export interface SchedulerLike {
  setChecks(checks: readonly CheckDef[]): void;
  pause(): void;
  resume(): void;
  stop(): void;
  stats(): { running: number; queued: number; lagP50: number; lagP99: number; lagMax: number; checks: number; startedTotal: number; skippedTotal?: number };
  /** load over the last ~10 s (absent: read from stats(), utilisation unknown = 0) */
  load?(): SchedulerLoad;
}

export interface ResultsStoreLike {
  add(results: readonly CheckResult[]): boolean;
  series(checkId: number, sinceMs: number, maxPoints?: number): Array<{ at: number; responseTime: number; ok: boolean }>;
  removeCheck(id: number): void;
  close(): void;
}

export type DeliveryOutcome = { ok: true; status: number } | { ok: false; error: string; status?: number; retryable: boolean };

export interface MonitorParts {
  /** null: this node is no location (a desktop node that did not opt in) */
  createScheduler: ((onResult: (r: CheckResult, check: CheckDef) => void) => SchedulerLike) | null;
  store: ResultsStoreLike | null;
  deliver: (target: NotificationTarget, alertId: number, change: VerdictChange) => Promise<DeliveryOutcome>;
  nextRetryDelayMs: (attempts: number) => number;
  maxAttempts: number;
  /** a reference probe: false when this location's own network is in doubt (no reference: always true) */
  reference?: () => Promise<boolean>;
}

/** What monitoring needs of its node. */
export interface MonitorHost {
  readonly nodeId: string;
  readonly location: string;
  readonly log: Logger;
  now(): number;
  isMaster(): boolean;
  /** master with quorum and its term's first entry committed: verdicts may be proposed */
  canPropose(): boolean;
  leaderId(): string | null;
  monitoring(): Readonly<MonitoringData>;
  submit(cmd: BoardCommand, reqId: string): Promise<unknown>;
  /** sends this location's report to the master; resolves false when it was not taken (an object: taken, with the master's answer) */
  sendReport(leaderId: string, location: string, referenceOk: boolean, results: LocationReport[], extra?: ReportExtra): Promise<boolean | { assign?: AssignmentPush }>;
  /** node ids lent to another farm (the loan brain): they get an empty assignment */
  excludedLocations?(): ReadonlySet<string>;
  /** a committed verdict change for hosts (desktop notification, SSE) */
  onAlert?(alert: Alert): void;
}

const NONE: ReadonlySet<string> = new Set();
/** localLoad() is computed at most this often (a report asks for it every period) */
const LOAD_CACHE_MS = 500;

export class MonitorNode {
  readonly aggregator: Aggregator;
  private scheduler: SchedulerLike | null = null;
  private pending = new Map<number, LocationReport>();
  /** this location's latest result per check, re-sent in full to a master it has not reported to yet, and what a follower shows of itself */
  private latest = new Map<number, LocationReport>();
  /** the master that took this location's last report (this node's id when it is the master itself) */
  private reportedTo: string | null = null;
  /** when this node last became able to propose (master clock); null: it cannot */
  private masterSince: number | null = null;
  /** results not yet written: one transaction per report period (a write per result blocked the loop) */
  private unstored: CheckResult[] = [];
  private urgent = false;
  private timer: NodeJS.Timeout | undefined;
  private referenceOk = true;
  private checksVersion = '';
  /** checks with a verdict proposal in flight */
  private proposing = new Set<number>();
  /** checks whose evaluation says PARTIAL, and since when (master clock) */
  private partialSince = new Map<number, number>();
  /** deliveries in flight or waiting for their retry time: "alertId-targetId" → not before (ms) */
  private deliveries = new Map<string, number>();
  private sending = false;
  private stopped = false;
  private paused = false;
  readonly counters = { reportsSent: 0, reportsFailed: 0, reportsReceived: 0, resultsReceived: 0, verdictsProposed: 0, deliveriesOk: 0, deliveriesFailed: 0, assignmentsSent: 0 };
  /** master: the farm's locations, guests and the assignment of checks over them */
  readonly farm: FarmAssign;
  /** location: the checks the master assigned to it (null: none heard yet, so it runs every enabled check) */
  private assigned: { version: string; ids: Set<number> } | null = null;
  private readonly cpu = new CpuSampler();
  private loadCache: { at: number; load: LocationLoad } | null = null;
  /** master: the assignment changed while pushes were not allowed yet (warm-up) */
  private pushPending = false;

  constructor(
    private readonly host: MonitorHost,
    private readonly parts: MonitorParts,
  ) {
    this.aggregator = new Aggregator(() => host.now());
    this.farm = new FarmAssign({
      now: () => host.now(),
      checks: () => host.monitoring().checks,
      k: () => host.monitoring().locationsPerCheck,
      excluded: () => host.excludedLocations?.() ?? NONE,
    });
    this.aggregator.setVoteFilter((checkId, nodeId) => this.farm.votes(checkId, nodeId));
  }

  get isLocation(): boolean {
    return this.parts.createScheduler !== null;
  }

  start(): void {
    if (this.parts.createScheduler) {
      this.scheduler = this.parts.createScheduler((r, check) => this.onResult(r, check));
      this.syncChecksNow();
    }
    this.timer = setInterval(() => void this.tick(), REPORT_PERIOD_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.syncTimer);
    this.scheduler?.stop();
    if (this.unstored.length > 0) this.parts.store?.add(this.unstored);
    this.unstored = [];
    this.parts.store?.close();
  }

  /** desktop on battery: no probes until resumed (the location stops voting when its results age) */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) this.scheduler?.pause();
    else this.scheduler?.resume();
    this.host.log.info({ paused }, paused ? 'monitoring paused (battery)' : 'monitoring resumed');
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * The locations of a check as this node knows them: on the master the live table; elsewhere the
   * locations of the last committed verdict change, with this node's own latest result in its place.
   */
  locationsOf(check: CheckDef, committed: readonly LocationResult[]): LocationResult[] {
    if (this.host.isMaster()) return this.aggregator.evaluate(check).locations;
    const mine = this.latest.get(check.id);
    const rest = committed.filter((l) => l.nodeId !== this.host.nodeId).map((l) => ({ ...l }));
    if (!mine || !check.enabled) return rest;
    const self: LocationResult = { nodeId: this.host.nodeId, location: this.host.location, status: mine.status, responseTime: mine.responseTime, lastChecked: new Date(mine.at).toISOString(), error: mine.error };
    return [...rest, self].sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : a.nodeId < b.nodeId ? -1 : 1));
  }

  /** this location's own results of a check, for a chart */
  series(checkId: number, sinceMs: number, maxPoints: number): { checkId: number; location: string; points: Array<{ at: number; responseTime: number; ok: boolean }> } | null {
    if (!this.parts.store) return null;
    return { checkId, location: this.host.location, points: this.parts.store.series(checkId, sinceMs, maxPoints) };
  }

  schedulerStats(): ReturnType<SchedulerLike['stats']> | null {
    return this.scheduler?.stats() ?? null;
  }

  /** a board entry applied: follow check changes; the master forgets removed checks */
  onApplied(cmd: BoardCommand): void {
    if (cmd.type === 'check-add' || cmd.type === 'check-update' || cmd.type === 'check-remove' || cmd.type === 'monitor-settings') {
      this.syncChecks();
      this.farm.invalidate();
    }
    if (cmd.type === 'check-remove') {
      this.aggregator.forgetCheck(cmd.id);
      this.latest.delete(cmd.id);
      this.pending.delete(cmd.id);
      this.parts.store?.removeCheck(cmd.id);
    }
    if (cmd.type === 'verdict') {
      this.proposing.delete(cmd.checkId);
      // deliver a committed change now, not at the next tick (that waited up to a report period)
      if (this.host.isMaster()) queueMicrotask(() => this.sendDeliveries());
    }
  }

  /** the whole board was replaced (a snapshot): follow it */
  onRestored(): void {
    this.syncChecks();
    this.farm.invalidate();
  }

  /** this node stopped being master: its view of other locations must not decide anything later */
  onRoleLost(): void {
    this.aggregator.clear();
    this.proposing.clear();
    this.partialSince.clear();
    this.deliveries.clear();
    this.masterSince = null;
    this.reportedTo = null;
    this.farm.clear();
    this.pushPending = false;
  }

  private syncTimer: NodeJS.Timeout | undefined;
  /** follows the board's checks, at most every SYNC_DEBOUNCE_MS: adding 10,000 checks one by one re-read the whole list each time (quadratic) */
  private syncChecks(): void {
    if (!this.scheduler || this.syncTimer || this.stopped) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncChecksNow();
    }, SYNC_DEBOUNCE_MS);
    this.syncTimer.unref();
  }

  private syncChecksNow(): void {
    if (!this.scheduler || this.stopped) return;
    const checks = [...this.host.monitoring().checks.values()];
    const a = this.assigned;
    const version = `${a?.version ?? '*'}|${checks.map((c) => `${c.id}:${c.updatedAt}:${c.enabled}`).join(',')}`;
    if (version === this.checksVersion) return;
    this.checksVersion = version;
    // board checks ∩ assignment (every enabled check until the first assignment)
    this.scheduler.setChecks(checks.filter((c) => c.enabled && (a === null || a.ids.has(c.id))));
  }

  private onResult(r: CheckResult, check: CheckDef): void {
    if (this.stopped) return;
    if (this.parts.store && this.unstored.length < 100_000) this.unstored.push(r);
    // compared with this location's previous result, not with what is pending: pending is empty after
    // each report, so every result counted as a change and went out alone (a report per probe, ~33/s
    // per location at 1,000 checks x 30 s, each one authenticated, parsed and aggregated by the master)
    const prev = this.latest.get(r.checkId);
    const report: LocationReport = { checkId: r.checkId, nodeId: this.host.nodeId, location: this.host.location, status: r.status, responseTime: r.responseTime, at: r.at, error: r.error ?? null };
    if (prev ? prev.status !== r.status : r.status === 'DOWN') this.urgent = true;
    this.pending.set(r.checkId, report);
    this.latest.set(r.checkId, report);
    void check;
    // a status change goes out at once: the verdict must not wait for the next period
    if (this.urgent) void this.flush();
  }

  /** a /sync/api remote instance's report, taken by this master: it runs every check and always votes */
  ingest(nodeId: string, location: string, referenceOk: boolean, results: LocationReport[]): number {
    this.farm.seenRemote(nodeId);
    return this.take(nodeId, location, referenceOk, results);
  }

  /** a home location's CheckReport, taken by this master: answers its assignment when its version differs */
  ingestReport(nodeId: string, location: string, referenceOk: boolean, results: LocationReport[], extra: ReportExtra = {}): ReportAnswer {
    this.farm.seenHome(nodeId, location, extra.load ?? null);
    const accepted = this.take(nodeId, location, referenceOk, results);
    this.reassign();
    if (!this.assignReady()) return { accepted };
    const assign = this.farm.forNode(nodeId);
    if (assign.version === extra.assignVersion) return { accepted };
    this.counters.assignmentsSent++;
    return { accepted, assign: { version: assign.version, ids: assign.ids.slice(0, MAX_ASSIGN_IDS) } };
  }

  private take(nodeId: string, location: string, referenceOk: boolean, results: LocationReport[]): number {
    this.counters.reportsReceived++;
    this.counters.resultsReceived += results.length;
    const known = this.host.monitoring().checks;
    const taken = results.filter((r) => known.has(r.checkId)); // the aggregator files them under nodeId and location
    this.aggregator.ingest(nodeId, location, taken, referenceOk);
    this.decide(new Set(taken.map((r) => r.checkId)));
    return taken.length;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.cpu.sample();
    if (this.unstored.length > 0) {
      const batch = this.unstored;
      this.unstored = [];
      this.parts.store?.add(batch);
    }
    if (this.parts.reference) this.referenceOk = await this.parts.reference().catch(() => false);
    await this.flush(true);
    if (this.host.isMaster()) {
      this.reassign();
      this.decide(null);
      this.sendDeliveries();
    }
  }

  /** sends what is pending to the master (or takes it here when this node is the master) */
  private async flush(periodic = false): Promise<void> {
    if (this.sending || (!periodic && !this.urgent)) return;
    // a paused location says nothing: it leaves the master's pool and its checks move to others
    if (!this.isLocation || this.paused) return;
    // a location with no checks has nothing to say: no empty reports from idle nodes
    if (this.pending.size === 0 && this.host.monitoring().checks.size === 0) return;
    this.sending = true;
    this.urgent = false;
    const to = this.host.isMaster() ? this.host.nodeId : this.host.leaderId();
    // a master that has not heard from this location gets its whole latest state, not just what is new
    if (to !== null && to !== this.reportedTo) for (const [id, r] of this.latest) if (!this.pending.has(id)) this.pending.set(id, r);
    try {
      const batch = [...this.pending.values()].slice(0, REPORT_BATCH);
      for (const r of batch) this.pending.delete(r.checkId);
      if (this.host.isMaster()) {
        const answer = this.ingestReport(this.host.nodeId, this.host.location, this.referenceOk, batch, { load: this.localLoad(), ...(this.assigned ? { assignVersion: this.assigned.version } : {}) });
        if (answer.assign) this.applyAssignment(answer.assign);
        this.reportedTo = to;
        return;
      }
      const leader = this.host.leaderId();
      if (!leader || !this.isLocation) return;
      const extra: ReportExtra = { load: this.localLoad(), ...(this.assigned ? { assignVersion: this.assigned.version } : {}) };
      const okSent = await this.host.sendReport(leader, this.host.location, this.referenceOk, batch, extra).catch(() => false);
      if (okSent) {
        if (typeof okSent === 'object' && okSent.assign) this.applyAssignment(okSent.assign);
        this.counters.reportsSent++;
        this.reportedTo = leader;
      } else {
        this.counters.reportsFailed++;
        // keep the newest result per check for the next try
        for (const r of batch) if (!this.pending.has(r.checkId)) this.pending.set(r.checkId, r);
      }
    } finally {
      this.sending = false;
    }
    if (this.urgent) void this.flush();
  }

  // ------------------------------------------------------------ assignment, load, guests

  /** master past its warm-up: it may push assignments (before, locations keep what they run) */
  private assignReady(): boolean {
    return this.host.canPropose() && this.masterSince !== null && this.host.now() - this.masterSince >= MASTER_WARMUP_MS;
  }

  /** master: recompute when the pool, checks or K changed; once past warm-up, apply what changed */
  private reassign(): void {
    if (this.farm.refresh()) this.pushPending = true;
    if (this.pushPending && this.assignReady()) {
      this.pushPending = false;
      this.afterRecompute();
    }
  }

  /** master: the assignment changed: use this node's own part locally, send guests theirs */
  private afterRecompute(): void {
    if (this.isLocation && !this.paused && this.farm.isHomeFresh(this.host.nodeId)) this.applyAssignment(this.farm.forNode(this.host.nodeId));
    this.farm.pushGuests();
  }

  /** location: run board checks ∩ these ids from now on (kept while no master answers) */
  applyAssignment(a: AssignmentPush): void {
    if (this.assigned?.version === a.version) return;
    this.assigned = { version: a.version, ids: new Set(a.ids) };
    this.host.log.debug({ version: a.version, checks: a.ids.length }, 'monitoring: new assignment');
    this.syncChecksNow();
  }

  /** location: the assignment it runs (null: none heard, it runs every enabled check) */
  assignment(): { version: string; ids: number[] } | null {
    return this.assigned ? { version: this.assigned.version, ids: [...this.assigned.ids].sort((a, b) => a - b) } : null;
  }

  /** this location's load over the last ~10 s: its scheduler's lag p99 and utilisation, the process's CPU */
  localLoad(): LocationLoad {
    const now = this.host.now();
    if (this.loadCache && Math.abs(now - this.loadCache.at) < LOAD_CACHE_MS) return this.loadCache.load;
    const load = loadOf(this.scheduler, this.cpu.fraction());
    this.loadCache = { at: now, load };
    return load;
  }

  /** master: the farm's load over its pool (load.ts farmLoadOf documents the formula) */
  farmLoad(): FarmLoad {
    return this.farm.farmLoad();
  }

  /** master: how many checks `nodeId` (a home location or a guest) is assigned now */
  assignedCount(nodeId: string): number {
    return this.farm.assigner.count(nodeId);
  }

  /** master: a borrowed worker joins the pool; its checks go out through sendWork (now, and on every change) */
  attachGuest(link: GuestLink): void {
    this.farm.attach(link);
    this.reassign();
    if (this.assignReady()) this.farm.pushGuests();
  }

  /** master: a borrowed worker leaves the pool; its checks go back to the others at once */
  detachGuest(workerId: string): void {
    if (!this.farm.detach(workerId)) return;
    this.reassign();
  }

  /** master: a guest's results (CheckReport's shape) and load; they vote for the checks assigned to it */
  ingestGuest(workerId: string, results: ReadonlyArray<Omit<LocationReport, 'nodeId' | 'location'>>, load?: LocationLoad): number {
    const g = this.farm.guest(workerId);
    if (!g) return 0;
    if (load) this.farm.guestLoad(workerId, load);
    return this.take(workerId, g.location, true, results.map((r) => ({ ...r, nodeId: workerId, location: g.location })));
  }

  /** worker side: a second scheduler for a borrower's checks (null: this node is no location) */
  runGuest(onResult: (r: CheckResult, check: CheckDef) => void): GuestRunner | null {
    if (!this.parts.createScheduler) return null;
    const sched = this.parts.createScheduler(onResult);
    return {
      setChecks: (checks) => sched.setChecks(checks.filter((c) => c.enabled !== false)),
      stop: () => sched.stop(),
      stats: () => ({ ...sched.stats(), load: loadOf(sched, this.cpu.fraction()) }),
    };
  }

  /** master: propose a verdict change for each check (of `only`, or all) whose verdict moved */
  private decide(only: Set<number> | null): void {
    if (!this.host.canPropose()) {
      this.masterSince = null;
      return;
    }
    this.masterSince ??= this.host.now();
    if (this.host.now() - this.masterSince < MASTER_WARMUP_MS) return;
    const m = this.host.monitoring();
    for (const id of only ?? m.checks.keys()) {
      const check = m.checks.get(id);
      if (!check || this.proposing.has(id)) continue;
      const committed = m.verdicts.get(id)?.verdict ?? 'UNKNOWN';
      // the verdict alone first: building every location's row for every check each second cost the master most of its CPU
      const verdict = this.aggregator.verdictOf(check);
      if (verdict !== 'PARTIAL') this.partialSince.delete(id);
      if (verdict === committed) continue;
      if (verdict === 'PARTIAL') {
        const now = this.host.now();
        const since = this.partialSince.get(id) ?? now;
        this.partialSince.set(id, since);
        if (now - since < Math.min(PARTIAL_SETTLE_MS, (check.intervalSec * 1000) / 2)) continue;
      }
      this.proposing.add(id);
      this.counters.verdictsProposed++;
      const locations = this.aggregator.evaluate(check).locations;
      const cmd: BoardCommand = { type: 'verdict', checkId: id, verdict, previous: committed, locations: locations.slice(0, 64) };
      this.host
        .submit(cmd, `verdict:${id}:${m.verdicts.get(id)?.changeIndex ?? 0}:${verdict}`)
        .catch((err: unknown) => this.host.log.debug({ checkId: id, err: toPeerboardError(err).message }, 'verdict change not committed'))
        .finally(() => {
          this.proposing.delete(id);
        });
    }
  }

  /** master: deliver each pending notification of a committed alert, then commit how it went */
  private sendDeliveries(): void {
    if (!this.host.canPropose()) return;
    const m = this.host.monitoring();
    const now = this.host.now();
    const live = new Set<string>();
    for (const alert of m.alerts) {
      for (const d of alert.deliveries) {
        if (d.state !== 'pending') continue;
        const key = `${alert.id}-${d.targetId}`;
        live.add(key);
        const notBefore = this.deliveries.get(key);
        if (notBefore !== undefined && notBefore > now) continue;
        const target = m.targets.get(d.targetId);
        if (!target) {
          this.commitDelivery(alert.id, d.targetId, { ok: false, error: 'the notification target was removed', retryable: false }, true);
          continue;
        }
        this.deliveries.set(key, Number.POSITIVE_INFINITY); // in flight
        const attempts = d.attempts + 1;
        void this.parts.deliver(target, alert.id, alert.change).then((out) => {
          const final = out.ok || !out.retryable || attempts >= this.parts.maxAttempts;
          if (out.ok) this.counters.deliveriesOk++;
          else this.counters.deliveriesFailed++;
          // final: not again while its outcome is being committed (the delivery stays pending on the board until
          // then; "now" let a verdict applied meanwhile send it a second time); a failed commit forgets the key
          this.deliveries.set(key, final ? Number.POSITIVE_INFINITY : this.host.now() + this.parts.nextRetryDelayMs(attempts));
          this.commitDelivery(alert.id, d.targetId, out, final);
        });
      }
    }
    // forget deliveries that are no longer pending (their outcome applied, or the alert aged out): kept, the
    // map grew by one key per delivery for as long as this node stayed master
    if (this.deliveries.size > live.size) for (const key of this.deliveries.keys()) if (!live.has(key)) this.deliveries.delete(key);
  }

  private commitDelivery(alertId: number, targetId: number, out: DeliveryOutcome, final: boolean): void {
    const cmd: BoardCommand = { type: 'alert-delivery', alertId, targetId, ok: out.ok, final, ...(out.ok ? {} : { error: out.error.slice(0, 300) }) };
    this.host.submit(cmd, `delivery:${alertId}:${targetId}:${Date.now()}`).catch((err: unknown) => {
      this.host.log.warn({ alertId, targetId, err: toPeerboardError(err).message }, 'could not commit a delivery outcome');
      this.deliveries.delete(`${alertId}-${targetId}`);
    });
  }
}

function loadOf(sched: SchedulerLike | null, cpu: number): LocationLoad {
  const l = sched?.load?.();
  const lag = l?.lagP99Ms ?? sched?.stats().lagP99 ?? 0;
  return { lagP99Ms: lag, cpu, utilisation: l?.utilisation ?? 0, demand: l?.demand ?? l?.utilisation ?? 0 };
}
