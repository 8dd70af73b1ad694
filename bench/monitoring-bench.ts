// `npm run bench:monitoring` (issue 12): real headless node processes on loopback against a local farm
// of targets (bench/lib/monitor-farm.ts). (a) 1,000 endpoints at 30 s from 3 nodes: CPU per node, RSS,
// check start lag; (c) at the same time, target down -> DOWN committed -> webhook: latency from the
// deciding probe; (b) 10,000 endpoints at 60 s on one node: start lag per minute. Bounded; stops by itself.
// Quick run: BENCH_A_SEC=60 BENCH_FLIPS=10 BENCH_B_MIN=2 npm run bench:monitoring
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { postJson, getJson } from './lib/http-client.js';
import { cpuSeconds, decidingProbeEnd, MonitorFarm, rssMiB } from './lib/monitor-farm.js';
import { PbCluster, portBlock, type PbNode } from './lib/peerboard-cluster.js';
import { envInt, log, RESULTS_DIR, ROOT, saveResult, sleep, summarize, table, waitFor } from './lib/report.js';

const A_CHECKS = envInt('BENCH_A_CHECKS', 1000);
const A_SEC = envInt('BENCH_A_SEC', 120);
const FLIPS = envInt('BENCH_FLIPS', 20);
const FLIP_WORKERS = 5;
const B_CHECKS = envInt('BENCH_B_CHECKS', 10_000);
const B_MIN = envInt('BENCH_B_MIN', 5);
const GOALS = { cpuPct: 10, rssMiB: 150, lagP99Ms: 1000, webhookP99Ms: 1000 };
const KUMA = 'Uptime Kuma: ~500 monitors per instance is its practical ceiling, by its users\' reports (one location)';

type SchedStats = { checks: number; running: number; queued: number; lagP50: number; lagP99: number; lagMax: number; startedTotal: number; skippedTotal?: number };
type Health = { role: string; monitoring?: SchedStats | null };
const health = (c: PbCluster, n: PbNode) => getJson<Health>(c.url(n, '/api/health'), 3000);
const pid = (n: PbNode) => n.child!.pid!;
const ms = (x: number | undefined): number | undefined => (x === undefined ? undefined : Math.round(x * 10) / 10);

/** POSTs the definitions with `concurrency` in flight; a refused one stops the run (bounded: one pass). */
async function addChecks(c: PbCluster, n: PbNode, defs: object[], concurrency: number): Promise<number> {
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < defs.length) {
        const d = defs[next++]!;
        const r = await postJson(c.url(n, '/api/checks'), d, 30_000);
        if (r.status !== 201) throw new Error(`POST /api/checks answered ${r.status}: ${r.body.slice(0, 300)}`);
      }
    }),
  );
  return Date.now() - t0;
}

function farmDefs(farm: MonitorFarm, count: number, intervalSec: number, offset: number): object[] {
  return Array.from({ length: count }, (_, i) => {
    const n = offset + i;
    return i % 10 < 7
      ? { name: `http-${n}`, type: 'http', target: `http://127.0.0.1:${farm.httpPort}/t/${n}`, intervalSec, timeoutMs: 2000, retries: 0, keyword: 'ok' }
      : { name: `tcp-${n}`, type: 'tcp', target: `127.0.0.1:${farm.tcpPorts[n % farm.tcpPorts.length]}`, intervalSec, timeoutMs: 2000, retries: 0 };
  });
}

async function allScheduled(c: PbCluster, nodes: PbNode[], checks: number, timeoutMs: number): Promise<void> {
  const base = await Promise.all(nodes.map(async (n) => (await health(c, n))?.monitoring?.startedTotal ?? 0));
  // every check has started a round on every node since its definition arrived (one interval at most)
  await waitFor(`${checks} checks scheduled and started on every node`, async () => {
    const hs = await Promise.all(nodes.map((n) => health(c, n)));
    return hs.every((h, i) => h?.monitoring && h.monitoring.checks >= checks && h.monitoring.startedTotal - base[i]! >= checks) ? true : null;
  }, timeoutMs, 1000);
}

