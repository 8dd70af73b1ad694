// Monitoring's Prometheus metrics (issue 12), registered on a node's registry by node-metrics.ts: the
// committed verdict per check, this location's own results, reports, verdict changes, deliveries, lag.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MonitorParts } from './monitor-node.js';
import { MonitorLimits } from './check-schema.js';
import type { CheckResult, Verdict } from './types.js';

const VERDICTS: readonly Verdict[] = ['UP', 'DOWN', 'PARTIAL', 'UNKNOWN'];
const STATUSES = ['UP', 'DOWN'] as const;
/** response-time buckets, seconds (5 ms .. 10 s) */
export const RESPONSE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the metrics read of a node's monitoring; every function is called at scrape time. */
export interface MonitorMetricsSource {
  /** the board's checks and their committed verdicts */
  monitoring(): { checks: ReadonlyMap<number, { name: string }>; verdicts: ReadonlyMap<number, { verdict: Verdict }> };
  /** MonitorNode.counters, or null without monitoring */
  counters(): { reportsSent: number; reportsFailed: number; reportsReceived: number; deliveriesOk: number; deliveriesFailed: number } | null;
  /** the scheduler's start lag in ms (MonitorNode.schedulerStats()), or null when this node probes nothing */
  lag(): { lagP50: number; lagP99: number; lagMax: number } | null;
}

export interface MonitorMetricsOptions {
  /** most check ids with result series at once (default MonitorLimits.checks) */
  maxChecks?: number;
}

/**
 * Label cardinality is bounded: the verdict gauge is rebuilt from the board at every scrape, so a
 * removed check's series go with it; the per-check result series exist only for checks on the board,
 * at most maxChecks of them, and a removed check's are dropped at the next scrape (or sooner, when
 * the cap is reached).
 */
export class MonitorMetrics {
  readonly verdictChanges: Counter;
  /** results not recorded because the cap of check ids was reached (should stay 0) */
  readonly droppedResults: Counter;
  private readonly response: Histogram<'check_id'>;
  private readonly results: Counter<'check_id' | 'status'>;
  /** check ids that have result series */
  private readonly tracked = new Set<number>();
  private readonly maxChecks: number;

  constructor(
    r: Registry,
    private readonly src: MonitorMetricsSource,
    opts: MonitorMetricsOptions = {},
  ) {
    this.maxChecks = opts.maxChecks ?? MonitorLimits.checks;
    const prune = (): void => this.prune();
    new Gauge({
      name: 'peerboard_check_verdict',
      help: 'committed consensus verdict per check: 1 for the current verdict label (UP, DOWN, PARTIAL, UNKNOWN), 0 for the other three',
      labelNames: ['check_id', 'name', 'verdict'],
      registers: [r],
      collect() {
        this.reset();
        const m = src.monitoring();
        for (const [id, c] of m.checks) {
          const current = m.verdicts.get(id)?.verdict ?? 'UNKNOWN';
          for (const v of VERDICTS) this.set({ check_id: String(id), name: c.name, verdict: v }, v === current ? 1 : 0);
        }
      },
    });
    this.response = new Histogram({
      name: 'peerboard_check_response_seconds',
      help: "response time of this location's own probe rounds, per check",
      labelNames: ['check_id'],
      buckets: RESPONSE_BUCKETS,
      registers: [r],
      collect: prune,
    });
    this.results = new Counter({
      name: 'peerboard_check_results_total',
      help: "this location's own probe rounds per check, by outcome (UP: the round succeeded, DOWN: it failed after its retries; not damped)",
      labelNames: ['check_id', 'status'],
      registers: [r],
      collect: prune,
    });
    new Counter({
      name: 'peerboard_monitor_reports_total',
      help: 'location reports: sent to the master, send_failed (kept for the next try), received (as master, its own included)',
      labelNames: ['direction'],
      registers: [r],
      collect() {
        const c = src.counters();
        this.reset();
        if (!c) return;
        this.inc({ direction: 'sent' }, c.reportsSent);
        this.inc({ direction: 'send_failed' }, c.reportsFailed);
        this.inc({ direction: 'received' }, c.reportsReceived);
      },
    });
    new Counter({
      name: 'peerboard_monitor_deliveries_total',
      help: 'notification delivery attempts this node made as master: delivered, or failed (a failed one may be retried)',
      labelNames: ['result'],
      registers: [r],
      collect() {
        const c = src.counters();
        this.reset();
        if (!c) return;
        this.inc({ result: 'delivered' }, c.deliveriesOk);
        this.inc({ result: 'failed' }, c.deliveriesFailed);
      },
    });
    this.verdictChanges = new Counter({ name: 'peerboard_monitor_verdict_changes_total', help: 'committed verdict changes this node applied', registers: [r] });
    this.droppedResults = new Counter({ name: 'peerboard_monitor_results_unrecorded_total', help: 'probe results left out of the per-check metrics (check gone, or the cap of check ids reached)', registers: [r] });
    new Gauge({
      name: 'peerboard_monitor_lag_seconds',
      help: 'how late probe rounds start against their schedule (quantile 1 is the maximum); absent when this node probes nothing',
      labelNames: ['quantile'],
      registers: [r],
      collect() {
        this.reset();
        const s = src.lag();
        if (!s) return;
        this.set({ quantile: '0.5' }, s.lagP50 / 1000);
        this.set({ quantile: '0.99' }, s.lagP99 / 1000);
        this.set({ quantile: '1' }, s.lagMax / 1000);
      },
    });
  }

  /** one probe round of this location */
  observeResult(r: CheckResult): void {
    if (!this.src.monitoring().checks.has(r.checkId)) {
      this.droppedResults.inc();
      return;
    }
    if (!this.tracked.has(r.checkId)) {
      if (this.tracked.size >= this.maxChecks) this.prune();
      if (this.tracked.size >= this.maxChecks) {
        this.droppedResults.inc();
        return;
      }
      this.tracked.add(r.checkId);
    }
    const check_id = String(r.checkId);
    if (Number.isFinite(r.responseTime) && r.responseTime >= 0) this.response.observe({ check_id }, r.responseTime / 1000);
    this.results.inc({ check_id, status: r.ok ? 'UP' : 'DOWN' });
  }

  /** how many check ids have result series now */
  get trackedChecks(): number {
    return this.tracked.size;
  }

  /** drops the result series of checks no longer on the board */
  prune(): void {
    const checks = this.src.monitoring().checks;
    for (const id of this.tracked) {
      if (checks.has(id)) continue;
      this.tracked.delete(id);
      const check_id = String(id);
      this.response.remove({ check_id });
      for (const status of STATUSES) this.results.remove({ check_id, status });
    }
  }
}

/** The parts with every probe result also shown to `observe` (the metrics), before monitoring takes it. */
export function meteredParts(parts: MonitorParts, observe: (r: CheckResult) => void): MonitorParts {
  const create = parts.createScheduler;
  if (!create) return parts;
  return {
    ...parts,
    createScheduler: (onResult) =>
      create((r, check) => {
        try {
          observe(r);
        } catch {
          // metrics never stop a result from reaching monitoring
        }
        onResult(r, check);
      }),
  };
}
