// Prometheus metrics of one node (prom-client, one registry per node so several nodes can share a
// process in tests): role, term, indexes, peers, dropped messages, request latencies, and monitoring's.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerLoanMetrics } from './loans/loan-metrics.js';
import type { LoansView } from './loans/types.js';
import { MonitorMetrics, type MonitorMetricsSource } from './monitoring/monitor-metrics.js';

export interface MetricsSource {
  role(): string;
  term(): number;
  commitIndex(): number;
  appliedIndex(): number;
  lastIndex(): number;
  peers(): number;
  quorum(): boolean;
  /** the peer transport's connection figures (what a hostile peer could make the node hold) */
  transport?(): Record<string, number> | undefined;
  /** endpoint monitoring's figures (issue 12); absent: no monitoring metrics */
  monitor?: MonitorMetricsSource;
  /** worker loans' view (issue 13), read at scrape time; absent: no loan metrics */
  loans?: () => LoansView | null;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly dropped: Counter<'reason'>;
  readonly http: Histogram<'route' | 'method' | 'status'>;
  readonly commit: Histogram<'result'>;
  readonly elections: Counter;
  /** the check and monitor metrics (monitor-metrics.ts), when the source has monitoring */
  readonly monitor: MonitorMetrics | null;
  private readonly droppedCounts = new Map<string, number>();

  constructor(src: MetricsSource) {
    const r = this.registry;
    new Gauge({
      name: 'peerboard_role',
      help: 'this node role (1 for the current role label)',
      labelNames: ['role'],
      registers: [r],
      collect() {
        this.reset();
        this.set({ role: src.role() }, 1);
      },
    });
    const gauge = (name: string, help: string, f: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(f());
        },
      });
    gauge('peerboard_term', 'current term', () => src.term());
    gauge('peerboard_commit_index', 'highest committed log index known', () => src.commitIndex());
    gauge('peerboard_applied_index', 'highest log index applied to the board', () => src.appliedIndex());
    gauge('peerboard_last_index', 'highest log index stored', () => src.lastIndex());
    gauge('peerboard_peers', 'other nodes seen recently', () => src.peers());
    gauge('peerboard_quorum', '1 when writes can be committed', () => (src.quorum() ? 1 : 0));
    new Gauge({
      name: 'peerboard_transport',
      help: 'peer transport: inbound/outbound/paused connections, buffered and partial-frame bytes, requests in flight and pending',
      labelNames: ['what'],
      registers: [r],
      collect() {
        this.reset();
        for (const [what, v] of Object.entries(src.transport?.() ?? {})) this.set({ what }, v);
      },
    });
    this.dropped = new Counter({ name: 'peerboard_dropped_messages_total', help: 'peer messages dropped at the edge, by reason', labelNames: ['reason'], registers: [r] });
    this.http = new Histogram({
      name: 'peerboard_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [r],
    });
    this.commit = new Histogram({
      name: 'peerboard_write_commit_seconds',
      help: 'time from a write request to its commit',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [r],
    });
    this.elections = new Counter({ name: 'peerboard_elections_won_total', help: 'elections this node won', registers: [r] });
    this.monitor = src.monitor ? new MonitorMetrics(r, src.monitor) : null;
    if (src.loans) registerLoanMetrics(r, src.loans);
  }

  drop(reason: string): void {
    this.dropped.inc({ reason });
    this.droppedCounts.set(reason, (this.droppedCounts.get(reason) ?? 0) + 1);
  }

  droppedByReason(): Record<string, number> {
    return Object.fromEntries(this.droppedCounts);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
