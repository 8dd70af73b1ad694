// Assignment of checks to locations (assign.ts): rendezvous hashing spreads checks evenly and moves
// only the departed location's checks; the locationsPerCheck setting refuses hostile values; the wire
// carries 10,000 assigned ids and its codec refuses a forged 100,000; a scheduler measures its load.
import { describe, expect, it } from 'vitest';
import { Assigner, assignVersion, topK, fnv1a32 } from '../../../node-core/src/monitoring/assign.js';
import { monitorCommandSchemas, monitorSettingsSchema } from '../../../node-core/src/monitoring/check-schema.js';
import { MonitorService } from '../../../node-core/src/monitoring/monitor-service.js';
import { emptyMonitoring } from '../../../node-core/src/monitoring/board-monitoring.js';
import { monitoringSnapshot, monitoringSnapshotSchema, restoreMonitoring } from '../../../node-core/src/monitoring/monitor-snapshot.js';
import { CheckScheduler } from '../../../node-core/src/monitoring/scheduler.js';
import { farmLoadOf } from '../../../node-core/src/monitoring/load.js';
import type { CheckDef } from '../../../node-core/src/monitoring/types.js';
import { Codec, DropReason } from '../../../node-core/src/protocol/codec.js';
import type { Message } from '../../../node-core/src/protocol/messages.js';
import { Limits } from '../../../node-core/src/transport/transport.js';
import { Driver, expectError, expectOk } from '../board/driver.js';

const def = (id: number, extra: Partial<CheckDef> = {}): CheckDef => ({ id, name: `c${id}`, type: 'tcp', target: 'db:5432', server: null, intervalSec: 5, timeoutMs: 1000, retries: 0, enabled: true, createdAt: 0, updatedAt: 0, createdBy: 'admin', ...extra });
const checks = (n: number): CheckDef[] => Array.from({ length: n }, (_, i) => def(i + 1));
const NODES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];

describe('rendezvous assignment', () => {
  it('spreads 1,000 checks with K=3 over 5 nodes within ±20 % of 600 each', () => {
    const a = new Assigner();
    a.update(checks(1000), NODES, 3);
    const counts = NODES.map((n) => a.count(n));
    for (const c of counts) expect(c, counts.join(',')).toBeGreaterThanOrEqual(480);
    for (const c of counts) expect(c, counts.join(',')).toBeLessThanOrEqual(720);
    expect(counts.reduce((s, c) => s + c, 0)).toBe(3000);
    for (let id = 1; id <= 1000; id++) expect(a.locationsOf(id)).toHaveLength(3);
  });

  it('moves only the checks of a node that leaves (about K/n of them), each keeping its other locations', () => {
    const a = new Assigner();
    a.update(checks(1000), NODES, 3);
    const before = new Map(Array.from({ length: 1000 }, (_, i) => [i + 1, a.locationsOf(i + 1)]));
    a.update(checks(1000), NODES.filter((n) => n !== 'node-c'), 3);
    let moved = 0;
    for (const [id, was] of before) {
      const now = a.locationsOf(id);
      expect(now).toHaveLength(3);
      expect(now).not.toContain('node-c');
      if (was.includes('node-c')) {
        moved++;
        // the other two stay: only node-c's place moves
        for (const n of was.filter((x) => x !== 'node-c')) expect(now).toContain(n);
      } else expect([...now].sort()).toEqual([...was].sort());
    }
    expect(moved / 1000).toBeGreaterThan(0.5);
    expect(moved / 1000).toBeLessThan(0.7);
  });

  it('K=0 or K >= pool means every node; disabled checks go nowhere; recomputes only on change', () => {
    const a = new Assigner();
    const list = [...checks(10), def(11, { enabled: false })];
    expect(a.update(list, NODES.slice(0, 3), 3)).toBe(true);
    expect(a.count('node-a')).toBe(10);
    expect(a.locationsOf(11)).toEqual([]);
    expect(a.update(list, [...NODES.slice(0, 3)].reverse(), 3)).toBe(false);
    expect(a.update(list, NODES, 0)).toBe(true);
    expect(NODES.map((n) => a.count(n))).toEqual([10, 10, 10, 10, 10]);
    expect(a.forNode('stranger')).toEqual({ version: assignVersion([]), ids: [] });
    // the same set gives the same version (a new master does not resend it)
    const b = new Assigner();
    b.update(list, NODES, 0);
    expect(b.forNode('node-a').version).toBe(a.forNode('node-a').version);
  });

  it('topK is stable and ordered by score, ties broken by id', () => {
    const pool = NODES.map((id) => ({ id, hash: fnv1a32(id) }));
    expect(topK(42, pool, 2)).toEqual(topK(42, [...pool].reverse(), 2));
    expect(topK(42, pool, 9)).toHaveLength(5);
    // ids beyond 2^32 hash too (the board's ids are safe integers)
    expect(topK(2 ** 40 + 7, pool, 3)).toHaveLength(3);
  });
});

