// Monitoring on the other views: the board shows each server's worst verdict in its row, beside the
// reservation status, with a tooltip listing the checks; the cluster view lists each location's last report.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import App from '../../../renderer/src/App.vue';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, rig, smallBoard, until } from '../helpers.js';
import type { FakeApi } from '../../../renderer/src/api/fake-api.js';
import { addCheck, httpCheck, loc, settle } from './monitor-fixtures.js';

let wrapper: VueWrapper | null = null;
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});
/** node-b19c's name in the demo cluster (its user) */
const NODE_B = 'alice';

/** The app on `tab` over a fake whose monitoring `build` set up through the fake's own methods. */
async function open(tab: string, build: (api: FakeApi) => Promise<void>) {
  history.replaceState(null, '', `#${tab}`);
  const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => NOW });
  await build(r.api);
  await settle(r.api);
  wrapper = mountIn(r, App);
  await until(() => expect(r.api.calls.some((c) => c.method === 'listChecks')).toBe(true));
  return { ...r, w: wrapper };
}

describe('the board', () => {
  it("shows a server's worst verdict in its row next to the reservation status, with the checks in a tooltip", async () => {
    const ids: number[] = [];
    const { w, api } = await open('board', async (api) => {
      for (const [name, server, verdict] of [
        ['api', 'mid-02', 'UP'],
        ['ping', 'mid-02', 'DOWN'],
        ['db', 'db-03', 'PARTIAL'],
        ['alone', null, 'DOWN'],
      ] as const) {
        const id = await addCheck(api, httpCheck(name, { server }));
        api.commitVerdict(id, 'UNKNOWN', verdict);
        ids.push(id);
      }
    });
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
    api.commitVerdict(ids[1]!, 'DOWN', 'UP');
    await until(() => expect(w.get('tr[data-host="mid-02"] [data-test="server-verdict"]').attributes('data-verdict')).toBe('UP'));
  });
});

describe('the cluster view', () => {
  it("lists each location's last report: its label, the node by name, its age and checks", async () => {
    const { w } = await open('cluster', async (api) => {
      const one = await addCheck(api, httpCheck('one'));
      api.commitVerdict(one, 'UNKNOWN', 'PARTIAL', [loc('node-a7f3', 'lab-a', NOW, 4_000), loc('node-b19c', 'lab-b', NOW, 300_000, 'DOWN'), loc('remote-1', 'paris', NOW, 20_000)]);
      const two = await addCheck(api, httpCheck('two'));
      api.commitVerdict(two, 'UNKNOWN', 'DOWN', [loc('node-a7f3', 'lab-a', NOW, 2_000, 'DOWN')]);
    });
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
    const { w } = await open('cluster', async (api) => {
      await addCheck(api, httpCheck('quiet'));
    });
    await until(() => expect(w.find('[data-test="no-location-reports"]').exists()).toBe(true));
  });
});
