// The loan decisions (loan-policy.ts): saturation with sustain and hysteresis, how many to ask and
// whom first, the lender's grant and its refusals, return/recall, and lease renew/expiry.
import { describe, expect, it } from 'vitest';
import {
  SaturationDetector,
  badRequestCount,
  leaseAction,
  lenderGrant,
  newest,
  orderNeighbours,
  shouldRecall,
  shouldReturn,
  workersToAsk,
  type LendCandidate,
  type NeighbourChoice,
} from '../../../node-core/src/loans/loan-policy.js';

const T = { lagMs: 1000, cpu: 0.8, sustainMs: 30_000 };

describe('SaturationDetector', () => {
  it('is saturated only after the load stayed over a threshold for sustainMs', () => {
    const d = new SaturationDetector(T);
    d.update(0, { lagP99Ms: 1500, cpu: 0.1 });
    expect(d.saturated(0)).toBe(false);
    d.update(29_999, { lagP99Ms: 1500, cpu: 0.1 });
    expect(d.saturated(29_999)).toBe(false);
    d.update(30_000, { lagP99Ms: 10, cpu: 0.9 });
    expect(d.saturated(30_000)).toBe(true);
  });

  it('one sample under the thresholds restarts the sustain clock', () => {
    const d = new SaturationDetector(T);
    d.update(0, { lagP99Ms: 1500, cpu: 0 });
    d.update(20_000, { lagP99Ms: 999, cpu: 0 });
    d.update(25_000, { lagP99Ms: 1500, cpu: 0 });
    expect(d.saturated(50_000)).toBe(false);
    expect(d.saturated(55_000)).toBe(true);
  });

  it('relaxes only under half of both thresholds (hysteresis), sustained', () => {
    const d = new SaturationDetector(T);
    d.update(0, { lagP99Ms: 600, cpu: 0.1 }); // under the threshold, over half: neither
    expect(d.saturated(40_000)).toBe(false);
    expect(d.relaxed(40_000)).toBe(false);
    d.update(1000, { lagP99Ms: 400, cpu: 0.5 }); // cpu over half
    expect(d.relaxed(50_000)).toBe(false);
    d.update(2000, { lagP99Ms: 400, cpu: 0.3 });
    expect(d.relaxed(31_999)).toBe(false);
    expect(d.relaxed(32_000)).toBe(true);
    d.update(33_000, { lagP99Ms: 2000, cpu: 0 });
    expect(d.relaxed(90_000)).toBe(false);
  });
});

describe('workersToAsk', () => {
  it('asks max(1, needed - pool), within loanMaxWorkers', () => {
    expect(workersToAsk({ needed: 5, pool: 3, borrowed: 0, maxWorkers: 8 })).toBe(2);
    expect(workersToAsk({ needed: 3, pool: 3, borrowed: 0, maxWorkers: 8 })).toBe(1);
    expect(workersToAsk({ needed: 30, pool: 3, borrowed: 6, maxWorkers: 8 })).toBe(2);
    expect(workersToAsk({ needed: 30, pool: 3, borrowed: 8, maxWorkers: 8 })).toBe(0);
    expect(workersToAsk({ needed: 1000, pool: 0, borrowed: 0, maxWorkers: 1000 })).toBe(64);
  });
});

describe('orderNeighbours', () => {
  const n = (key: string, o: Partial<NeighbourChoice>): NeighbourChoice => ({ key, source: 'lan', configIndex: 0, up: true, trusted: false, borrowedFrom: 0, penaltyUntil: 0, ...o });
  it('configured first in their order, then LAN trusted first, then fewest borrowed; down ones never; penalised last', () => {
    const list = [
      n('lan-untrusted', {}),
      n('lan-busy', { trusted: true, borrowedFrom: 3 }),
      n('lan-free', { trusted: true, borrowedFrom: 0 }),
      n('cfg-2', { source: 'config', configIndex: 1 }),
      n('cfg-1', { source: 'config', configIndex: 0 }),
      n('down', { up: false, source: 'config', configIndex: -1 }),
      n('nacked', { source: 'config', configIndex: -2, penaltyUntil: 10_000 }),
    ];
    expect(orderNeighbours(list, 5000).map((x) => x.key)).toEqual(['cfg-1', 'cfg-2', 'lan-free', 'lan-busy', 'lan-untrusted', 'nacked']);
    // the penalty ends
    expect(orderNeighbours(list, 10_000)[0]!.key).toBe('nacked');
  });
});