describe('the locationsPerCheck setting', () => {
  it.each([[-1], [65], ['3'], [2.5], [null], [Number.NaN]])('refuses %s with a message naming the field', async (bad) => {
    const r = monitorSettingsSchema.safeParse({ locationsPerCheck: bad });
    expect(r.success).toBe(false);
    const svc = new MonitorService({ submit: async () => ({ value: {} }) as never }, { monitoring: () => emptyMonitoring(), now: () => 0 });
    const out = await svc.setSettings({ locationsPerCheck: bad as number });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.code).toBe('BAD_REQUEST');
      expect(out.error.message).toMatch(/locationsPerCheck: .*whole number from 0 \(every location\) to 64/);
    }
    // the board refuses it too (a forged log entry)
    const d = new Driver();
    expectError(d.run({ type: 'monitor-settings', locationsPerCheck: bad }), 'BAD_REQUEST');
    expect(d.board.monitoring().locationsPerCheck).toBe(3);
  });

  it('defaults to 3, takes 0..64 alone or with allowPrivateTargets, and survives a snapshot; an old snapshot reads 3', () => {
    const d = new Driver();
    expect(d.board.monitoring().locationsPerCheck).toBe(3);
    expect(expectOk(d.run({ type: 'monitor-settings', locationsPerCheck: 0 }))).toEqual({ allowPrivateTargets: true, locationsPerCheck: 0 });
    expectOk(d.run({ type: 'monitor-settings', allowPrivateTargets: false }));
    expect(d.board.monitoring()).toMatchObject({ allowPrivateTargets: false, locationsPerCheck: 0 });
    expectOk(d.run({ type: 'monitor-settings', locationsPerCheck: 64 }));
    const snap = monitoringSnapshot(d.board.monitoring(), (x) => structuredClone(x));
    expect(restoreMonitoring(monitoringSnapshotSchema.parse(snap)).locationsPerCheck).toBe(64);
    const { locationsPerCheck: _gone, ...old } = snap;
    expect(restoreMonitoring(monitoringSnapshotSchema.parse(old)).locationsPerCheck).toBe(3);
    expect(monitorSettingsSchema.safeParse({}).success).toBe(false);
    expect(monitorCommandSchemas.length).toBeGreaterThan(0);
  });
});