/** (a) + (c) */
async function partA(farm: MonitorFarm) {
  const c = new PbCluster({ size: 3, basePort: portBlock(8) });
  try {
    c.startAll();
    const master = await c.waitSettled(3, 60_000);
    const hook = await postJson(c.url(master, '/api/notifications'), { type: 'webhook', url: `http://127.0.0.1:${farm.receiverPort}/hook`, secret: 'bench-secret-123' });
    if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${hook.body}`);
    const setupMs = await addChecks(c, master, farmDefs(farm, A_CHECKS, 30, 0), 8);
    log(`(a) ${A_CHECKS} checks added in ${setupMs} ms`);
    const flipBase = 1_000_000;
    const flipDefs = Array.from({ length: FLIP_WORKERS }, (_, k) => ({ name: `flip-${k}`, type: 'http', target: `http://127.0.0.1:${farm.httpPort}/t/${flipBase + k}`, intervalSec: 5, timeoutMs: 2000, retries: 0 }));
    await addChecks(c, master, flipDefs, 1);
    const checks = await getJson<{ checks: Array<{ id: number; name: string; verdict: string }> }>(c.url(master, '/api/checks'), 10_000);
    const flipIds = flipDefs.map((d) => checks!.checks.find((x) => x.name === d.name)!.id);
    await allScheduled(c, c.nodes, A_CHECKS + FLIP_WORKERS, 90_000);
    await waitFor('the flip checks UP', async () => {
      const cs = await getJson<{ checks: Array<{ id: number; verdict: string }> }>(c.url(master, '/api/checks'), 10_000);
      return flipIds.every((id) => cs?.checks.find((x) => x.id === id)?.verdict === 'UP') ? true : null;
    }, 60_000, 500);

    log(`(a) measuring for ${A_SEC} s; (c) ${FLIPS} flips meanwhile`);
    const cpu0 = c.nodes.map((n) => cpuSeconds(pid(n)));
    const t0 = Date.now();
    const rss: number[][] = c.nodes.map(() => []);
    const p99s: number[][] = c.nodes.map(() => []);
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 10_000; i++) {
        for (const [k, n] of c.nodes.entries()) {
          rss[k]!.push(rssMiB(pid(n)));
          const h = await health(c, n);
          if (h?.monitoring) p99s[k]!.push(h.monitoring.lagP99);
        }
        await sleep(5000);
      }
    })();
    // some of the 1,000 targets flap: 1 % go down and come back every 40 s
    let flapping = true;
    const flapper = (async () => {
      for (let round = 0; flapping && round < 1000; round++) {
        for (let i = 0; i < A_CHECKS / 100; i++) {
          const n = (round * 37 + i * 101) % A_CHECKS;
          if (farm.down.has(n)) farm.down.delete(n);
          else farm.down.add(n);
        }
        await sleep(20_000);
      }
    })();
    // (c): each worker flips its own target down (-> wait for the DOWN webhook) and up (-> the recovery)
    const latencies: number[] = [];
    const missed: string[] = [];
    const per = Math.ceil(FLIPS / FLIP_WORKERS);
    await Promise.all(
      flipIds.map(async (id, k) => {
        for (let j = 0; j < per; j++) {
          farm.down.add(flipBase + k);
          const down = await farm.next((a) => a.checkId === id && a.verdict === 'DOWN', 60_000);
          const end = down ? decidingProbeEnd(down) : null;
          if (down && end !== null) latencies.push(down.at - end);
          else missed.push(`check ${id} flip ${j}: ${down ? 'no deciding probe in the body' : 'no DOWN webhook within 60 s'}`);
          farm.down.delete(flipBase + k);
          if (!(await farm.next((a) => a.checkId === id && a.verdict === 'UP', 60_000))) missed.push(`check ${id} flip ${j}: no recovery webhook`);
        }
      }),
    );
    const left = A_SEC * 1000 - (Date.now() - t0);
    if (left > 0) await sleep(left);
    const wallS = (Date.now() - t0) / 1000;
    const cpuPct = c.nodes.map((n, k) => (100 * (cpuSeconds(pid(n)) - cpu0[k]!)) / wallS);
    sampling = false;
    flapping = false;
    await sampler;
    const final = await Promise.all(c.nodes.map((n) => health(c, n)));
    const nodes = c.nodes.map((n, k) => ({
      node: n.id,
      role: final[k]?.role,
      cpuPct: Number(cpuPct[k]!.toFixed(1)),
      rssMiBMax: Number(Math.max(...rss[k]!).toFixed(1)),
      rssMiBMean: Number((rss[k]!.reduce((s, x) => s + x, 0) / rss[k]!.length).toFixed(1)),
      lagP50: ms(final[k]?.monitoring?.lagP50),
      lagP99: ms(final[k]?.monitoring?.lagP99),
      lagMax: ms(final[k]?.monitoring?.lagMax),
      worstSampledLagP99: ms(Math.max(0, ...p99s[k]!)),
      started: final[k]?.monitoring?.startedTotal,
      skipped: final[k]?.monitoring?.skippedTotal,
    }));
    return { checks: A_CHECKS, intervalSec: 30, setupMs, windowSec: Math.round(wallS), nodes, webhook: { flips: latencies.length, ms: summarize(latencies), missed }, webhooksReceived: farm.arrivals.length, farmRequests: farm.requests };
  } finally {
    await c.stopAll();
    c.cleanup();
  }
}

