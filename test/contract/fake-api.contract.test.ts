// The PeerApi contract run against the renderer's demo API: it passes because it runs the real board
// state machine (node-core/src/board) behind node-core's board service, not a copy of the rules.
import { describe, expect, it, vi } from 'vitest';
import type { PeerEvent } from '../../node-core/src/api/peer-api.js';
import { createDemoApi, FakeApi } from '../../renderer/src/api/fake-api.js';
import { emptyBoard } from '../../renderer/src/api/demo-data.js';
import { peerApiContract } from './peer-api.contract.js';

peerApiContract('FakeApi (renderer demo mode)', async () => {
  const api = new FakeApi({ board: emptyBoard(Date.now()) });
  return { api, close: async () => undefined, commitVerdict: async (id, prev, next) => void api.commitVerdict(id, prev, next), startLoan: async (cmd) => void api.startLoan(cmd.loan) };
});

describe('FakeApi demo mode: monitoring committed through the real board', () => {
  it('seeds checks whose verdicts come from committed verdict changes, a muted alert, hidden secrets and a chart series', async () => {
    const api = createDemoApi(undefined, 0);
    const checks = await api.listChecks();
    if (!checks.ok) throw new Error(checks.error.message);
    expect(checks.value.map((c) => [c.name, c.verdict])).toEqual([
      ['api', 'DOWN'],
      ['web', 'PARTIAL'],
      ['db', 'UP'],
      ['dns', 'UP'],
      ['batch', 'DOWN'],
    ]);
    // uptime follows the committed timeline: api was down for the last 40 minutes of 24 h
    expect(checks.value[0]!.uptime24h).toBeCloseTo(1 - 40 / 1440, 2);
    const alerts = await api.listAlerts(3);
    expect(alerts.ok && alerts.value.map((a) => [a.change.name, a.change.verdict, a.muted])).toEqual([
      ['web', 'PARTIAL', false],
      ['api', 'DOWN', false],
      ['batch', 'DOWN', true], // its server is in maintenance
    ]);
    const targets = await api.listNotifications();
    expect(targets.ok && targets.value.map((t) => t.hasSecret)).toEqual([true, false]);
    expect(JSON.stringify(targets)).not.toContain('demo-secret');
    const series = await api.checkSeries(1, 2);
    if (!series.ok) throw new Error(series.error.message);
    expect(series.value.points.length).toBeGreaterThan(100);
    expect(series.value.points.length).toBeLessThanOrEqual(500);
    // the last 40 minutes are DOWN: those points fail
    expect(series.value.points.at(-1)).toMatchObject({ ok: false });
    expect(series.value.points[0]).toMatchObject({ ok: true });
    // a write on the board keeps monitoring (the fake restores the board's rows with it)
    const s = await api.reserve({ host: 'srv-0001', user: 'dana', durationSec: 60 });
    expect(s.ok).toBe(true);
    expect((await api.listChecks()).ok && ((await api.listChecks()) as { value: unknown[] }).value).toHaveLength(5);
  });

  it('commitVerdict on a check of a server in maintenance records a muted alert and pushes it', async () => {
    const api = new FakeApi({ board: emptyBoard(Date.now()) });
    await api.addServer({ host: 'web-1' });
    await api.setMaintenance('web-1', true);
    const c = await api.addCheck({ name: 'api', type: 'tcp', target: '127.0.0.1:9', intervalSec: 60, timeoutMs: 1000, retries: 0, server: 'web-1', enabled: false });
    if (!c.ok) throw new Error(c.error.message);
    const events: PeerEvent[] = [];
    api.subscribe((e) => events.push(e));
    const alert = api.commitVerdict(c.value.id, 'UNKNOWN', 'DOWN');
    expect(alert).toMatchObject({ muted: true, deliveries: [] });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'verdict' && e.alert.id === alert.id)).toBe(true), { timeout: 2000 });
    expect(() => api.commitVerdict(c.value.id, 'UNKNOWN', 'UP')).toThrow(/verdict of check/);
  });
});
