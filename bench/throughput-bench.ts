// Write throughput and latency: acknowledged reservations/s of distinct servers with 1 and 64
// keep-alive clients (to the master, or spread over all nodes), against etcd puts with the same counts.
// Run: npm run bench:throughput   (env: THROUGHPUT_SECONDS (10), PB_POOL (150000 servers: every acknowledged write takes a distinct one), 0 skips a part;
// PB_NODE_ARGS="--snapshot-every 1000000" passes flags to every node, BENCH_TAG=x writes throughput-x.json)
import { readFileSync } from 'node:fs';
import { noop } from 'cockatiel'; // etcd3's own fault-handling library (installed with it)
import { Etcd3 } from 'etcd3';
import { EtcdCluster, etcdMissing, etcdVersion } from './lib/etcd-cluster.js';
import { postJson } from './lib/http-client.js';
import { PbCluster, portBlock } from './lib/peerboard-cluster.js';
import { envInt, log, nowMs, saveResult, summarize, table } from './lib/report.js';

const IMPORT_CHUNK = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;

export interface LoadResult {
  system: string;
  target: string;
  clients: number;
  seconds: number;
  acked: number;
  errors: number;
  errorSamples: string[];
  perSec: number;
  latencyMs: ReturnType<typeof summarize>;
  /** writes that took 200 ms or more (the 5 slowest), to tell a warm-up from a periodic stall */
  slowest: Array<{ atS: number; ms: number }>;
  /** CPU seconds used during the run by the load generator and by the server processes */
  cpuSec: { client: number; servers: number };
  stoppedBy: 'time' | 'pool';
}

/** utime+stime of a process in seconds, from /proc (0 when unreadable) */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Runs `clients` closed-loop clients for `seconds`: each takes the next work item, awaits one
 * write and records its latency. Stops at the deadline or when `items` run out.
 */
export async function closedLoop(opts: {
  system: string;
  target: string;
  clients: number;
  seconds: number;
  items: number;
  serverPids: Array<number | undefined>;
  write: (item: number, client: number) => Promise<{ ok: boolean; detail: string }>;
}): Promise<LoadResult> {
  let next = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const lat: number[] = [];
  /** the slowest acknowledged writes: when they started (s after t0) and how long they took */
  const slow: Array<{ atS: number; ms: number }> = [];
  const cpu0 = process.cpuUsage();
  const srv0 = opts.serverPids.reduce<number>((a, p) => a + cpuOf(p), 0);
  const t0 = nowMs();
  const deadline = t0 + opts.seconds * 1000;
  let stoppedBy: LoadResult['stoppedBy'] = 'time';
  await Promise.all(
    Array.from({ length: opts.clients }, async (_, c) => {
      while (nowMs() < deadline) {
        if (next >= opts.items) {
          stoppedBy = 'pool';
          return;
        }
        const item = next++;
        const s = nowMs();
        const r = await opts.write(item, c);
        if (r.ok) {
          const ms = nowMs() - s;
          lat.push(ms);
          if (ms >= 200) slow.push({ atS: Number(((s - t0) / 1000).toFixed(3)), ms: Number(ms.toFixed(1)) });
        }
        else {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(r.detail.slice(0, 200));
        }
      }
    }),
  );
  const seconds = (nowMs() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const srv = opts.serverPids.reduce<number>((a, p) => a + cpuOf(p), 0) - srv0;
  const res: LoadResult = {
    system: opts.system,
    target: opts.target,
    clients: opts.clients,
    seconds: Number(seconds.toFixed(2)),
    acked: lat.length,
    errors,
    errorSamples,
    perSec: Math.round(lat.length / seconds),
    latencyMs: summarize(lat, 2),
    slowest: slow.sort((a, b) => b.ms - a.ms).slice(0, 5),
    cpuSec: { client: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)), servers: Number(srv.toFixed(2)) },
    stoppedBy,
  };
  log(`${res.system} ${res.target} x${res.clients}: ${res.perSec}/s, p50 ${res.latencyMs.p50} ms, p99 ${res.latencyMs.p99} ms, ${errors} errors${res.slowest.length ? `, slowest ${res.slowest.map((x) => `${x.ms} ms at ${x.atS} s`).join(', ')}` : ''}`);
  return res;
}