/** (b) */
async function partB(farm: MonitorFarm) {
  const c = new PbCluster({ size: 1, basePort: portBlock(4) });
  try {
    c.start(c.nodes[0]!);
    const n = await c.waitSettled(1, 60_000);
    const setupMs = await addChecks(c, n, farmDefs(farm, B_CHECKS, 60, 0), 16);
    log(`(b) ${B_CHECKS} checks added in ${setupMs} ms`);
    await allScheduled(c, [n], B_CHECKS, 150_000);
    const minutes: Array<{ minute: number; lagP50: number; lagP99: number; lagMax: number; cpuPct: number; rssMiB: number; started: number; skipped: number }> = [];
    let cpu = cpuSeconds(pid(n));
    for (let m = 1; m <= B_MIN; m++) {
      const t = Date.now();
      await sleep(60_000);
      const h = (await health(c, n))?.monitoring;
      const now = cpuSeconds(pid(n));
      minutes.push({ minute: m, lagP50: ms(h?.lagP50) ?? -1, lagP99: ms(h?.lagP99) ?? -1, lagMax: ms(h?.lagMax) ?? -1, cpuPct: Number(((100 * (now - cpu)) / ((Date.now() - t) / 1000)).toFixed(1)), rssMiB: Number(rssMiB(pid(n)).toFixed(1)), started: h?.startedTotal ?? -1, skipped: h?.skippedTotal ?? -1 });
      cpu = now;
      log(`(b) minute ${m}: ${JSON.stringify(minutes.at(-1))}`);
    }
    const first = minutes[0]!;
    const last = minutes.at(-1)!;
    return { checks: B_CHECKS, intervalSec: 60, setupMs, minutes, growth: { lagP99FirstToLastMs: last.lagP99 - first.lagP99, rssFirstToLastMiB: Number((last.rssMiB - first.rssMiB).toFixed(1)) } };
  } finally {
    await c.stopAll();
    c.cleanup();
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/node-core/cli/main.js'))) throw new Error('run npm run build:node first (npm run bench:monitoring does)');
  const farm = new MonitorFarm();
  await farm.start(10);
  try {
    const a = await partA(farm);
    farm.down.clear();
    const b = await partB(farm);
    const maxCpu = Math.max(...a.nodes.map((x) => x.cpuPct));
    const maxRss = Math.max(...a.nodes.map((x) => x.rssMiBMax));
    const maxP99 = Math.max(...a.nodes.map((x) => x.lagP99 ?? Infinity));
    const verdicts = {
      cpu: maxCpu <= GOALS.cpuPct,
      rss: maxRss <= GOALS.rssMiB,
      lagP99: maxP99 <= GOALS.lagP99Ms,
      webhookP99: a.webhook.flips >= FLIPS && a.webhook.ms.p99 <= GOALS.webhookP99Ms,
      noLagGrowth: b.growth.lagP99FirstToLastMs <= 100,
    };
    process.stdout.write(`\n(a) ${a.checks} endpoints at ${a.intervalSec} s from 3 node processes, ${a.windowSec} s window (setup ${a.setupMs} ms):\n`);
    process.stdout.write(`${table([['node', 'role', 'CPU % of a core', 'RSS max MiB', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'skipped'], ...a.nodes.map((x) => [x.node, x.role ?? '?', x.cpuPct, x.rssMiBMax, x.lagP50 ?? '?', x.lagP99 ?? '?', x.lagMax ?? '?', x.skipped ?? '?'])])}\n`);
    process.stdout.write(`(c) target down -> DOWN committed -> webhook, from the deciding probe: ${JSON.stringify(a.webhook.ms)} over ${a.webhook.flips} flips${a.webhook.missed.length ? `; missed: ${a.webhook.missed.join('; ')}` : ''}\n`);
    process.stdout.write(`(b) ${b.checks} endpoints at 60 s on one node, per minute:\n`);
    process.stdout.write(`${table([['minute', 'lag p50', 'lag p99', 'lag max', 'CPU %', 'RSS MiB', 'skipped'], ...b.minutes.map((m) => [m.minute, m.lagP50, m.lagP99, m.lagMax, m.cpuPct, m.rssMiB, m.skipped])])}\n`);
    process.stdout.write(`goals: CPU <= ${GOALS.cpuPct} % ${verdicts.cpu ? 'PASS' : 'FAIL'} (max ${maxCpu}); RSS <= ${GOALS.rssMiB} MiB ${verdicts.rss ? 'PASS' : 'FAIL'} (max ${maxRss}); lag p99 <= 1 s ${verdicts.lagP99 ? 'PASS' : 'FAIL'} (max ${maxP99}); webhook p99 <= 1 s ${verdicts.webhookP99 ? 'PASS' : 'FAIL'}; no lag growth at 10k ${verdicts.noLagGrowth ? 'PASS' : 'FAIL'} (p99 first->last minute ${b.growth.lagP99FirstToLastMs} ms)\n`);
    process.stdout.write(`beside: ${KUMA}; here ${a.checks} endpoints x 3 locations and ${b.checks} on one node\n`);
    const day = new Date().toISOString().slice(0, 10);
    mkdirSync(join(RESULTS_DIR, day), { recursive: true });
    const file = saveResult(`${day}/monitoring`, { a, b, goals: GOALS, verdicts, beside: KUMA });
    process.stdout.write(`written: ${file}\n`);
  } finally {
    await farm.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:monitoring failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
