// The stability soak: three headless nodes with default settings in network namespaces (pbk-*,
// 10.234.0.0/24, no default route), every packet between nodes dropped with SOAK_LOSS % probability by
// nftables, for SOAK_MINUTES. Nothing else goes wrong, so every master change is a false one: the
// figure is their count, beside the elections started, the writes acknowledged and their latency.
//
//   npm run bench:soak                      60 min at 5 % loss (the issue's figure)
//   SOAK_MINUTES=2 npm run bench:soak       a quick look
//   SOAK_ROOT=/path/to/other/checkout ...   the same soak against another build (its dist/ and bin/)
//
// Needs root, `ip netns` and `nft`. Sends traffic only inside the namespaces it creates. Results:
// bench/results/<date>/soak-<loss>pct-<minutes>min[-label].json and a table on stdout.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_CLUSTER_KEY } from '../test/test-key.js';
import { summarize } from './lib/report.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const NODE_ROOT = resolve(process.env.SOAK_ROOT ?? ROOT);
const LABEL = process.env.SOAK_LABEL ?? '';
const MINUTES = Number(process.env.SOAK_MINUTES ?? 60);
const LOSS = Number(process.env.SOAK_LOSS ?? 5);
const PREFIX = process.env.SOAK_PREFIX ?? 'pbk';
const NET = process.env.SOAK_NET ?? '10.234.0';
const N = 3;
const BR = `${PREFIX}-br`;
const HOST_IF = `${PREFIX}-h`;
const HOST_IP = `${NET}.2`;
const ns = (i: number) => `${PREFIX}-n${i}`;
const ip = (i: number) => `${NET}.${10 + i}`;
/** niceness of the node processes (e.g. -10 on a machine shared with other jobs) */
const NICE = Number(process.env.SOAK_NICE ?? 0);
const WRITE_EVERY_MS = 1000;
const POLL_EVERY_MS = 250;

if (!(MINUTES > 0 && MINUTES <= 180)) throw new Error('SOAK_MINUTES must be in (0, 180]');
if (!(Number.isInteger(NICE) && NICE >= -20 && NICE <= 19)) throw new Error('SOAK_NICE must be an integer from -20 to 19');
if (!(LOSS >= 0 && LOSS <= 50)) throw new Error('SOAK_LOSS must be in [0, 50]');
if (!/^[a-z]{2,5}$/.test(PREFIX) || !/^10\.\d{1,3}\.\d{1,3}$/.test(NET)) throw new Error('SOAK_PREFIX must be 2-5 letters, SOAK_NET like 10.234.0');

