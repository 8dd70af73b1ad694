// Worker loans' Prometheus metrics (issue 13), registered on a node's registry by node-metrics.ts and
// read from the LoanManager's LoansView at scrape time: active loans, loan events, dropped lines, load.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LoansView } from './types.js';

/** at most this many distinct event / reason labels (the counters come from the manager, bounded anyway) */
export const MAX_LOAN_LABELS = 64;
const DIRECTIONS = ['in', 'out'] as const;

/** counters of LoansView that are no loan events: the loan port's line total and the saturation flag (a gauge of its own) */
const NOT_EVENTS: ReadonlySet<string> = new Set(['lines', 'saturated']);

/**
 * How LoansView.counters keys map to series: `dropped_<reason>` (or `dropped.<reason>`) is a line
 * dropped at the loan port -> peerboard_loan_lines_dropped_total{reason}; any other key (start_in,
 * end_lost, requests_sent, ...; an `event.` prefix is dropped) is a loan event ->
 * peerboard_loan_events_total{event}. Non-finite or negative values are skipped.
 */
export function splitLoanCounters(counters: Record<string, number>): { events: Map<string, number>; dropped: Map<string, number> } {
  const events = new Map<string, number>();
  const dropped = new Map<string, number>();
  for (const [key, v] of Object.entries(counters)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) continue;
    if (NOT_EVENTS.has(key)) continue;
    const m = /^(?:dropped|linesDropped|lines_dropped)[._:/](.+)$/.exec(key);
    const target = m ? dropped : events;
    const label = (m ? m[1]! : key.replace(/^events?[.:/]/, '')).slice(0, 64);
    if (!target.has(label) && target.size >= MAX_LOAN_LABELS) continue;
    target.set(label, (target.get(label) ?? 0) + v);
  }
  return { events, dropped };
}

/**
 * Registers the loan series, read from the view at each scrape; the two counters are copied from the
 * manager's own monotonic counters. Without a view (no loans on this node) the gauges are zero.
 */
export function registerLoanMetrics(r: Registry, view: () => LoansView | null): void {
  // a view that fails (a node stopping) must not fail the whole scrape
  const current = (): LoansView | null => {
    try {
      return view();
    } catch {
      return null;
    }
  };
  new Gauge({
    name: 'peerboard_loans_active',
    help: 'active worker loans on this farm board, by direction (out: lent to another farm, in: borrowed)',
    labelNames: ['direction'],
    registers: [r],
    collect() {
      const v = current();
      for (const d of DIRECTIONS) this.set({ direction: d }, v ? v.active.filter((l) => l.direction === d).length : 0);
    },
  });
  new Counter({
    name: 'peerboard_loan_events_total',
    help: 'worker loan events counted by this node (requests, grants, refusals, starts, renewals, ends by reason)',
    labelNames: ['event'],
    registers: [r],
    collect() {
      this.reset();
      const v = current();
      if (v) for (const [event, n] of splitLoanCounters(v.counters).events) this.inc({ event }, n);
    },
  });
  new Counter({
    name: 'peerboard_loan_lines_dropped_total',
    help: 'lines dropped at the loan port, by reason (bad JSON, over 64 KiB, unknown task, failed auth, rate)',
    labelNames: ['reason'],
    registers: [r],
    collect() {
      this.reset();
      const v = current();
      if (v) for (const [reason, n] of splitLoanCounters(v.counters).dropped) this.inc({ reason }, n);
    },
  });
  const load = (name: string, help: string, f: (v: LoansView) => number) =>
    new Gauge({
      name,
      help,
      registers: [r],
      collect() {
        const v = current();
        this.set(v ? f(v) : 0);
      },
    });
  load('peerboard_farm_saturated', '1 while the farm is over its lag or CPU threshold (as its master sees it)', (v) => (v.load?.saturatedSince ? 1 : 0));
  load('peerboard_farm_pool', "locations running the farm's checks: home ones not lent plus borrowed workers", (v) => v.load?.pool ?? 0);
  load('peerboard_farm_lag_p99_ms', "the worst location's check start lag p99, ms", (v) => v.load?.lagP99Ms ?? 0);
}
