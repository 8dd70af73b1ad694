// Scheduler benchmark (issue 12): 10,000 TCP checks at 60 s on one node against local listeners,
// results stored in a real ResultsStore; prints start lag p50/p99/max, CPU % and RSS per period.
// Run: npx tsx bench/monitoring-scheduler-bench.ts [--checks 10000] [--interval 60] [--periods 3]
//      [--time-scale 1] [--concurrency 64] [--out file.json]. It stops by itself after `periods`
// intervals (3 min by default; --time-scale 0.1 runs 10x the rate in 18 s). Loopback only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ResultsStore } from '../node-core/src/monitoring/results-store.js';
import { CheckScheduler } from '../node-core/src/monitoring/scheduler.js';
import type { CheckDef, CheckResult, ProbeResult, ProbeRunner } from '../node-core/src/monitoring/types.js';

const { values: args } = parseArgs({
  options: {
    checks: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '60' },
    periods: { type: 'string', default: '3' },
    'time-scale': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '64' },
    out: { type: 'string' },
  },
});
const CHECKS = Math.min(50_000, Math.max(1, Number(args.checks)));
const INTERVAL_SEC = Math.max(5, Number(args.interval));
const PERIODS = Math.min(60, Math.max(1, Number(args.periods)));
const SCALE = Math.min(1, Math.max(0.001, Number(args['time-scale'])));
const CONCURRENCY = Number(args.concurrency);
const PERIOD_MS = INTERVAL_SEC * 1000 * SCALE;
const LISTENERS = 16;

/** A TCP connect probe (what the real tcp probe does), closing with RST so that no TIME_WAIT piles up. */
const tcpProbe: ProbeRunner = (check, signal) =>
  new Promise<ProbeResult>((resolve) => {
    const t0 = performance.now();
    const [host, port] = check.target.split(':');
    const sock = connect({ host: host!, port: Number(port) });
    const done = (ok: boolean, error?: string): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.resetAndDestroy();
      resolve(error ? { ok, responseTime: performance.now() - t0, attempts: 1, error } : { ok, responseTime: performance.now() - t0, attempts: 1 });
    };
    const onAbort = (): void => done(false, 'aborted');
    const timer = setTimeout(() => done(false, `timeout after ${check.timeoutMs} ms`), check.timeoutMs);
    signal.addEventListener('abort', onAbort);
    sock.once('connect', () => done(true));
    sock.once('error', (err) => done(false, err.message));
  });

async function listen(): Promise<Server> {
  const server = createServer((s) => {
    s.on('error', () => {});
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function main(): Promise<void> {
  const servers = await Promise.all(Array.from({ length: LISTENERS }, listen));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  const dir = mkdtempSync(join(tmpdir(), 'peerboard-mon-bench-'));
  const store = ResultsStore.open(dir);
  let pending: CheckResult[] = [];
  let stored = 0;
  let failed = 0;
  const flush = setInterval(() => {
    if (pending.length === 0) return;
    if (store.add(pending)) stored += pending.length;
    pending = [];
  }, 1000);
  const scheduler = new CheckScheduler({
    runProbe: tcpProbe,
    onResult: (r) => {
      if (!r.ok) failed++;
      pending.push(r);
    },
    concurrency: CONCURRENCY,
    timeScale: SCALE,
    lagWindowMs: PERIOD_MS,
  });
  const now = Date.now();
  const checks: CheckDef[] = Array.from({ length: CHECKS }, (_, i) => ({
    id: i + 1, name: `bench ${i + 1}`, type: 'tcp', target: `127.0.0.1:${ports[i % LISTENERS]}`, intervalSec: INTERVAL_SEC,
    timeoutMs: 2000, retries: 0, server: null, enabled: true, createdAt: now, updatedAt: now, createdBy: 'bench',
  }));
  const t0 = performance.now();
  scheduler.setChecks(checks);
  const setChecksMs = performance.now() - t0;
  const periods: unknown[] = [];
  let cpu = process.cpuUsage();
  let wall = performance.now();
  let started = 0;
  for (let p = 1; p <= PERIODS; p++) {
    await new Promise((r) => setTimeout(r, PERIOD_MS));
    const st = scheduler.stats();
    const c = process.cpuUsage(cpu);
    const w = performance.now() - wall;
    const row = {
      period: p,
      started: st.startedTotal - started,
      lagP50Ms: +st.lagP50.toFixed(2),
      lagP99Ms: +st.lagP99.toFixed(2),
      lagMaxMs: +st.lagMax.toFixed(2),
      skippedTotal: st.skippedTotal,
      running: st.running,
      queued: st.queued,
      cpuPercent: +((100 * (c.user + c.system)) / 1000 / w).toFixed(1),
      rssMB: +(process.memoryUsage().rss / 2 ** 20).toFixed(1),
    };
    started = st.startedTotal;
    cpu = process.cpuUsage();
    wall = performance.now();
    periods.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
  }
  scheduler.stop();
  clearInterval(flush);
  if (pending.length && store.add(pending)) stored += pending.length;
  const storeStats = store.stats();
  store.close();
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
  const report = {
    bench: 'monitoring-scheduler', node: process.version, checks: CHECKS, intervalSec: INTERVAL_SEC, timeScale: SCALE,
    periodMs: PERIOD_MS, concurrency: CONCURRENCY, setChecksMs: +setChecksMs.toFixed(1), periods, failedProbes: failed,
    storedResults: stored, storeWriteErrors: storeStats.writeErrors,
  };
  const json = JSON.stringify(report, null, 2);
  if (args.out) writeFileSync(args.out, `${json}\n`);
  process.stdout.write(`${json}\n`);
}

// hard stop: whatever happens, the bench ends
setTimeout(() => {
  process.stderr.write('monitoring-scheduler-bench: hard deadline reached\n');
  process.exit(2);
}, PERIODS * PERIOD_MS + 30_000).unref();

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