async function peerboardRuns(seconds: number, pool: number): Promise<LoadResult[]> {
  const extraArgs = (process.env.PB_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const cluster = new PbCluster({ size: 3, basePort: portBlock(8), extraArgs });
  const out: LoadResult[] = [];
  try {
    cluster.startAll();
    const master = await cluster.waitSettled(3, 60_000);
    for (let from = 0; from < pool; from += IMPORT_CHUNK) {
      const serversList = Array.from({ length: Math.min(IMPORT_CHUNK, pool - from) }, (_, i) => ({ host: `tp-${from + i}`, app: 'bench', env: 'perf' }));
      const r = await postJson(cluster.url(master, '/api/servers/import'), { serversList }, 30_000);
      if (r.status !== 200) throw new Error(`import failed: ${r.status} ${r.body.slice(0, 300)}`);
    }
    await cluster.waitSettled(3, 60_000);
    log(`peerboard: ${pool} servers imported; master ${master.id}`);
    let used = 0;
    const pids = cluster.nodes.map((n) => n.child?.pid);
    const run = async (target: 'master' | 'all nodes', clients: number, secs: number) => {
      const base = used;
      const r = await closedLoop({
        system: 'peerboard',
        target,
        clients,
        seconds: secs,
        items: pool - base,
        serverPids: pids,
        write: async (item, c) => {
          const n = target === 'master' ? master : cluster.nodes[c % cluster.nodes.length]!;
          const res = await postJson(cluster.url(n, `/api/servers/tp-${base + item}/reserve`), { user: `u${c}`, durationSec: 3600, comment: 'bench' }, REQUEST_TIMEOUT_MS);
          return { ok: res.status === 200, detail: `${res.status} ${res.body}` };
        },
      });
      used = base + r.acked + r.errors;
      return r;
    };
    await run('master', 8, 1); // warm-up (not reported): JIT, connections
    out.push(await run('master', 1, seconds));
    out.push(await run('master', 64, seconds));
    out.push(await run('all nodes', 64, seconds));
  } finally {
    await cluster.stopAll();
    cluster.cleanup();
  }
  return out;
}

async function etcdRuns(seconds: number): Promise<LoadResult[]> {
  const cluster = new EtcdCluster(portBlock(6));
  const out: LoadResult[] = [];
  const clients: Etcd3[] = [];
  const client = (hosts: string[]) => {
    const c = new Etcd3({ hosts, faultHandling: { host: () => noop, global: noop } });
    clients.push(c);
    return c;
  };
  try {
    cluster.startAll();
    const leader = await cluster.waitLeader(60_000);
    const pids = cluster.members.map((m) => m.child?.pid);
    const value = JSON.stringify({ user: 'u0', until: 1_900_000_000, comment: 'bench', app: 'bench', env: 'perf' });
    const toLeader = client([`127.0.0.1:${leader.clientPort}`]);
    const perMember = cluster.members.map((m) => client([`127.0.0.1:${m.clientPort}`]));
    let key = 0;
    const grpc = async (target: 'leader' | 'all members', n: number, secs: number) => {
      return closedLoop({
        system: 'etcd (gRPC, etcd3 client)',
        target,
        clients: n,
        seconds: secs,
        items: 10_000_000,
        serverPids: pids,
        write: async (_item, c) => {
          const cl = target === 'leader' ? toLeader : perMember[c % perMember.length]!;
          try {
            await cl.put(`tp/${key++}`).value(value);
            return { ok: true, detail: '' };
          } catch (e) {
            return { ok: false, detail: String(e) };
          }
        },
      });
    };
    await grpc('leader', 8, 1); // warm-up
    out.push(await grpc('leader', 1, seconds));
    out.push(await grpc('leader', 64, seconds));
    out.push(await grpc('all members', 64, seconds));
    out.push(
      await closedLoop({
        system: 'etcd (HTTP/1.1 JSON gateway)',
        target: 'leader',
        clients: 64,
        seconds,
        items: 10_000_000,
        serverPids: pids,
        write: async () => {
          const ok = await cluster.put(leader, `gw/${key++}`, value, REQUEST_TIMEOUT_MS);
          return { ok, detail: ok ? '' : 'put failed' };
        },
      }),
    );
  } finally {
    for (const c of clients) c.close();
    await cluster.stopAll();
    cluster.cleanup();
  }
  return out;
}

export async function runThroughput() {
  const seconds = envInt('THROUGHPUT_SECONDS', 10);
  const pool = envInt('PB_POOL', 150_000);
  const skip = etcdMissing();
  if (skip) log(skip);
  const results: LoadResult[] = [];
  if (seconds > 0 && pool > 0) results.push(...(await peerboardRuns(seconds, pool)));
  if (seconds > 0 && !skip) results.push(...(await etcdRuns(seconds)));
  const rows: Array<Array<string | number>> = [['system', 'target', 'clients', 'acked/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'cpu s client/servers', 'stopped by']];
  for (const r of results) rows.push([r.system, r.target, r.clients, r.perSec, r.latencyMs.p50, r.latencyMs.p99, r.latencyMs.max, r.errors, `${r.cpuSec.client}/${r.cpuSec.servers}`, r.stoppedBy]);
  process.stdout.write(`\nWrite throughput (${seconds} s per row, closed loop, keep-alive)\n${table(rows)}\n`);
  const pb64 = results.filter((r) => r.system === 'peerboard' && r.clients === 64);
  const best = pb64.sort((a, b) => b.perSec - a.perSec)[0];
  const goal = { perSecAt64: 2000, p99MaxMs: 40 };
  const pass = best ? { perSec: best.perSec >= goal.perSecAt64, p99: best.latencyMs.p99 <= goal.p99MaxMs, row: `${best.target} x64` } : null;
  const tag = process.env.BENCH_TAG;
  const file = saveResult(tag ? `throughput-${tag}` : 'throughput', {
    nodeArgs: process.env.PB_NODE_ARGS ?? '',
    method: 'closed loop: each client awaits one write before the next; Peerboard: POST /api/servers/tp-<n>/reserve of a distinct pre-imported server (200 = committed by a majority); etcd: put of a ~100-byte value. Latency is measured at the client; errors are not counted as acknowledged.',
    etcdVersion: skip ? null : etcdVersion(),
    etcdSkipped: skip,
    seconds,
    pool,
    goal,
    pass,
    results,
  });
  log(`wrote ${file}`);
  return { results, pass };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runThroughput().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