describe('the assignment on the wire', () => {
  const codec = new Codec({ clusterId: 'test', key: 'k'.repeat(32) });
  const envelope = { v: 1, clusterId: 'test', nodeId: 'm', term: 3, ts: Date.now() };
  it('10,000 ids of the largest size fit in one answer (under the transport request limit) and decode', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => Number.MAX_SAFE_INTEGER - i);
    const msg = { ...envelope, type: 'CheckReportResponse', accepted: 5, assign: { version: assignVersion(ids), ids } } as unknown as Message;
    const bytes = codec.encode(msg);
    expect(bytes.length).toBeLessThan(Limits.maxRequestBytes); // the strictest frame limit (answers may be 32 MiB)
    const back = codec.decode(bytes, Limits.maxFrameBytes);
    expect(back.ok).toBe(true);
    if (back.ok && back.msg.type === 'CheckReportResponse') expect(back.msg.assign?.ids).toHaveLength(10_000);
  });

  it('refuses a forged answer with 100,000 ids, a long version, or a bad load in a report', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => i + 1);
    const big = codec.decode(codec.encode({ ...envelope, type: 'CheckReportResponse', accepted: 0, assign: { version: 'v', ids } } as unknown as Message), Limits.maxFrameBytes);
    expect(big).toMatchObject({ ok: false, reason: DropReason.BadShape });
    const longVersion = codec.decode(codec.encode({ ...envelope, type: 'CheckReportResponse', accepted: 0, assign: { version: 'v'.repeat(65), ids: [1] } } as unknown as Message), Limits.maxFrameBytes);
    expect(longVersion).toMatchObject({ ok: false, reason: DropReason.BadShape });
    const report = { ...envelope, type: 'CheckReport', location: 'x', referenceOk: true, results: [] };
    expect(codec.decode(codec.encode({ ...report, assignVersion: '3-abc', load: { lagP99Ms: 5, cpu: 0.2, utilisation: 0.5, demand: 0.6 } } as unknown as Message), Limits.maxRequestBytes).ok).toBe(true);
    expect(codec.decode(codec.encode({ ...report, load: { lagP99Ms: 5, cpu: 0.2, utilisation: 1.5 } } as unknown as Message), Limits.maxRequestBytes)).toMatchObject({ ok: false, reason: DropReason.BadShape });
    expect(codec.decode(codec.encode({ ...report, load: { lagP99Ms: -1, cpu: 0.2, utilisation: 0.5 } } as unknown as Message), Limits.maxRequestBytes)).toMatchObject({ ok: false, reason: DropReason.BadShape });
  });
});

describe('load', () => {
  async function measure(n: number, probeMs: number, concurrency: number): Promise<ReturnType<CheckScheduler['load']>> {
    const s = new CheckScheduler({ runProbe: () => new Promise((r) => setTimeout(() => r({ ok: true, responseTime: probeMs, attempts: 1 }), probeMs)), onResult: () => {}, concurrency, timeScale: 0.01 });
    s.setChecks(checks(n));
    const started = Date.now();
    // bounded: wait on the scheduler's own count of started rounds, at most 5 s
    while (s.stats().startedTotal < 30 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    const l = s.load();
    s.stop();
    return l;
  }

  it('a saturated scheduler reads utilisation ~1 and demand well above 1; an idle one reads little', async () => {
    // 10 checks every 50 ms, each probe 20 ms, one slot: 4 slots of work offered
    const hot = await measure(10, 20, 1);
    expect(hot.utilisation).toBeGreaterThan(0.8);
    expect(hot.demand).toBeGreaterThan(2);
    expect(hot.lagP99Ms).toBeGreaterThan(20);
    // 2 checks every 50 ms, 2 ms probes, 8 slots: ~1 % busy
    const cold = await measure(2, 2, 8);
    expect(cold.utilisation).toBeLessThan(0.2);
    expect(cold.demand).toBeLessThan(0.3);
  });

  it('farm needed = max(K when there are checks, ceil(demand / 0.7)); worst lag and cpu', () => {
    const l = (lag: number, cpu: number, u: number, d?: number) => ({ lagP99Ms: lag, cpu, utilisation: u, ...(d !== undefined ? { demand: d } : {}) });
    expect(farmLoadOf([l(10, 0.2, 0.3), l(900, 0.5, 0.4), null], 3, 0, 3, 5)).toMatchObject({ pool: 3, lagP99Ms: 900, cpu: 0.5, utilisation: 0.7, needed: 3 });
    expect(farmLoadOf([l(5000, 0.9, 1, 4), l(10, 0.2, 1, 3.1)], 1, 1, 2, 5)).toMatchObject({ pool: 2, home: 1, guests: 1, utilisation: 2, demand: 7.1, needed: 11 });
    expect(farmLoadOf([], 0, 0, 3, 0).needed).toBe(0);
    expect(farmLoadOf([l(0, 0, 0.1)], 4, 0, 0, 1).needed).toBe(4); // K=0: every location is needed
  });
});
