// MonitorNode's own view of a check's locations: the master shows its live table; a follower shows the
// last committed locations with its own newest result in its place (it has no live table of the others).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyMonitoring } from '../../../node-core/src/monitoring/board-monitoring.js';
import { MonitorNode } from '../../../node-core/src/monitoring/monitor-node.js';
import type { CheckDef, CheckResult, LocationResult } from '../../../node-core/src/monitoring/types.js';
import { silentLogger } from '../../../node-core/src/log.js';

const check: CheckDef = { id: 1, name: 'api', type: 'tcp', target: 'db:5432', server: null, intervalSec: 5, timeoutMs: 1000, retries: 0, enabled: true, createdAt: 0, updatedAt: 0, createdBy: 'admin' };
const committed: LocationResult[] = [
  { nodeId: 'a', location: 'lab-a', status: 'DOWN', responseTime: 5, lastChecked: new Date(1000).toISOString(), error: 'refused' },
  { nodeId: 'me', location: 'lab-me', status: 'DOWN', responseTime: 5, lastChecked: new Date(1000).toISOString(), error: 'refused' },
];

function node(master: boolean, sendReport: (leader: string, location: string, ok: boolean, results: unknown[]) => Promise<boolean> = async () => true) {
  let emit: ((r: CheckResult, c: CheckDef) => void) | null = null;
  const m = emptyMonitoring();
  m.checks.set(1, check);
  const mon = new MonitorNode(
    {
      nodeId: 'me',
      location: 'lab-me',
      log: silentLogger(),
      now: () => 10_000,
      isMaster: () => master,
      canPropose: () => false,
      leaderId: () => (master ? 'me' : 'a'),
      monitoring: () => m,
      submit: async () => undefined,
      sendReport,
    },
    {
      createScheduler: (onResult) => {
        emit = onResult;
        return { setChecks() {}, pause() {}, resume() {}, stop() {}, stats: () => ({ running: 0, queued: 0, lagP50: 0, lagP99: 0, lagMax: 0, checks: 1, startedTotal: 0 }) };
      },
      store: null,
      deliver: async () => ({ ok: true, status: 200 }),
      nextRetryDelayMs: () => 1000,
      maxAttempts: 3,
    },
  );
  mon.start();
  return { mon, result: (status: 'UP' | 'DOWN', at: number, checkId = 1) => emit!({ checkId, at, ok: status === 'UP', responseTime: 7, lagMs: 0, status }, check) };
}

describe('MonitorNode.locationsOf', () => {
  it('a follower shows the committed locations with its own newest result', () => {
    const { mon, result } = node(false);
    expect(mon.locationsOf(check, committed).map((l) => [l.nodeId, l.status])).toEqual([
      ['a', 'DOWN'],
    ]);
    result('UP', 5000);
    const locs = mon.locationsOf(check, committed);
    expect(locs.map((l) => [l.nodeId, l.status, l.lastChecked])).toEqual([
      ['a', 'DOWN', new Date(1000).toISOString()],
      ['me', 'UP', new Date(5000).toISOString()],
    ]);
    mon.stop();
  });

  it('the master shows its live table', () => {
    const { mon } = node(true);
    mon.ingest('a', 'lab-a', true, [{ checkId: 1, nodeId: 'a', location: 'lab-a', status: 'UP', responseTime: 3, at: 9000, error: null }]);
    expect(mon.locationsOf(check, committed).map((l) => [l.nodeId, l.status, l.voting])).toEqual([['a', 'UP', true]]);
    mon.stop();
  });
});

describe('MonitorNode reports', () => {
  afterEach(() => vi.useRealTimers());
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };

  it('a location sends a status change at once, and unchanged results only with the periodic report', async () => {
    // fake timers: the periodic report runs only when the test advances the clock
    vi.useFakeTimers();
    const sent: number[][] = [];
    const { mon, result } = node(false, async (_leader, _location, _ok, results) => {
      sent.push((results as Array<{ checkId: number }>).map((r) => r.checkId));
      return true;
    });
    // 50 checks, 4 rounds each, always UP: nothing urgent (this sent one report per result before)
    for (let round = 0; round < 4; round++) {
      for (let id = 1; id <= 50; id++) {
        result('UP', 1000 * round + id, id);
        await settle();
      }
    }
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.length).toBe(1);
    expect(sent[0]!.length).toBe(50);
    // a status change goes out at once, alone
    result('DOWN', 9000, 7);
    await settle();
    expect(sent.length).toBe(2);
    expect(sent[1]).toEqual([7]);
    // the same status again: not urgent
    result('DOWN', 9500, 7);
    result('UP', 9500, 8);
    await settle();
    expect(sent.length).toBe(2);
    // a new check's first result: urgent only when it is DOWN
    result('UP', 9600, 51);
    await settle();
    expect(sent.length).toBe(2);
    result('DOWN', 9700, 52);
    await settle();
    expect(sent.length).toBe(3);
    expect(sent[2]!.sort((a, b) => a - b)).toEqual([7, 8, 51, 52]);
    mon.stop();
  });
});

describe('MonitorNode deliveries (master)', () => {
  it('sends a delivery once while its outcome is being committed, and forgets it once applied', async () => {
    const m = emptyMonitoring();
    m.checks.set(1, check);
    m.targets.set(1, { id: 1, type: 'webhook', url: 'http://127.0.0.1:9/hook', name: 'hook', createdAt: 0, createdBy: 'admin' });
    const change = { checkId: 1, name: 'api', server: null, verdict: 'DOWN' as const, previous: 'UP' as const, at: new Date(0).toISOString(), locations: [] };
    for (let id = 1; id <= 40; id++) m.alerts.push({ id, change, muted: false, notify: true, deliveries: [{ targetId: 1, state: 'pending', attempts: 0, lastError: null, lastAttemptAt: null }] });
    const delivered: number[] = [];
    const commits: Array<{ cmd: { alertId: number; ok: boolean; final: boolean }; done: () => void }> = [];
    const mon = new MonitorNode(
      {
        nodeId: 'me',
        location: 'lab-me',
        log: silentLogger(),
        now: () => 10_000,
        isMaster: () => true,
        canPropose: () => true,
        leaderId: () => 'me',
        monitoring: () => m,
        submit: (cmd) => new Promise<undefined>((resolve) => commits.push({ cmd: cmd as never, done: () => resolve(undefined) })),
        sendReport: async () => true,
      },
      { createScheduler: null, store: null, deliver: async (_t, alertId) => (delivered.push(alertId), { ok: true, status: 204 }), nextRetryDelayMs: () => 1000, maxAttempts: 3 },
    );
    const send = () => (mon as unknown as { sendDeliveries(): void }).sendDeliveries();
    const tracked = () => (mon as unknown as { deliveries: Map<string, number> }).deliveries.size;
    send();
    await vi.waitFor(() => expect(commits.length).toBe(40));
    // the outcomes are not applied yet: more passes (a verdict applied meanwhile, the next tick) send nothing again
    for (let i = 0; i < 5; i++) send();
    await Promise.resolve();
    expect(delivered.length).toBe(40);
    expect(commits.every((c) => c.cmd.ok && c.cmd.final)).toBe(true);
    // applied: the board says delivered; the node keeps no key for them
    for (const a of m.alerts) a.deliveries[0]!.state = 'delivered';
    for (const c of commits) c.done();
    send();
    expect(tracked()).toBe(0);
    expect(delivered.length).toBe(40);
    mon.stop();
  });
});
