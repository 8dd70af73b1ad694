// Assignment on a real 4-node cluster (real sockets, real SQLite, real HTTP probes at a real target on
// loopback, intervals scaled by 0.01): with locationsPerCheck 2 each check is probed by exactly 2
// locations, the ones the master chose; a lent (excluded) location gets an empty assignment.
// Each node's probes carry an x-location header (a wrapper around the real probe) so the target can
// count who probed what.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, MAX_DELIVERY_ATTEMPTS, nextRetryDelayMs } from '../../node-core/src/monitoring/deliver.js';
import type { MonitorParts } from '../../node-core/src/monitoring/monitor-node.js';
import { runProbe } from '../../node-core/src/monitoring/probes/index.js';
import { CheckScheduler } from '../../node-core/src/monitoring/scheduler.js';
import type { CheckDef } from '../../node-core/src/monitoring/types.js';
import { api, freeUdpPort, TestCluster, waitFor, type TestNode } from './cluster-helpers.js';

const NAMES = ['a1', 'a2', 'a3', 'a4'];
/** path → location → probes seen */
const seen = new Map<string, Map<string, number>>();
let target: Server;
let base = '';
const clusters: TestCluster[] = [];
const nodes: TestNode[] = [];

function partsFor(name: string): MonitorParts {
  return {
    createScheduler: (onResult) =>
      new CheckScheduler({
        runProbe: (def, signal) => runProbe({ ...def, headers: { ...(def as { headers?: Record<string, string> }).headers, 'x-location': name } } as CheckDef, signal),
        onResult,
        timeScale: 0.01,
      }),
    store: null,
    deliver: (t, id, change) => deliver(t, id, change),
    nextRetryDelayMs,
    maxAttempts: MAX_DELIVERY_ATTEMPTS,
  };
}

const master = (): TestNode | undefined => nodes.find((n) => n.node.raft.role === 'master' && n.node.raft.masterReady() && n.node.raft.hasQuorum());

beforeAll(async () => {
  target = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const loc = String(req.headers['x-location'] ?? '?');
    const m = seen.get(path) ?? new Map<string, number>();
    m.set(loc, (m.get(loc) ?? 0) + 1);
    seen.set(path, m);
    res.end('ok');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const port = await freeUdpPort();
  // one TestCluster per node (same discovery port): each node gets its own probe wrapper
  for (const name of NAMES) {
    const c = new TestCluster(port, {}, { monitor: partsFor(name) });
    clusters.push(c);
    nodes.push(await c.add(name));
  }
  await waitFor('one master followed by all four', () => {
    const m = master();
    return m && nodes.every((n) => n.node.raft.leaderId === m.name) ? m : undefined;
  }, 20_000);
}, 60_000);

afterAll(async () => {
  for (const c of clusters) await c.close();
  target?.close();
});

/** the master's assignment has reached every node (each runs exactly its set) */
async function converged(pool: number): Promise<TestNode> {
  return waitFor(
    `the assignment on every node (pool ${pool})`,
    () => {
      const m = master();
      const mon = m?.node.monitor;
      if (!mon || mon.farmLoad().pool !== pool) return undefined;
      for (const n of nodes) {
        const a = n.node.monitor?.assignment();
        if (!a || a.version !== mon.farm.forNode(n.name).version) return undefined;
      }
      return m;
    },
    20_000,
    50,
  );
}

/** clears the counts, waits until every check was probed 4 more times, and clears them again */
async function settle(): Promise<void> {
  seen.clear();
  await waitFor('4 probes of every check', () => [1, 2, 3, 4, 5, 6].every((i) => [...(seen.get(`/c${i}`)?.values() ?? [])].reduce((s, v) => s + v, 0) >= 4) || undefined, 15_000);
  seen.clear();
}

describe('monitoring assignment on a 4-node cluster', () => {
  it('with locationsPerCheck 2, each check is probed by exactly the 2 locations the master chose', async () => {
    const any = nodes[1]!;
    expect((await api(any.api, 'PUT', '/api/monitoring/settings', { locationsPerCheck: 2 })).status).toBe(200);
    const hostile = await api<{ message: string }>(any.api, 'PUT', '/api/monitoring/settings', { locationsPerCheck: 65 });
    expect(hostile.status).toBe(400);
    expect(hostile.body.message).toMatch(/locationsPerCheck/);
    expect((await api<{ settings: unknown }>(any.api, 'GET', '/api/monitoring/settings')).body.settings).toEqual({ allowPrivateTargets: true, locationsPerCheck: 2 });
    for (let i = 1; i <= 6; i++) {
      expect((await api(any.api, 'POST', '/api/checks', { name: `c${i}`, type: 'http', target: `${base}/c${i}`, intervalSec: 5, timeoutMs: 1000, retries: 0 })).status).toBe(201);
    }
    let m = await converged(4);
    // probes from before the assignment (every location runs every check until it hears one; an
    // aborted round's request may still land) are forgotten: a settling period, then count afresh
    await settle();
    await waitFor('20 probes of every check', () => [1, 2, 3, 4, 5, 6].every((i) => [...(seen.get(`/c${i}`)?.values() ?? [])].reduce((s, v) => s + v, 0) >= 20) || undefined, 15_000);
    m = master()!;
    for (let i = 1; i <= 6; i++) {
      const who = [...seen.get(`/c${i}`)!.keys()].sort();
      expect(who, `check ${i}: ${JSON.stringify([...seen.get(`/c${i}`)!])}`).toEqual(m.node.monitor!.farm.assigner.locationsOf(i).sort());
      expect(who).toHaveLength(2);
    }
    await waitFor('every verdict UP', async () => (await api<{ checks: Array<{ verdict: string; locations: unknown[] }> }>(m.api, 'GET', '/api/checks')).body.checks.every((c) => c.verdict === 'UP' && c.locations.length === 2) || undefined, 15_000);
  });

  it('a lent (excluded) location gets an empty assignment and probes nothing; its checks move to the others', async () => {
    const m = master()!;
    const lent = nodes.find((n) => n !== m && m.node.monitor!.assignedCount(n.name) > 0)!;
    m.node.excludedLocations = () => new Set([lent.name]);
    await waitFor('the lent node runs nothing', () => (lent.node.monitor?.assignment()?.ids.length === 0 && lent.node.monitor.schedulerStats()?.checks === 0) || undefined, 15_000);
    await converged(3);
    await settle();
    await waitFor('20 probes of every check', () => [1, 2, 3, 4, 5, 6].every((i) => [...(seen.get(`/c${i}`)?.values() ?? [])].reduce((s, v) => s + v, 0) >= 20) || undefined, 15_000);
    for (let i = 1; i <= 6; i++) {
      const who = [...seen.get(`/c${i}`)!.keys()];
      expect(who).not.toContain(lent.name);
      expect(who).toHaveLength(2);
    }
    m.node.excludedLocations = () => new Set();
  });
});
