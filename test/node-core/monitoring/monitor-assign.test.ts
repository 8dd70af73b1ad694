// The master side of assignment (MonitorNode + farm-assign.ts): home locations get their set in the
// report's answer only when their version differs, a lent (excluded) location gets an empty one, a
// verdict counts only the assigned locations (plus /sync/api remote instances), and a guest attached
// through the loan brain's API gets work and its results vote.
import { describe, expect, it } from 'vitest';
import { emptyMonitoring } from '../../../node-core/src/monitoring/board-monitoring.js';
import { assignVersion } from '../../../node-core/src/monitoring/assign.js';
import { MASTER_WARMUP_MS, MonitorNode } from '../../../node-core/src/monitoring/monitor-node.js';
import type { LocationReport } from '../../../node-core/src/monitoring/aggregator.js';
import type { CheckDef } from '../../../node-core/src/monitoring/types.js';
import { silentLogger } from '../../../node-core/src/log.js';

const def = (id: number): CheckDef => ({ id, name: `c${id}`, type: 'tcp', target: 'db:5432', server: null, intervalSec: 5, timeoutMs: 1000, retries: 0, enabled: true, createdAt: 0, updatedAt: 0, createdBy: 'admin' });
const HOME = ['a', 'b', 'c', 'd'];

function master(k: number) {
  let now = 1_000_000;
  const m = emptyMonitoring();
  for (let i = 1; i <= 20; i++) m.checks.set(i, def(i));
  m.locationsPerCheck = k;
  const excluded = new Set<string>();
  const mon = new MonitorNode(
    {
      nodeId: 'm',
      location: 'lab-m',
      log: silentLogger(),
      now: () => now,
      isMaster: () => true,
      canPropose: () => true,
      leaderId: () => 'm',
      monitoring: () => m,
      submit: async () => undefined,
      sendReport: async () => true,
      excludedLocations: () => excluded,
    },
    { createScheduler: null, store: null, deliver: async () => ({ ok: true, status: 200 }), nextRetryDelayMs: () => 1000, maxAttempts: 3 },
  );
  const res = (node: string, checkId: number, status: 'UP' | 'DOWN'): LocationReport => ({ checkId, nodeId: node, location: node, status, responseTime: 3, at: now, error: status === 'DOWN' ? 'refused' : null });
  const versions = new Map<string, string>();
  /** every home location reports (with the version it runs) and takes what the master answers */
  const round = (results: (node: string) => LocationReport[] = () => []): void => {
    for (const n of HOME) {
      const v = versions.get(n);
      const ans = mon.ingestReport(n, n, true, results(n), v !== undefined ? { assignVersion: v } : {});
      if (ans.assign) versions.set(n, ans.assign.version);
    }
  };
  // past the warm-up: the first round starts it, the second one gets assignments
  round();
  now += MASTER_WARMUP_MS + 1;
  round();
  return { mon, m, excluded, res, round, versions, advance: (ms: number) => (now += ms) };
}