const log = (msg: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sh = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
const quiet = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore', timeout: 10_000 });

function teardown(): void {
  for (let i = 1; i <= N; i++) {
    const pids = spawnSync('ip', ['netns', 'pids', ns(i)], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
    for (const pid of pids.split('\n').map(Number).filter((n) => n > 1)) spawnSync('kill', ['-9', String(pid)]);
    quiet('netns', 'del', ns(i));
  }
  quiet('netns', 'del', BR);
  quiet('link', 'del', HOST_IF);
}

function setup(): void {
  teardown();
  sh('netns', 'add', BR);
  sh('-n', BR, 'link', 'add', 'br0', 'type', 'bridge');
  sh('-n', BR, 'link', 'set', 'br0', 'up');
  sh('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', `${PREFIX}-hb`);
  sh('link', 'set', `${PREFIX}-hb`, 'netns', BR);
  sh('-n', BR, 'link', 'set', `${PREFIX}-hb`, 'master', 'br0', 'up');
  sh('addr', 'add', `${HOST_IP}/24`, 'dev', HOST_IF);
  sh('link', 'set', HOST_IF, 'up');
  for (let i = 1; i <= N; i++) {
    sh('netns', 'add', ns(i));
    sh('-n', ns(i), 'link', 'set', 'lo', 'up');
    sh('link', 'add', `${ns(i)}b`, 'type', 'veth', 'peer', 'name', `${ns(i)}e`);
    sh('link', 'set', `${ns(i)}b`, 'netns', BR);
    sh('-n', BR, 'link', 'set', `${ns(i)}b`, 'master', 'br0', 'up');
    sh('link', 'set', `${ns(i)}e`, 'netns', ns(i));
    sh('-n', ns(i), 'link', 'set', `${ns(i)}e`, 'name', 'eth0');
    sh('-n', ns(i), 'addr', 'add', `${ip(i)}/24`, 'broadcast', `${NET}.255`, 'dev', 'eth0');
    sh('-n', ns(i), 'link', 'set', 'eth0', 'up');
    // every packet a node sends to another node is dropped with LOSS % probability (the harness is spared)
    const rules = [
      `table inet ${PREFIX}loss {`,
      `  chain output { type filter hook output priority 0; policy accept; ip daddr != ${HOST_IP} ip daddr != 127.0.0.0/8 numgen random mod 100 < ${LOSS} drop; }`,
      '}',
    ].join('\n');
    execFileSync('ip', ['netns', 'exec', ns(i), 'nft', '-f', '-'], { input: rules, stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000 });
  }
}

interface Health {
  role: string;
  term: number;
  leader: { nodeId: string } | null;
  quorum: boolean;
  voters: string[];
}

async function api<T>(i: number, method: string, path: string, body?: unknown, timeoutMs = 2000): Promise<{ status: number; body: T }> {
  const r = await fetch(`http://${ip(i)}:8777${path}`, {
    method,
    signal: AbortSignal.timeout(timeoutMs),
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (await r.json().catch(() => ({}))) as T };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  setup();
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  const stopAll = () => {
    for (const p of procs) p.kill('SIGKILL');
    teardown();
  };
  process.on('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  const logs: string[] = [];
  try {
    for (let i = 1; i <= N; i++) {
      const dir = mkdtempSync(join(tmpdir(), `${PREFIX}-soak-`));
      dirs.push(dir);
      const logFile = join(dir, 'node.log');
      logs.push(logFile);
      // default settings: no broadcast address, no advertise IP, default timings. The HTTP port listens on
      // the namespace's address so the harness can watch; the UI port and /updateRole posts are off.
      const p = spawn(
        'ip',
        ['netns', 'exec', ns(i), 'nice', '-n', String(NICE), process.execPath, join(NODE_ROOT, 'bin/peerboard.mjs'), '--headless', '--data-dir', dir, '--http-bind-address', '0.0.0.0', '--ui-port', '-1', '--frontend-url', '', '--log-level', 'info'],
        { cwd: NODE_ROOT, stdio: ['ignore', openSync(logFile, 'w'), 'inherit'], env: { ...process.env, PEERBOARD_CLUSTER_KEY: TEST_CLUSTER_KEY, PEERBOARD_SETTINGS_DIR: dir } },
      );
      procs.push(p);
    }
    const health = async (i: number) => (await api<Health>(i, 'GET', '/api/health')).body;
    const t0 = Date.now();
    for (;;) {
      if (Date.now() - t0 > 120_000) throw new Error('no settled cluster within 120 s');
      const hs = await Promise.all([1, 2, 3].map((i) => health(i).catch(() => null)));
      if (hs.every((h) => h && h.quorum && h.voters.length === 3) && hs.filter((h) => h!.role === 'master').length === 1) break;
      await sleep(200);
    }
    log(`settled after ${Date.now() - t0} ms; soak ${MINUTES} min at ${LOSS} % loss (${NODE_ROOT})`);
    const created = await api(1, 'POST', '/api/servers', { host: 'soak' }, 10_000).catch(() => ({ status: 0 }));
    if (created.status !== 201 && created.status !== 409) throw new Error(`could not create the soak server: ${created.status}`);

    const start = Date.now();
    const end = start + MINUTES * 60_000;
    // what each poll saw: the cluster's master by term; a change is a new term with a master
    const mastersByTerm = new Map<number, Set<string>>();
    let lastTerm = -1;
    const changes: Array<{ at: number; term: number; master: string }> = [];
    let noMasterPolls = 0;
    let polls = 0;
    const poller = (async () => {
      while (Date.now() < end) {
        const hs = await Promise.all([1, 2, 3].map((i) => health(i).catch(() => null)));
        polls++;
        let seen = false;
        for (const h of hs) {
          if (!h || h.role !== 'master') continue;
          seen = true;
          const set = mastersByTerm.get(h.term) ?? new Set<string>();
          set.add(h.leader?.nodeId ?? '?');
          mastersByTerm.set(h.term, set);
          if (h.term > lastTerm) {
            if (lastTerm >= 0) changes.push({ at: Date.now() - start, term: h.term, master: h.leader?.nodeId ?? '?' });
            lastTerm = h.term;
          }
        }
        if (!seen) noMasterPolls++;
        await sleep(POLL_EVERY_MS);
      }
    })();
    const latencies: number[] = [];
    const failures: Array<{ at: number; status: number | string }> = [];
    let writes = 0;
    const writer = (async () => {
      let k = 0;
      while (Date.now() < end) {
        const began = Date.now();
        const i = (k % 3) + 1;
        const op = k % 2 === 0 ? 'reserve' : 'release';
        const body = op === 'reserve' ? { user: 'soak', durationSec: 600, idempotencyKey: `soak-${k}` } : { user: 'soak', idempotencyKey: `soak-${k}` };
        writes++;
        try {
          const r = await api(i, 'POST', `/api/servers/soak/${op}`, body, 10_000);
          if (r.status === 200) latencies.push(Date.now() - began);
          else failures.push({ at: began - start, status: r.status });
        } catch (err) {
          failures.push({ at: began - start, status: (err as Error).name });
        }
        k++;
        await sleep(Math.max(0, WRITE_EVERY_MS - (Date.now() - began)));
      }
    })();
    const progress = setInterval(() => log(`${Math.round((Date.now() - start) / 60_000)} min: master changes ${changes.length}, writes ${writes}, failed ${failures.length}`), 60_000);
    await Promise.all([poller, writer]);
    clearInterval(progress);

    const logText = logs.map((f) => readFileSync(f, 'utf8'));
    const count = (re: RegExp) => logText.reduce((a, t) => a + (t.match(re)?.length ?? 0), 0);
    const twoMasters = [...mastersByTerm.entries()].filter(([, s]) => s.size > 1).map(([t]) => t);
    const lat = summarize(latencies, 0);
    const result = {
      name: 'soak',
      at: new Date().toISOString(),
      build: NODE_ROOT === ROOT ? 'this checkout' : NODE_ROOT,
      label: LABEL || null,
      minutes: MINUTES,
      lossPercent: LOSS,
      nice: NICE,
      method: `3 headless nodes, default settings, in network namespaces; nftables drops ${LOSS} % of every node's packets to other nodes (random); the harness polls /api/health on every node every ${POLL_EVERY_MS} ms and writes (reserve/release, alternating nodes) every ${WRITE_EVERY_MS} ms. No other fault: every master change is false.`,
      falseMasterChanges: changes.length,
      changes,
      termsWithTwoMasters: twoMasters,
      electionsStarted: count(/starting election/g),
      steppedDown: count(/stepping down/g),
      pollsWithoutMaster: noMasterPolls,
      polls,
      writes,
      writesFailed: failures.length,
      failures: failures.slice(0, 50),
      writeLatencyMs: lat,
    };
    const dir = join(ROOT, 'bench', 'results', new Date().toISOString().slice(0, 10));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `soak-${LOSS}pct-${MINUTES}min${LABEL ? `-${LABEL}` : ''}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`false master changes: ${changes.length} (elections started ${result.electionsStarted}, terms with two masters ${twoMasters.length}); writes ${writes}, failed ${failures.length}; write latency p50/p99/max ${lat.p50}/${lat.p99}/${lat.max} ms; polls without a master ${noMasterPolls}/${polls}`);
    log(`wrote ${file}`);
    if (process.env.SOAK_KEEP) log(`node logs kept: ${logs.join(' ')}`);
  } finally {
    stopAll();
    if (!process.env.SOAK_KEEP) for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
