// Monitoring on the other views: the board shows each server's worst verdict in its row, beside the
// reservation status, with a tooltip listing the checks; the cluster view lists each location's last report.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import App from '../../../renderer/src/App.vue';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, rig, smallBoard, until } from '../helpers.js';
import { check, withMonitoring } from './monitor-stub.js';

let wrapper: VueWrapper | null = null;
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});
const iso = (ms: number): string => new Date(ms).toISOString();
/** node-b19c's name in the demo cluster (its user) */
const NODE_B = 'alice';

async function open(tab: string, checks: ReturnType<typeof check>[]) {
  history.replaceState(null, '', `#${tab}`);
  const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => NOW });
  const mon = withMonitoring(r.api, { checks });
  wrapper = mountIn(r, App);
  await until(() => expect(r.api.calls.some((c) => c.method === 'listChecks')).toBe(true));
  return { ...r, w: wrapper, mon };
}

describe('the board', () => {
  it("shows a server's worst verdict in its row next to the reservation status, with the checks in a tooltip", async () => {
    const { w, api, mon } = await open('board', [
      check(1, { name: 'api', server: 'mid-02', verdict: 'UP' }),
      check(2, { name: 'ping', server: 'mid-02', verdict: 'DOWN' }),
      check(3, { name: 'db', server: 'db-03', verdict: 'PARTIAL' }),
      check(4, { name: 'alone', server: null, verdict: 'DOWN' }),
    ]);
    await until(() => expect(w.findAll('[data-test="server-verdict"]')).toHaveLength(2));
    const mid = w.get('tr[data-host="mid-02"] .status-cell');
    expect(mid.get('[data-status]').text()).toBe('Reserved');
    const badge = mid.get('[data-test="server-verdict"]');
    expect(badge.attributes('data-verdict')).toBe('DOWN');
    expect(badge.text()).toContain('Down');
    expect(badge.attributes('title')).toBe('ping: Down\napi: Up');
    expect(mid.text()).toContain('monitoring');
    expect(w.get('tr[data-host="db-03"] [data-test="server-verdict"]').attributes('data-verdict')).toBe('PARTIAL');
    // a server without checks shows no verdict
    expect(w.find('tr[data-host="web-01"] [data-test="server-verdict"]').exists()).toBe(false);
    // a committed verdict change reaches the row
    mon.checks = mon.checks.map((c) => (c.id === 2 ? { ...c, verdict: 'UP' as const } : c));
    const alert = { id: 9, change: { checkId: 2, name: 'ping', server: 'mid-02', verdict: 'UP' as const, previous: 'DOWN' as const, at: iso(NOW), locations: [] }, muted: false, deliveries: [] };
    api.emit({ type: 'verdict', alert });
    await until(() => expect(w.get('tr[data-host="mid-02"] [data-test="server-verdict"]').attributes('data-verdict')).toBe('UP'));
  });
});

describe('the cluster view', () => {
  it("lists each location's last report: its label, the node by name, its age and checks", async () => {
    const l = (nodeId: string, location: string, ago: number, status: 'UP' | 'DOWN' = 'UP') => ({ nodeId, location, status, responseTime: 5, lastChecked: iso(NOW - ago), error: null });
    const { w } = await open('cluster', [
      check(1, { locations: [l('node-a7f3', 'lab-a', 4_000), l('node-b19c', 'lab-b', 300_000, 'DOWN'), l('remote-1', 'paris', 20_000)] }),
      check(2, { locations: [l('node-a7f3', 'lab-a', 2_000, 'DOWN')] }),
    ]);
    await until(() => expect(w.findAll('.locations tr[data-location]')).toHaveLength(3));
    const rows = w.findAll('.locations tr[data-location]');
    expect(rows.map((r) => r.attributes('data-location'))).toEqual(['lab-a', 'lab-b', 'paris']);
    expect(rows[0]!.get('[data-test="last-report"]').text()).toBe('just now');
    expect(rows[0]!.text()).toContain('2 · 1 down');
    expect(rows[0]!.text()).toContain('(this node)');
    expect(rows[1]!.get('[data-test="last-report"]').text()).toBe('5 min ago');
    expect(rows[1]!.findAll('td')[0]!.text()).toBe(NODE_B);
    expect(rows[2]!.text()).toContain('remote instance');
  });

  it('says so when no location has reported', async () => {
    const { w } = await open('cluster', [check(1)]);
    await until(() => expect(w.find('[data-test="no-location-reports"]').exists()).toBe(true));
  });
});
