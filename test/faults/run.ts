// Entry of `npm run test:faults`: builds the namespace lab, runs each scenario (real nodes, client
// workload, faults), checks the recorded history, prints a report, saves it under
// test-artifacts/faults/ and exits 1 on any anomaly. `--long` (or PBF_FAULTS_LONG=1) runs ~20 minutes.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../node-core/src/util/clock.js';
import { type Anomaly, AnomalyKind, checkRun } from './checker.js';
import { Cluster, PROBE_HOST, sleep } from './cluster.js';
import type { FinalNodeState, HistoryRow, RunRecord } from './history.js';
import { labUnavailableReason, setupLab, teardownLab } from './lab.js';
import { ALL_FAULTS, type FaultKind, FaultKind as F, Nemesis } from './nemesis.js';
import { Workload } from './workload.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const HOSTS = ['srv1', 'srv2', 'srv3', 'srv4', 'srv5'];
const MARGIN_MS = 50;

interface Scenario {
  name: string;
  nodes: number;
  voters: number;
  clients: number;
  /** a fixed list of faults, or a duration in ms during which random faults follow each other */
  faults: FaultKind[] | { randomForMs: number };
  holdMs: [number, number];
  pauseMs: [number, number];
  /** node flags; a small --snapshot-every makes log compaction happen within the run */
  nodeArgs: string[];
}

const SHORT: Scenario[] = [
  {
    name: '3-voters-1-observer',
    nodes: 4,
    voters: 3,
    clients: 4,
    faults: [F.killMaster, F.pauseRandom, F.isolateMaster, F.bridge, F.loss, F.killRandom, F.pauseMaster, F.clockJump, F.majorityMinority],
    holdMs: [2000, 4000],
    pauseMs: [500, 4000],
    nodeArgs: ['--snapshot-every', '100'],
  },
  {
    name: '5-voters',
    nodes: 5,
    voters: 5,
    clients: 4,
    faults: [F.majorityMinority, F.killMaster, F.bridge, F.pauseMaster, F.loss, F.clockJump, F.isolateMaster, F.killRandom],
    holdMs: [2000, 4000],
    pauseMs: [500, 4000],
    nodeArgs: ['--snapshot-every', '100'],
  },
];

function longScenarios(totalMs: number): Scenario[] {
  return [
    { name: 'long-3-voters-1-observer', nodes: 4, voters: 3, clients: 4, faults: { randomForMs: Math.round(totalMs * 0.4) }, holdMs: [1000, 8000], pauseMs: [500, 10_000], nodeArgs: ['--snapshot-every', '500'] },
    { name: 'long-5-voters', nodes: 5, voters: 5, clients: 5, faults: { randomForMs: Math.round(totalMs * 0.6) }, holdMs: [1000, 8000], pauseMs: [500, 10_000], nodeArgs: ['--snapshot-every', '500'] },
  ];
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * The whole committed history, oldest first, from the node with the highest commit index (the
 * master once converged; the most advanced replica otherwise), with that commit index.
 */
async function finalHistory(c: Cluster, states: FinalNodeState[]): Promise<{ rows: HistoryRow[]; commitIndex: number; node: string } | null> {
  const best = [...states].filter((s) => s.commitIndex !== null).sort((a, b) => b.commitIndex! - a.commitIndex!)[0];
  const n = best ? c.node(best.node) : null;
  if (!n || !best) return null;
  const rows: HistoryRow[] = [];
  for (let offset = 0, page = 0; page < 10_000; page++) {
    let p: { items: HistoryRow[]; total: number } | null = null;
    for (let i = 0; i < 5 && !p; i++) p = await c.getJson<{ items: HistoryRow[]; total: number }>(n, `/api/history?limit=500&offset=${offset}`, 5000);
    if (!p) return null;
    rows.push(...p.items);
    offset += p.items.length;
    if (p.items.length === 0 || offset >= p.total) break;
  }
  return { rows: rows.reverse(), commitIndex: best.commitIndex!, node: n.id };
}

/** polls every node until they report the same board and commit index (or the deadline passes) */
async function converge(c: Cluster, timeoutMs: number): Promise<{ states: FinalNodeState[]; at: number; converged: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let states: FinalNodeState[] = [];
  let at = Date.now();
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    at = Date.now();
    states = await Promise.all(
      c.nodes.map(async (n) => {
        const s = await c.getJson<{ serversData: FinalNodeState['serversData']; commitIndex: number; appliedIndex: number }>(n, '/api/state', 3000);
        return { node: n.id, serversData: s?.serversData ?? null, commitIndex: s?.commitIndex ?? null, appliedIndex: s?.appliedIndex ?? null };
      }),
    );
    const key = (s: FinalNodeState) => JSON.stringify([s.commitIndex, s.serversData]);
    if (states.every((s) => s.serversData !== null && key(s) === key(states[0]!))) return { states, at, converged: true };
    await sleep(300);
  }
  return { states, at, converged: false };
}

