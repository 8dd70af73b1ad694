// `npm run bench:loans` (issue 13): farm A (3 nodes) at k times its check capacity borrows workers from
// farm B (5 nodes) in network namespaces (test/cluster/loans-netns-lab.ts: default ports, discovery and
// saturation settings; only the probe slots are fixed so that a capacity can be stated). For each k it
// reports A's check start lag p99 before loans (over the sustained saturation) and with them, and the
// time from saturation to the first connected worker and to relief (lag p99 under loanLagMs).
// Needs root (namespaces). Bounded: each k runs at most BENCH_LOANS_MAX_SEC; stops by itself.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, waitFor } from '../test/cluster/cluster-helpers.js';
import { LoansLab, nodeUrl, TARGET_IP, TARGET_PORT, unavailableReason, type Farm } from '../test/cluster/loans-netns-lab.js';
import type { LoansView } from '../node-core/src/loans/types.js';
import { envInt, RESULTS_DIR, saveResult, table } from './lib/report.js';

const KS = (process.env.BENCH_LOANS_K ?? '1.5,2').split(',').map(Number).filter((k) => k > 0 && k <= 4);
const MAX_SEC = envInt('BENCH_LOANS_MAX_SEC', 300);
const WITH_SEC = envInt('BENCH_LOANS_WITH_SEC', 60);
const SLOTS = 2;
const DELAY_MS = 300;
const INTERVAL_SEC = 5;
/** probes one node can start per round without queueing: slots x interval / target delay */
const NODE_CAPACITY = Math.floor((SLOTS * INTERVAL_SEC * 1000) / DELAY_MS);
const LAG_LIMIT_MS = 1000; // loanLagMs's default

type Sample = { t: number; lagP99Ms: number; saturated: boolean; borrowed: number; connected: number };

async function masterOf(l: LoansLab, f: Farm): Promise<number> {
  return waitFor(`farm ${f}'s master`, async () => {
    for (let i = 1; i <= l.size[f]; i++) {
      const h = await api<{ role: string; quorum: boolean }>(nodeUrl(f, i), 'GET', '/api/health').catch(() => null);
      if (h?.body.role === 'master' && h.body.quorum) return i;
    }
    return 0;
  }, 60_000, 200);
}

async function runK(k: number): Promise<Record<string, unknown>> {
  const l = new LoansLab({ a: 3, b: 5 }, () => ['--monitor-concurrency', String(SLOTS)]);
  l.setup();
  try {
    await l.startTarget(DELAY_MS);
    for (const f of ['a', 'b'] as const) for (let i = 1; i <= l.size[f]; i++) l.startNode(f, i);
    const ma = await masterOf(l, 'a');
    await masterOf(l, 'b');
    const n = Math.round(k * NODE_CAPACITY);
    for (let c = 0; c < n; c++) {
      const r = await api(nodeUrl('a', ma), 'POST', '/api/checks', { name: `b${c}`, type: 'http', target: `http://${TARGET_IP}:${TARGET_PORT}/c${c}`, intervalSec: INTERVAL_SEC, timeoutMs: 4000, retries: 0 });
      if (r.status !== 201) throw new Error(`adding check ${c}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const t0 = Date.now();
    const samples: Sample[] = [];
    let saturatedAt: number | null = null;
    let firstWorkerAt: number | null = null;
    let reliefAt: number | null = null;
    while (Date.now() - t0 < MAX_SEC * 1000) {
      const v = await api<{ loans: LoansView }>(nodeUrl('a', await masterOf(l, 'a')), 'GET', '/api/loans').then((r) => r.body.loans).catch(() => null);
      if (v?.load) {
        const ins = v.active.filter((x) => x.direction === 'in');
        const s: Sample = { t: Date.now() - t0, lagP99Ms: v.load.lagP99Ms, saturated: v.load.saturatedSince !== null, borrowed: ins.length, connected: ins.filter((x) => x.connected).length };
        samples.push(s);
        if (saturatedAt === null && v.load.saturatedSince) saturatedAt = Date.parse(v.load.saturatedSince) - t0;
        if (firstWorkerAt === null && s.connected > 0) firstWorkerAt = s.t;
        if (reliefAt === null && firstWorkerAt !== null && s.lagP99Ms < LAG_LIMIT_MS) reliefAt = s.t;
        if (reliefAt !== null && s.t - reliefAt >= WITH_SEC * 1000) break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const before = samples.filter((s) => firstWorkerAt === null || s.t < firstWorkerAt).map((s) => s.lagP99Ms);
    const withLoans = samples.filter((s) => reliefAt !== null && s.t >= reliefAt).map((s) => s.lagP99Ms);
    const q = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : null);
    return {
      k,
      checks: n,
      nodeCapacity: NODE_CAPACITY,
      lagP99BeforeMs: { median: q(before, 0.5), max: q(before, 1) },
      lagP99WithLoansMs: { median: q(withLoans, 0.5), max: q(withLoans, 1) },
      borrowed: Math.max(0, ...samples.map((s) => s.connected)),
      saturationToFirstWorkerMs: saturatedAt !== null && firstWorkerAt !== null ? firstWorkerAt - saturatedAt : null,
      saturationToReliefMs: saturatedAt !== null && reliefAt !== null ? reliefAt - saturatedAt : null,
      samples,
    };
  } finally {
    l.teardown();
  }
}

async function main(): Promise<void> {
  const why = unavailableReason();
  if (why) throw new Error(`bench:loans ${why}`);
  const runs = [];
  for (const k of KS) runs.push(await runK(k));
  process.stdout.write(`\nfarm A: 3 nodes, ${SLOTS} probe slots each, a ${DELAY_MS} ms target, checks at ${INTERVAL_SEC} s: one node carries ${NODE_CAPACITY} checks; farm B: 5 nodes, no checks\n`);
  const fmt = (x: unknown) => (x === null || x === undefined ? '-' : String(x));
  process.stdout.write(`${table([['k', 'checks', 'lag p99 before (median/max ms)', 'lag p99 with loans (median/max ms)', 'workers', 'saturation -> first worker ms', 'saturation -> relief ms'], ...runs.map((r) => {
    const b = r.lagP99BeforeMs as { median: number | null; max: number | null };
    const w = r.lagP99WithLoansMs as { median: number | null; max: number | null };
    return [fmt(r.k), fmt(r.checks), `${fmt(b.median)} / ${fmt(b.max)}`, `${fmt(w.median)} / ${fmt(w.max)}`, fmt(r.borrowed), fmt(r.saturationToFirstWorkerMs), fmt(r.saturationToReliefMs)];
  })])}\n`);
  const day = new Date().toISOString().slice(0, 10);
  mkdirSync(join(RESULTS_DIR, day), { recursive: true });
  process.stdout.write(`written: ${saveResult(`${day}/loans`, { runs })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:loans failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