describe('lenderGrant', () => {
  const c = (nodeId: string, o: Partial<LendCandidate> = {}): LendCandidate => ({ nodeId, name: nodeId, alive: true, master: false, maintenance: false, lent: false, lendable: true, assigned: 0, ...o });
  const farm = [c('m', { master: true }), c('a', { assigned: 5 }), c('b', { assigned: 1 }), c('maint', { maintenance: true }), c('desk', { lendable: false }), c('lent', { lent: true }), c('dead', { alive: false })];

  it('never the master, a node in maintenance, a desktop (lendable=false), a lent or dead node; least busy first', () => {
    const g = lenderGrant(5, farm, 10, 0);
    expect(g).toEqual({ ok: true, workers: [farm[2], farm[1]] });
  });

  it('never below its own needs', () => {
    expect(lenderGrant(5, farm, 4, 3)).toMatchObject({ ok: true, workers: [{ nodeId: 'b' }] });
    expect(lenderGrant(5, farm, 3, 3)).toEqual({ ok: false, reason: 'this farm needs all its workers for its own load' });
    expect(lenderGrant(1, [c('m', { master: true })], 5, 0)).toMatchObject({ ok: false, reason: expect.stringContaining('no lendable worker') });
  });

  it('refuses 0, negatives, fractions, a million, strings and NaN with a reason', () => {
    for (const bad of [0, -1, 2.5, 1e6, 65, '5', Number.NaN, null, undefined, Number.POSITIVE_INFINITY]) {
      const g = lenderGrant(bad, farm, 10, 0);
      expect(g.ok, String(bad)).toBe(false);
      expect(badRequestCount(bad)).toMatch(/WORKERS_NEEDED/);
    }
    expect(badRequestCount(64)).toBeNull();
    expect(badRequestCount(1)).toBeNull();
  });
});

describe('return, recall, lease', () => {
  it('returns only when relaxed and the pool minus one still covers the need', () => {
    expect(shouldReturn({ relaxed: true, pool: 5, needed: 4, borrowed: 2 })).toBe(true);
    expect(shouldReturn({ relaxed: true, pool: 5, needed: 5, borrowed: 2 })).toBe(false);
    expect(shouldReturn({ relaxed: false, pool: 9, needed: 1, borrowed: 2 })).toBe(false);
    expect(shouldReturn({ relaxed: true, pool: 9, needed: 1, borrowed: 0 })).toBe(false);
  });

  it('recalls when its own farm saturates or no longer covers its needs', () => {
    expect(shouldRecall({ lent: 1, saturated: true, home: 5, neededOwn: 1 })).toBe(true);
    expect(shouldRecall({ lent: 1, saturated: false, home: 2, neededOwn: 3 })).toBe(true);
    expect(shouldRecall({ lent: 1, saturated: false, home: 3, neededOwn: 3 })).toBe(false);
    expect(shouldRecall({ lent: 0, saturated: true, home: 0, neededOwn: 3 })).toBe(false);
  });

  it('renews with less than half left when heard within 3 heartbeats; expires at until', () => {
    const base = { leaseMs: 600_000, heartbeatMs: 2000 };
    expect(leaseAction({ ...base, until: 1_000_000, now: 500_000, heardAt: 499_000 })).toBe('keep');
    expect(leaseAction({ ...base, until: 1_000_000, now: 800_000, heardAt: 795_000 })).toBe('renew');
    expect(leaseAction({ ...base, until: 1_000_000, now: 800_000, heardAt: 793_999 })).toBe('keep');
    expect(leaseAction({ ...base, until: 1_000_000, now: 800_000, heardAt: null })).toBe('keep');
    expect(leaseAction({ ...base, until: 1_000_000, now: 1_000_000, heardAt: 1_000_000 })).toBe('expire');
  });

  it('picks the newest loan', () => {
    expect(newest([{ id: 'a', since: 1 }, { id: 'c', since: 3 }, { id: 'b', since: 3 }])?.id).toBe('c');
    expect(newest([])).toBeNull();
  });
});