async function runScenario(sc: Scenario, seed: number, runDir: string): Promise<Record<string, unknown>> {
  const random = seededRandom(seed);
  say(`\n== scenario ${sc.name}: ${sc.nodes} nodes (${sc.voters} voters), ${sc.clients} clients, seed ${seed}`);
  setupLab(sc.nodes);
  const cluster = new Cluster(sc.nodes, join(runDir, sc.name), 'pbf-faults', sc.nodeArgs);
  const notes: Anomaly[] = [];
  try {
    cluster.start(cluster.nodes[0]!);
    await cluster.waitForMaster({ timeoutMs: 20_000 });
    for (const n of cluster.nodes.slice(1)) cluster.start(n);
    const m = await cluster.waitForMaster({ voters: sc.voters, timeoutMs: 40_000, allAgree: true });
    say(`cluster formed: master ${m.node.id}, voters ${m.health.voters.join(',')}`);
    for (const host of [...HOSTS, PROBE_HOST]) {
      const r = await cluster.postJson(m.node, '/api/servers', { host, app: 'app', ip: '10.0.0.1', env: 'test' });
      if (!r || r.status !== 201) throw new Error(`could not add server ${host}: ${JSON.stringify(r)}`);
    }

    const nemesis = new Nemesis({ cluster, random, holdMs: sc.holdMs, pauseMs: sc.pauseMs, recoveryTimeoutMs: 20_000 });
    const workload = new Workload({ cluster, hosts: HOSTS, clients: sc.clients, random, until: Number.POSITIVE_INFINITY, thinkMs: [30, 150] });
    const clients = workload.run();
    await sleep(2000);
    const plan = sc.faults;
    const faultsUntil = Array.isArray(plan) ? Number.POSITIVE_INFINITY : Date.now() + plan.randomForMs;
    const list = Array.isArray(plan) ? plan : [];
    for (let i = 0; i < 100_000; i++) {
      if (Array.isArray(plan) ? i >= list.length : Date.now() >= faultsUntil) break;
      const kind = Array.isArray(plan) ? list[i]! : ALL_FAULTS[Math.floor(random() * ALL_FAULTS.length)]!;
      const ev = await nemesis.inject(kind);
      say(`fault ${kind} ${JSON.stringify(ev.detail)} -> ${ev.recoveryMs === null ? 'NO commit within 20 s after healing' : `commits again ${ev.recoveryMs} ms after healing`}`);
      if (ev.recoveryMs === null) notes.push({ kind: AnomalyKind.noRecovery, message: `no write committed within 20 s after healing ${kind} ${JSON.stringify(ev.detail)}`, details: { ...ev } });
      await sleep(1000 + Math.floor(random() * 1000));
    }
    nemesis.heal();
    if (!(await cluster.waitForCommit(20_000))) notes.push({ kind: AnomalyKind.noRecovery, message: 'no write committed within 20 s after the final heal' });
    await sleep(3000);
    workload.stop();
    await clients;

    const conv = await converge(cluster, 30_000);
    const fh = await finalHistory(cluster, conv.states);
    const history = fh?.rows ?? null;
    await sleep(200); // let exit events of any crashed process arrive
    const record: RunRecord = { ops: workload.ops, history, finalStates: conv.states, finalTime: conv.at, exits: [...cluster.exits], clockSkewMs: nemesis.maxSkewMs, ...(fh ? { historyCommitIndex: fh.commitIndex } : {}) };
    const result = checkRun(record, { marginMs: MARGIN_MS });
    const anomalies = [...notes, ...result.anomalies];

    const byOutcome: Record<string, Record<string, number>> = {};
    for (const o of workload.ops) {
      byOutcome[o.op] ??= { ok: 0, fail: 0, unknown: 0 };
      byOutcome[o.op]![o.outcome]!++;
    }
    const faults: Record<string, number> = {};
    for (const e of nemesis.events) faults[e.kind] = (faults[e.kind] ?? 0) + 1;
    say(`operations: ${workload.ops.length} ${JSON.stringify(byOutcome)}`);
    say(`faults: ${JSON.stringify(faults)}`);
    say(`final: converged=${conv.converged} commitIndex=${conv.states.map((s) => `${s.node}:${s.commitIndex}`).join(' ')} history rows=${history?.length ?? 'unavailable'}${fh ? ` (from ${fh.node})` : ''}`);
    say(`checker: ${JSON.stringify(result.stats)}`);
    say(anomalies.length === 0 ? 'anomalies: none' : `anomalies: ${anomalies.length}`);
    for (const a of anomalies.slice(0, 30)) say(`  [${a.kind}] ${a.message}`);
    for (const n of cluster.nodes) {
      const crash = anomalies.some((a) => a.kind === AnomalyKind.crash && a.details?.node === n.id);
      if (crash) say(`--- ${n.id} log tail:\n${cluster.logTail(n)}`);
    }
    return { scenario: sc, seed, byOutcome, faults, faultEvents: nemesis.events, converged: conv.converged, finalStates: conv.states, stats: result.stats, anomalies, exits: cluster.exits, historyRows: history?.length ?? null, ops: workload.ops, history };
  } finally {
    await cluster.stopAll().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const long = process.argv.includes('--long') || process.env.PBF_FAULTS_LONG === '1';
  const minutes = Number(process.env.PBF_FAULTS_MINUTES ?? 20);
  const why = labUnavailableReason();
  if (why) {
    say(`SKIPPED: fault runs not possible here: ${why}`);
    return 0;
  }
  const seed = Number(process.env.PBF_SEED ?? Date.now() % 1_000_000);
  const runDir = mkdtempSync(join(tmpdir(), 'pbf-faults-'));
  say(`fault run (${long ? `long, ~${minutes} min` : 'short'}), seed ${seed}, data and node logs in ${runDir}`);
  const scenarios = long ? longScenarios(minutes * 60_000) : SHORT;
  const reports: Array<Record<string, unknown>> = [];
  const outDir = join(ROOT, 'test-artifacts', 'faults');
  const stamp = `${long ? 'long' : 'short'}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const t0 = Date.now();
  try {
    for (const [i, sc] of scenarios.entries()) {
      const rep = await runScenario(sc, seed + i, runDir);
      reports.push(rep);
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, `${stamp}-${sc.name}.json`), JSON.stringify(rep, null, 1));
    }
  } finally {
    teardownLab();
  }
  const total = reports.reduce((n, r) => n + (r.anomalies as unknown[]).length, 0);
  const file = join(outDir, `${stamp}-summary.json`);
  const summary = reports.map((r) => ({ name: (r.scenario as Scenario).name, seed: r.seed, byOutcome: r.byOutcome, faults: r.faults, converged: r.converged, stats: r.stats, anomalies: r.anomalies }));
  writeFileSync(file, JSON.stringify({ long, seed, durationMs: Date.now() - t0, runDir, anomalies: total, scenarios: summary }, null, 1));
  say(`\n== ${total === 0 ? 'PASS' : 'FAIL'}: ${total} anomalies in ${Math.round((Date.now() - t0) / 1000)} s; report ${file}`);
  return total === 0 ? 0 : 1;
}

let cleaning = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (cleaning) process.exit(130);
    cleaning = true;
    say(`\n${sig}: tearing the lab down`);
    teardownLab();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`fault run failed: ${(err as Error).stack ?? String(err)}`);
    teardownLab();
    process.exit(2);
  },
);
