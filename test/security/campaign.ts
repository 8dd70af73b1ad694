// Issue 9's attack campaign: replays the attacks against 3 real headless nodes (cluster key and tokens
// set) in network namespaces, from an attacker namespace, and prints a table of what held.
// Usage: tsx test/security/campaign.ts [--long] [--only NAME[,NAME]] [--json FILE]; exit 1 when an attack succeeded.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from './attacks/wire.js';
import { Agent, type AckHold, arm, baseline, check, RSS_SAFETY_CAP_MIB, RssSampler } from './harness.js';
import { ATTACKS, FLOOD_RSS_LIMIT_MIB } from './plan.js';
import { type Report, type Row, formatTable, totals } from './report.js';
import { PORTS, SecCluster } from './sec-cluster.js';
import { ATTACKER_IP, secLabUnavailableReason, setupSecLab, teardownSecLab, unmountLeftovers } from './sec-lab.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface CampaignOptions {
  long: boolean;
  only?: string[];
  json?: string;
  log?: (line: string) => void;
}

export const ATTACK_NAMES = ATTACKS.map((a) => a.name);

export async function runCampaign(opts: CampaignOptions): Promise<Report> {
  const why = secLabUnavailableReason();
  if (why) throw new Error(why);
  if (!existsSync(join(ROOT, 'dist', 'node-core'))) throw new Error('node-core is not built: run npm run build:node first (the nodes run from dist/)');
  const t00 = Date.now();
  const log = opts.log ?? ((l: string) => process.stderr.write(`[campaign ${((Date.now() - t00) / 1000).toFixed(1).padStart(5)}s] ${l}\n`));
  const unknown = (opts.only ?? []).filter((n) => !ATTACK_NAMES.includes(n));
  if (unknown.length) throw new Error(`unknown attack ${unknown.join(', ')}; known: ${ATTACK_NAMES.join(', ')}`);
  const started = Date.now();
  const runDir = mkdtempSync(join(tmpdir(), 'pbs-run-'));
  const uiDir = join(runDir, 'ui');
  mkdirSync(uiDir);
  writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>pb</title><script src="app.js"></script>');
  writeFileSync(join(uiDir, 'app.js'), '// campaign UI stub\n');
  const secrets = { clusterId: 'sec', clusterKey: randomBytes(16).toString('hex'), adminToken: randomBytes(12).toString('hex'), userToken: randomBytes(12).toString('hex') };
  const cluster = new SecCluster(runDir, secrets, { snapshotEvery: 50, uiDir });
  const target: Target = {
    clusterId: secrets.clusterId,
    clusterKey: secrets.clusterKey,
    nodes: cluster.nodes.map((n) => ({ id: n.id, ip: n.ip })),
    ports: PORTS,
    tokens: { user: secrets.userToken },
    attackerIp: ATTACKER_IP,
    long: opts.long,
  };
  const cleanup = (): void => {
    cluster.unmountAllSync();
    teardownSecLab();
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: cleaning up`);
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanup);
  const agentLog = createWriteStream(join(runDir, 'attacker.log'));
  let agent: Agent | null = null;
  const rows: Row[] = [];
  try {
    log(`run directory ${runDir} (node logs n1.log..n3.log, attacker.log)`);
    setupSecLab(3);
    await cluster.reset();
    let acks: AckHold[] = await arm(cluster);
    log(`cluster up: ${acks.length} acknowledged holds`);
    agent = new Agent(target, agentLog);
    const plan = ATTACKS.filter((a) => (opts.only?.length ? opts.only.includes(a.name) : !a.longOnly || opts.long));
    let needsReset = false;
    for (const spec of plan) {
      if (needsReset) {
        log('fresh cluster (the last attack left it damaged)');
        await cluster.reset();
        acks = await arm(cluster);
      }
      log(`attack ${spec.name}`);
      const t0 = Date.now();
      const base = await baseline(cluster);
      const sampler = new RssSampler(cluster, (n, mib) => {
        log(`  ${n.id} RSS ${mib.toFixed(0)} MiB passed the safety cap of ${RSS_SAFETY_CAP_MIB} MiB: killing it`);
        void cluster.kill(n);
      });
      let outcome;
      try {
        outcome = await spec.run({ cluster, agent, target, long: opts.long, acks });
      } catch (err) {
        outcome = { sent: 0, breaches: [`the attack could not run: ${(err as Error).message}`], notes: [] };
      }
      sampler.stop();
      const growth: Record<string, number> = {};
      for (const n of cluster.nodes) {
        const peak = sampler.peak.get(n.id);
        if (peak !== undefined) growth[n.id] = Math.max(0, peak - (base.rss.get(n.id) ?? peak));
      }
      let res = await check(cluster, base, acks);
      // the restart shows what survives; short mode skips it when the attack already failed (the verdict stands)
      if (spec.restartAfter && (opts.long || !res.broken)) {
        log(`  restarting every node to see what survives ${spec.name}`);
        const silent = await cluster.restartAll(20_000);
        if (silent.length) log(`  ${silent.join(', ')} did not answer HTTP within 20 s of the restart`);
        const again = await check(cluster, { ...base, at: Date.now() }, acks);
        res = {
          crashes: res.crashes + again.crashes,
          hangs: Math.max(res.hangs, again.hangs),
          noMaster: res.noMaster || again.noMaster,
          lost: Math.max(res.lost, again.lost),
          unauthorised: Math.max(res.unauthorised, again.unauthorised),
          reasons: [...res.reasons, ...again.reasons.map((r) => `after restart: ${r}`)],
          broken: res.broken || again.broken,
        };
      }
      const why = [...outcome.breaches, ...res.reasons];
      for (const id of sampler.over) why.push(`${id} passed ${RSS_SAFETY_CAP_MIB} MiB of RSS and was killed by the harness`);
      if (sampler.over.size) res.broken = true;
      if (spec.flood) {
        for (const [id, g] of Object.entries(growth)) if (g > FLOOD_RSS_LIMIT_MIB) why.push(`${id} RSS grew ${g.toFixed(0)} MiB (limit ${FLOOD_RSS_LIMIT_MIB})`);
      }
      const row: Row = {
        attack: spec.name,
        inputs: outcome.sent,
        held: why.length === 0,
        why,
        crashes: res.crashes,
        hangs: res.hangs,
        noMaster: res.noMaster,
        lost: res.lost,
        unauthorised: res.unauthorised,
        rssGrowthMiB: growth,
        notes: outcome.notes,
        seconds: (Date.now() - t0) / 1000,
      };
      rows.push(row);
      log(`  ${row.held ? 'held' : 'FAILED'} (${row.inputs} inputs, ${row.seconds.toFixed(1)} s)${row.held ? '' : `: ${why.slice(0, 3).join('; ')}`}`);
      needsReset = res.broken;
    }
  } finally {
    agent?.stop();
    await cluster.shutdown();
    agentLog.end();
    teardownSecLab();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanup);
  }
  const report: Report = { mode: opts.long ? 'long' : 'short', startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000, rows, totals: totals(rows) };
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function parseArgs(argv: string[]): CampaignOptions {
  const o: CampaignOptions = { long: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--long') o.long = true;
    else if (a === '--only') o.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--short') o.long = false;
    else if (a === '--cleanup') {
      teardownSecLab();
      unmountLeftovers();
      process.stdout.write('removed every pbs-* namespace, process and tmpfs\n');
      process.exit(0);
    }
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`usage: tsx test/security/campaign.ts [--long|--short] [--only NAME[,NAME]] [--json FILE] | --cleanup\nattacks: ${ATTACK_NAMES.join(', ')}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  (async () => {
    const opts = parseArgs(process.argv.slice(2));
    const rep = await runCampaign(opts);
    process.stdout.write(`${formatTable(rep)}\n`);
    process.exit(rep.totals.failed > 0 ? 1 : 0);
  })().catch((err: unknown) => {
    process.stderr.write(`campaign: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  });
}
