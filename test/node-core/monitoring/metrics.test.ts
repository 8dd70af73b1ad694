// Monitoring's Prometheus metrics: GET /metrics of a real node (real SQLite, real HTTP on 127.0.0.1)
// shows the committed verdict per check, this location's own results fed through the scheduler hook,
// the lag quantiles and the counters; a removed check's series go; the check-id cap holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttp, type HttpHandle } from '../../../node-core/src/http/index.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { MonitorLimits } from '../../../node-core/src/monitoring/check-schema.js';
import { MonitorMetrics, type MonitorMetricsSource } from '../../../node-core/src/monitoring/monitor-metrics.js';
import type { MonitorParts, SchedulerLike } from '../../../node-core/src/monitoring/monitor-node.js';
import type { CheckDef, CheckResult, Verdict } from '../../../node-core/src/monitoring/types.js';
import { createNode, type PeerNode } from '../../../node-core/src/node.js';
import { api, FAST, freeUdpPort, waitFor } from '../../cluster/cluster-helpers.js';
import { withTestKey } from '../../test-key.js';

/** A scheduler the test drives: it hands each result to the node as the real one would. */
class DrivenScheduler implements SchedulerLike {
  checks: CheckDef[] = [];
  constructor(readonly emit: (r: CheckResult, check: CheckDef) => void) {}
  setChecks(checks: CheckDef[]): void {
    this.checks = checks;
  }
  pause(): void {}
  resume(): void {}
  stop(): void {}
  stats() {
    return { running: 0, queued: 0, lagP50: 12, lagP99: 340, lagMax: 900, checks: this.checks.length, startedTotal: 0 };
  }
  result(checkId: number, ok: boolean, responseTime: number): void {
    const check = this.checks.find((c) => c.id === checkId);
    if (!check) throw new Error(`check ${checkId} is not scheduled`);
    this.emit({ checkId, at: Date.now(), ok, responseTime, lagMs: 0, status: ok ? 'UP' : 'DOWN', ...(ok ? {} : { error: 'HTTP 503' }) }, check);
  }
}

let node: PeerNode | undefined;
let http: HttpHandle | undefined;
let dir: string | undefined;
afterEach(async () => {
  await http?.close();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  node = http = dir = undefined;
});

async function startNode(scheduler?: { s?: DrivenScheduler }): Promise<{ node: PeerNode; api: string }> {
  dir = mkdtempSync(join(tmpdir(), 'pb-metrics-'));
  const parts: MonitorParts = {
    createScheduler: scheduler ? (onResult) => (scheduler.s = new DrivenScheduler(onResult)) : null,
    store: null,
    deliver: async () => ({ ok: true, status: 200 }),
    nextRetryDelayMs: () => 1000,
    maxAttempts: 3,
  };
  const cfg = withTestKey({ clusterId: 'metrics', nodeId: 'm1', user: 'm1', dataDir: dir, broadcastAddress: '127.255.255.255', advertiseIP: '127.0.0.1', discoveryPort: await freeUdpPort(), peerPort: 0, apiPort: 0, uiPort: -1, frontendUrl: '', selfRegister: false, logLevel: 'silent' as const, ...FAST });
  node = await createNode(cfg, { logger: silentLogger(), monitor: parts });
  http = await startHttp(node, { logger: silentLogger() });
  const n = node;
  await waitFor('a master with quorum', () => n.raft.role === 'master' && n.raft.hasQuorum() && n.raft.masterReady(), 15_000);
  return { node: n, api: http.apiUrl };
}