describe('the master assigns checks to its pool', () => {
  it('each check goes to exactly K=2 home locations; the set is sent only when the version differs', () => {
    const { mon, versions } = master(2);
    for (let id = 1; id <= 20; id++) expect(mon.farm.assigner.locationsOf(id)).toHaveLength(2);
    expect(HOME.reduce((s, n) => s + mon.assignedCount(n), 0)).toBe(40);
    expect(versions.size).toBe(4);
    const sent = mon.counters.assignmentsSent;
    const again = mon.ingestReport('a', 'a', true, [], { assignVersion: versions.get('a')! });
    expect(again.assign).toBeUndefined();
    expect(mon.counters.assignmentsSent).toBe(sent);
    // a location that lost its assignment (restarted) asks without a version and gets it again
    expect(mon.ingestReport('a', 'a', true, []).assign?.version).toBe(versions.get('a'));
    mon.stop();
  });

  it('a lent (excluded) location gets an empty assignment, and its results stop voting at once', () => {
    const { mon, excluded, res, round } = master(2);
    const check = { ...def(1) };
    const [x, y] = mon.farm.assigner.locationsOf(1) as [string, string];
    // the two assigned see it DOWN, the two others UP: only the assigned count
    round((n) => [res(n, 1, n === x || n === y ? 'DOWN' : 'UP')]);
    expect(mon.aggregator.verdictOf(check)).toBe('DOWN');
    expect(mon.aggregator.evaluate(check).locations.map((l) => l.nodeId).sort()).toEqual([x, y].sort());
    excluded.add(x);
    const ans = mon.ingestReport(x, x, true, [], { assignVersion: 'whatever' });
    expect(ans.assign).toEqual({ version: assignVersion([]), ids: [] });
    expect(mon.assignedCount(x)).toBe(0);
    // x's DOWN no longer votes; its replacement's earlier UP does: PARTIAL (1 of 2 down)
    expect(mon.aggregator.evaluate(check).locations.map((l) => l.nodeId)).not.toContain(x);
    expect(mon.aggregator.verdictOf(check)).toBe('PARTIAL');
    mon.stop();
  });

  it('a location silent for over 10 s leaves the pool; a /sync/api remote instance votes on every check', () => {
    const { mon, res, advance } = master(2);
    advance(11_000);
    for (const n of ['a', 'b']) mon.ingestReport(n, n, true, []);
    expect(mon.farmLoad()).toMatchObject({ pool: 2, home: 2, guests: 0 });
    for (let id = 1; id <= 20; id++) expect(mon.farm.assigner.locationsOf(id).sort()).toEqual(['a', 'b']);
    mon.ingest('remote-1', 'far', true, [res('remote-1', 7, 'DOWN')]);
    mon.ingestReport('a', 'a', true, [res('a', 7, 'UP')]);
    mon.ingestReport('b', 'b', true, [res('b', 7, 'DOWN')]);
    expect(mon.aggregator.verdictOf(def(7))).toBe('DOWN'); // 2 of 3 voters down: the remote counts
    mon.stop();
  });

  it('a guest attached through the API gets its checks, is sent changes, and its results vote; detached, it stops', () => {
    const { mon, round } = master(2);
    const work: CheckDef[][] = [];
    mon.attachGuest({ workerId: 'g1', location: 'borrowed', sendWork: (c) => work.push(c) });
    expect(work).toHaveLength(1);
    const mine = work[0]!.map((c) => c.id);
    expect(mine.length).toBeGreaterThan(0);
    expect(mon.assignedCount('g1')).toBe(mine.length);
    expect(mon.farmLoad()).toMatchObject({ pool: 5, home: 4, guests: 1, needed: 2 });
    const id = mine[0]!;
    round((n) => [{ checkId: id, nodeId: n, location: n, status: 'UP', responseTime: 1, at: Date.now(), error: null }]);
    expect(mon.ingestGuest('g1', [{ checkId: id, status: 'DOWN', responseTime: 9, at: Date.now(), error: 'timeout' }], { lagP99Ms: 1500, cpu: 0.9, utilisation: 1, demand: 3 })).toBe(1);
    const rows = mon.aggregator.evaluate(def(id)).locations;
    expect(rows.find((r) => r.nodeId === 'g1')).toMatchObject({ status: 'DOWN', voting: true, location: 'borrowed' });
    expect(rows).toHaveLength(2);
    expect(mon.aggregator.verdictOf(def(id))).toBe('PARTIAL');
    expect(mon.farmLoad()).toMatchObject({ lagP99Ms: 1500, cpu: 0.9 });
    // an unknown guest's results are not taken
    expect(mon.ingestGuest('nobody', [{ checkId: id, status: 'DOWN', responseTime: 9, at: Date.now(), error: null }])).toBe(0);
    mon.detachGuest('g1');
    expect(mon.assignedCount('g1')).toBe(0);
    expect(mon.aggregator.evaluate(def(id)).locations.map((r) => r.nodeId)).not.toContain('g1');
    expect(mon.aggregator.verdictOf(def(id))).toBe('UP');
    expect(mon.ingestGuest('g1', [{ checkId: id, status: 'DOWN', responseTime: 9, at: Date.now(), error: null }])).toBe(0);
    mon.stop();
  });
});
