// Memory: VmRSS of idle headless nodes (1 alone, then clusters of 10 and 50 processes on loopback),
// what the resident memory is made of (heap, code, libraries), and what V8 flags would save.
// Run: npm run bench:memory   (env: MEMORY_IDLE_SECONDS (30), MEMORY_CLUSTER_SIZES ("10,50"), MEMORY_VARIANTS=0 skips flag runs)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PbCluster, portBlock } from './lib/peerboard-cluster.js';
import { ROOT, envInt, log, saveResult, sleep, table, waitFor } from './lib/report.js';

const PROBE = fileURLToPath(new URL('./lib/mem-probe.mjs', import.meta.url));
const GOAL_MIB = 60;

interface ProcMem {
  rssMiB: number;
  anonMiB: number;
  fileMiB: number;
  hwmMiB: number;
  /** proportional set size: shared pages (the node binary) divided among the processes mapping them */
  pssMiB: number;
}

/** VmRSS, RssAnon, RssFile and VmHWM of a process, in MiB (null when it is gone) */
export function procMem(pid: number | undefined): ProcMem | null {
  if (pid === undefined) return null;
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? Number.NaN);
    const m = (k: string) => Number((kb(k) / 1024).toFixed(1));
    let pssMiB = Number.NaN;
    try {
      const r = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pssMiB = Number((Number(/^Pss:\s+(\d+) kB/m.exec(r)?.[1] ?? Number.NaN) / 1024).toFixed(1));
    } catch {
      /* older kernels have no smaps_rollup */
    }
    return { rssMiB: m('VmRSS'), anonMiB: m('RssAnon'), fileMiB: m('RssFile'), hwmMiB: m('VmHWM'), pssMiB };
  } catch {
    return null;
  }
}

const mean = (xs: number[]) => Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1));