async function metrics(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** the value of one sample line, or undefined when the series is absent */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const check = { name: 'web "front" \\ é', type: 'http', target: 'http://127.0.0.1:9/health', intervalSec: 30, timeoutMs: 1000, retries: 0 };
const NAME = 'web \\"front\\" \\\\ é'; // as the exposition format escapes it

describe('monitoring metrics on a real node', () => {
  it('shows the committed verdict per check (1 for the current, 0 for the others) and drops it when the check goes', async () => {
    const { node: n, api: base } = await startNode();
    const added = await api<{ id: number }>(base, 'POST', '/api/checks', check);
    expect(added.status).toBe(201);
    const id = added.body.id;
    const v = (verdict: Verdict) => `peerboard_check_verdict{check_id="${id}",name="${NAME}",verdict="${verdict}"}`;
    let text = await metrics(base);
    expect(sample(text, v('UNKNOWN'))).toBe(1);
    expect(sample(text, v('UP'))).toBe(0);
    expect(sample(text, 'peerboard_monitor_verdict_changes_total')).toBe(0);

    // no scheduler runs here: commit the verdict change as the master's monitoring would
    await n.submit({ type: 'verdict', checkId: id, verdict: 'DOWN', previous: 'UNKNOWN', locations: [] }, { user: 'system', caller: 'system' });
    text = await metrics(base);
    expect([sample(text, v('DOWN')), sample(text, v('UP')), sample(text, v('PARTIAL')), sample(text, v('UNKNOWN'))]).toEqual([1, 0, 0, 0]);
    expect(sample(text, 'peerboard_monitor_verdict_changes_total')).toBe(1);
    // a refused change (compare-and-set: the verdict is DOWN, not UNKNOWN) is no change
    await expect(n.submit({ type: 'verdict', checkId: id, verdict: 'UP', previous: 'UNKNOWN', locations: [] }, { user: 'system', caller: 'system' })).rejects.toThrow(/not UNKNOWN/);
    expect(sample(await metrics(base), 'peerboard_monitor_verdict_changes_total')).toBe(1);
    // no scheduler: no lag series
    expect(text).not.toMatch(/^peerboard_monitor_lag_seconds\{/m);

    expect((await api(base, 'DELETE', `/api/checks/${id}`)).status).toBe(200);
    text = await metrics(base);
    expect(text).not.toMatch(/^peerboard_check_verdict\{/m);
    expect(text).toMatch(/^# TYPE peerboard_check_verdict gauge$/m);
  }, 30_000);

  it("records this location's own results per check, the reports and the start lag; a removed check's series go", async () => {
    const holder: { s?: DrivenScheduler } = {};
    const { node: n, api: base } = await startNode(holder);
    const a = (await api<{ id: number }>(base, 'POST', '/api/checks', check)).body.id;
    const b = (await api<{ id: number }>(base, 'POST', '/api/checks', { ...check, name: 'db', type: 'tcp', target: '127.0.0.1:9' })).body.id;
    const s = await waitFor('the scheduler to have both checks', () => (holder.s && holder.s.checks.length === 2 ? holder.s : undefined));
    s.result(a, true, 3); // 3 ms: in the 5 ms bucket
    s.result(a, true, 120);
    s.result(a, false, 2000);
    s.result(b, true, 40);
    let text = await metrics(base);
    const ca = `check_id="${a}"`;
    expect(sample(text, `peerboard_check_results_total{${ca},status="UP"}`)).toBe(2);
    expect(sample(text, `peerboard_check_results_total{${ca},status="DOWN"}`)).toBe(1);
    expect(sample(text, `peerboard_check_response_seconds_bucket{le="0.005",${ca}}`)).toBe(1);
    expect(sample(text, `peerboard_check_response_seconds_bucket{le="0.25",${ca}}`)).toBe(2);
    expect(sample(text, `peerboard_check_response_seconds_bucket{le="10",${ca}}`)).toBe(3);
    expect(sample(text, `peerboard_check_response_seconds_count{${ca}}`)).toBe(3);
    expect(sample(text, `peerboard_check_response_seconds_sum{${ca}}`)).toBeCloseTo(2.123, 6);
    expect(sample(text, `peerboard_check_results_total{check_id="${b}",status="UP"}`)).toBe(1);
    expect(sample(text, 'peerboard_monitor_lag_seconds{quantile="0.5"}')).toBeCloseTo(0.012, 6);
    expect(sample(text, 'peerboard_monitor_lag_seconds{quantile="0.99"}')).toBeCloseTo(0.34, 6);
    expect(sample(text, 'peerboard_monitor_lag_seconds{quantile="1"}')).toBeCloseTo(0.9, 6);
    // the master takes its own results as a report (once a second, or at once on a status change)
    await waitFor('a report taken', async () => (sample(await metrics(base), 'peerboard_monitor_reports_total{direction="received"}') ?? 0) >= 1);
    expect(sample(text, 'peerboard_monitor_reports_total{direction="sent"}')).toBe(0);
    expect(n.metrics_.monitor?.trackedChecks).toBe(2);

    expect((await api(base, 'DELETE', `/api/checks/${a}`)).status).toBe(200);
    text = await metrics(base);
    expect(text).not.toContain(ca);
    expect(sample(text, `peerboard_check_results_total{check_id="${b}",status="UP"}`)).toBe(1);
    expect(n.metrics_.monitor?.trackedChecks).toBe(1);
  }, 30_000);
});

/** a fake board for MonitorMetrics alone */
function board(ids: number[]) {
  const checks = new Map<number, { name: string }>(ids.map((id) => [id, { name: `c${id}` }]));
  const src: MonitorMetricsSource = { monitoring: () => ({ checks, verdicts: new Map() }), counters: () => null, lag: () => null };
  return { checks, src };
}
const result = (checkId: number, responseTime = 10, ok = true): CheckResult => ({ checkId, at: 0, ok, responseTime, lagMs: 0, status: ok ? 'UP' : 'DOWN' });

describe('MonitorMetrics limits (hostile inputs)', () => {
  it('never holds result series for more than maxChecks check ids; a removed check frees its place', async () => {
    const { checks, src } = board([1, 2, 3, 4]);
    const r = new Registry();
    const m = new MonitorMetrics(r, src, { maxChecks: 2 });
    for (const id of [1, 2, 3, 4]) m.observeResult(result(id));
    expect(m.trackedChecks).toBe(2);
    const series = (t: string, id: number): boolean => t.includes(`peerboard_check_results_total{check_id="${id}"`) || t.includes(`peerboard_check_response_seconds_count{check_id="${id}"`);
    let text = await r.metrics();
    expect(series(text, 1)).toBe(true);
    expect(series(text, 3)).toBe(false);
    expect(sample(text, 'peerboard_monitor_results_unrecorded_total')).toBe(2);
    checks.delete(1);
    m.observeResult(result(3)); // at the cap: the removed check 1 is pruned first
    text = await r.metrics();
    expect(m.trackedChecks).toBe(2);
    expect(series(text, 1)).toBe(false);
    expect(series(text, 3)).toBe(true);
  });

  it('defaults its cap to the board limit and ignores results of checks not on the board', async () => {
    const { src } = board([]);
    const r = new Registry();
    const m = new MonitorMetrics(r, src);
    for (let i = 1; i <= 1000; i++) m.observeResult(result(i));
    expect(m.trackedChecks).toBe(0);
    expect(sample(await r.metrics(), 'peerboard_monitor_results_unrecorded_total')).toBe(1000);
    const many = board(Array.from({ length: MonitorLimits.checks + 5 }, (_, i) => i + 1));
    const m2 = new MonitorMetrics(new Registry(), many.src);
    for (let i = 1; i <= MonitorLimits.checks + 5; i++) m2.observeResult(result(i));
    expect(m2.trackedChecks).toBe(MonitorLimits.checks);
  }, 30_000);

  it('counts a result with a negative or non-finite response time but keeps it out of the histogram', async () => {
    const { src } = board([7]);
    const r = new Registry();
    const m = new MonitorMetrics(r, src);
    m.observeResult(result(7, Number.NaN, false));
    m.observeResult(result(7, -5, false));
    m.observeResult(result(7, Number.POSITIVE_INFINITY, false));
    const text = await r.metrics();
    expect(sample(text, 'peerboard_check_results_total{check_id="7",status="DOWN"}')).toBe(3);
    expect(sample(text, 'peerboard_check_response_seconds_count{check_id="7"}')).toBeUndefined();
  });
});