/** Single-node clusters, one per flag set, started together and read after `idleS` seconds. */
async function idleVariants(idleS: number, variants: Array<{ name: string; flags: string[] }>) {
  const dir = mkdtempSync(join(tmpdir(), 'peerboard-mem-'));
  const clusters = variants.map(
    (v, i) =>
      new PbCluster({
        size: 1,
        basePort: portBlock(3),
        nodeFlags: ['--expose-gc', '--import', PROBE, ...v.flags],
        env: { PB_MEM_PROBE_FILE: join(dir, `probe-${i}.json`), PB_MEM_PROBE_AFTER_MS: String(idleS * 1000 + 1000) },
      }),
  );
  try {
    for (const c of clusters) c.startAll();
    // a variant that does not come up (e.g. --jitless starts slowly on a loaded machine) is reported, not fatal
    const up = await Promise.all(clusters.map((c) => c.waitSettled(1, 120_000).then(() => null, (e: unknown) => String(e))));
    log(`memory: ${clusters.length} single-node clusters are up; idle ${idleS} s`);
    await sleep(idleS * 1000);
    const rss = clusters.map((c) => procMem(c.nodes[0]!.child?.pid));
    // the probe fires 1 s after our reading, then forces a GC and writes its file
    const probes = await Promise.all(
      clusters.map((_, i) =>
        waitFor(`probe ${i}`, () => {
          try {
            return JSON.parse(readFileSync(join(dir, `probe-${i}.json`), 'utf8')) as Record<string, unknown>;
          } catch {
            return null;
          }
        }, 15_000, 200).catch(() => null),
      ),
    );
    const rssAfterGc = clusters.map((c) => procMem(c.nodes[0]!.child?.pid));
    return variants.map((v, i) => ({ ...v, error: up[i], idle: rss[i], afterGc: rssAfterGc[i], heap: probes[i] }));
  } finally {
    await Promise.all(clusters.map((c) => c.stopAll()));
    for (const c of clusters) c.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `size` nodes of one cluster on loopback; per-node memory after it settled and idled. */
async function clusterRss(size: number, idleS: number) {
  const c = new PbCluster({ size, basePort: portBlock(2 * size + 2) });
  try {
    // start in small groups so 50 start-ups do not starve the shared 2 cores all at once
    for (let i = 0; i < c.nodes.length; i++) {
      c.start(c.nodes[i]!);
      if (i % 5 === 4) await sleep(300);
    }
    // settled: one master with quorum and min(5, size) voters that every node follows and has caught up
    // with; on a loaded machine this may not happen in time, and then the memory is read anyway
    let settled = true;
    let master = c.nodes[0]!;
    try {
      master = await c.waitSettled(Math.min(5, size), 240_000, size > 10 ? 1000 : 100);
    } catch {
      settled = false;
    }
    const hs = await Promise.all(c.nodes.map((n) => c.health(n, 3000)));
    const leaders = new Map<string, number>();
    for (const h of hs) if (h?.leader) leaders.set(h.leader.nodeId, (leaders.get(h.leader.nodeId) ?? 0) + 1);
    const top = [...leaders].sort((a, b) => b[1] - a[1])[0];
    if (!settled && top) master = c.node(top[0]);
    const following = top?.[1] ?? 0;
    const masters = hs.filter((h) => h?.role === 'master').map((h) => h!.nodeId);
    log(`memory: ${size} nodes, ${following} follow ${top?.[0] ?? 'nobody'}, masters: ${masters.join(' ')}${settled ? '' : ' (not settled in time)'}; idle ${idleS} s`);
    await sleep(idleS * 1000);
    const mem = c.nodes.map((n) => procMem(n.child?.pid)).filter((m): m is ProcMem => m !== null);
    const rss = mem.map((m) => m.rssMiB);
    return {
      size,
      settled,
      following,
      /** more than one means the nodes formed separate clusters (see docs/benchmarks.md) */
      masters,
      followersByLeader: Object.fromEntries(leaders),
      measured: mem.length,
      rssMeanMiB: mean(rss),
      rssMaxMiB: Math.max(...rss),
      anonMeanMiB: mean(mem.map((m) => m.anonMiB)),
      fileMeanMiB: mean(mem.map((m) => m.fileMiB)),
      pssMeanMiB: mean(mem.map((m) => m.pssMiB)),
      masterRssMiB: procMem(master.child?.pid)?.rssMiB ?? null,
      perNode: mem,
    };
  } finally {
    await c.stopAll();
    c.cleanup();
  }
}

/** RSS after a full GC of a bare node process that imports `what` (module cost, one process each). */
function moduleCost(): Array<{ what: string; rssMiB: number; heapUsedMiB: number }> {
  const cases: Array<[string, string]> = [
    ['node (nothing imported)', ''],
    ['pino', "await import('pino')"],
    ['zod', "await import('zod')"],
    ['commander', "await import('commander')"],
    ['better-sqlite3 + open a WAL db', "const D=(await import('better-sqlite3')).default; const d=new D(process.env.T+'/x.db'); d.pragma('journal_mode=WAL')"],
    ['fastify + listen', "const f=(await import('fastify')).default(); await f.listen({port:0,host:'127.0.0.1'})"],
    ['prom-client', "await import('prom-client')"],
    ['node-core (dist, all of it)', `await import(${JSON.stringify(join(ROOT, 'dist/node-core/cli/main.js'))})`],
  ];
  const t = mkdtempSync(join(tmpdir(), 'peerboard-modcost-'));
  try {
    return cases.map(([what, code]) => {
      const src = `${code}; await new Promise(r=>setTimeout(r,300)); gc(); await new Promise(r=>setTimeout(r,100)); const m=process.memoryUsage(); process.stdout.write(JSON.stringify({rss:m.rss,heap:m.heapUsed})); process.exit(0)`;
      const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', src], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, T: t } });
      try {
        const j = JSON.parse(r.stdout) as { rss: number; heap: number };
        return { what, rssMiB: Number((j.rss / 2 ** 20).toFixed(1)), heapUsedMiB: Number((j.heap / 2 ** 20).toFixed(1)) };
      } catch {
        return { what, rssMiB: Number.NaN, heapUsedMiB: Number.NaN };
      }
    });
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

export async function runMemory() {
  const idleS = envInt('MEMORY_IDLE_SECONDS', 30);
  const sizes = (process.env.MEMORY_CLUSTER_SIZES ?? '10,50').split(',').filter(Boolean).map(Number);
  const withVariants = envInt('MEMORY_VARIANTS', 1) > 0;
  const variants = [{ name: 'defaults', flags: [] as string[] }];
  if (withVariants) {
    variants.push(
      { name: '--max-semi-space-size=1', flags: ['--max-semi-space-size=1'] },
      { name: '--max-semi-space-size=1 --max-old-space-size=48', flags: ['--max-semi-space-size=1', '--max-old-space-size=48'] },
      { name: '--lite-mode', flags: ['--lite-mode'] },
      { name: '--jitless', flags: ['--jitless'] },
    );
  }
  const idle = await idleVariants(idleS, variants);
  const clusters = [];
  for (const s of sizes) clusters.push(await clusterRss(s, idleS));
  const modules = moduleCost();

  const rows: Array<Array<string | number>> = [['configuration', 'nodes', 'RSS mean MiB', 'RSS max MiB', 'anon mean', 'file mean', 'PSS mean', 'heap used MiB (after GC)']];
  for (const v of idle) {
    const h = v.heap as { afterGc?: { heapUsedMiB?: number } | null } | null;
    rows.push([`1 idle node, ${v.name}`, 1, v.idle?.rssMiB ?? 'gone', v.idle?.rssMiB ?? '-', v.idle?.anonMiB ?? '-', v.idle?.fileMiB ?? '-', v.idle?.pssMiB ?? '-', h?.afterGc?.heapUsedMiB ?? '-']);
  }
  for (const c of clusters) rows.push([`cluster of ${c.size}, defaults${c.settled ? "" : ` (${c.following} following; not settled)`}`, c.measured, c.rssMeanMiB, c.rssMaxMiB, c.anonMeanMiB, c.fileMeanMiB, c.pssMeanMiB, '-']);
  process.stdout.write(`\nMemory after ${idleS} s idle (VmRSS from /proc; goal <= ${GOAL_MIB} MiB per idle node)\n${table(rows)}\n`);
  const base = modules[0]?.rssMiB ?? 0;
  const mrows: Array<Array<string | number>> = [['bare node + import', 'RSS MiB', '+ over bare node', 'heap used MiB']];
  for (const m of modules) mrows.push([m.what, m.rssMiB, Number((m.rssMiB - base).toFixed(1)), m.heapUsedMiB]);
  process.stdout.write(`\nWhat the memory is made of (one process each, after a full GC)\n${table(mrows)}\n`);
  const def = idle[0]!;
  const goal = { idleRssMaxMiB: GOAL_MIB };
  const pass = { idleRss: def.idle != null && def.idle.rssMiB <= GOAL_MIB };
  const file = saveResult('memory', {
    method: `VmRSS/RssAnon/RssFile from /proc/PID/status after ${idleS} s idle; single nodes carry a preloaded probe (bench/lib/mem-probe.mjs) that records V8 heap figures then forces a GC; clusters run on loopback with default timings and are read once every node follows the master.`,
    idleSeconds: idleS,
    goal,
    pass,
    idle,
    clusters,
    modules,
  });
  log(`wrote ${file}`);
  return { idle, clusters, pass };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMemory().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
