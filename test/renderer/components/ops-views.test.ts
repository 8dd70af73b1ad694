// Issue 14 in the views, over the fake node: the header names the master; the Cluster view names
// nodes and never says "just now" for an unreachable one; History hides bookkeeping rows unless
// asked, offers every operation, names nodes and gives an import its own column; counts are
// pluralised; the import panel refuses what the node refuses.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import type { FakeApiOptions } from '../../../renderer/src/api/fake-api.js';
import App from '../../../renderer/src/App.vue';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, NOW_SEC, rig, smallBoard, until } from '../helpers.js';

let wrapper: VueWrapper | null = null;
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function open(tab: string, opts: FakeApiOptions = { board: smallBoard(demoBoard(NOW)) }) {
  history.replaceState(null, '', `#${tab}`);
  const r = rig(opts);
  wrapper = mountIn(r, App);
  const w = wrapper;
  await until(() => expect(r.api.calls.some((c) => c.method === 'getState')).toBe(true));
  return { ...r, w };
}

function namedBoard() {
  const board = smallBoard(demoBoard(NOW));
  board.clusterView = board.clusterView.map((n, i) => ({ ...n, name: ['Dana’s laptop', 'Lab rack A', 'bob@build7', 'CI runner'][i]! }));
  board.leader = { ...board.leader!, nodeId: 'node-b19c', nodeIP: '192.168.1.11', name: 'Lab rack A' };
  return board;
}

describe('names', () => {
  it('the header says who the master is, by name, and "No master" without one', async () => {
    const board = namedBoard();
    const { w, api } = await open('board', { board });
    await until(() => expect(w.get('[data-test="header-master"]').text()).toBe('Master: Lab rack A'));
    api.board.leader = null;
    api.emit({ type: 'cluster', clusterView: api.board.clusterView, leader: null, quorum: false, stale: true });
    await until(() => expect(w.get('[data-test="header-master"]').text()).toBe('No master'));
  });

  it('the Cluster view shows names; an unreachable node heard 10 s ago says so, never "just now"', async () => {
    const board = namedBoard();
    board.clusterView = board.clusterView.map((n) => (n.nodeId === 'node-c4e0' ? { ...n, reachable: false, lastHeartbeat: NOW - 10_000 } : { ...n, reachable: true }));
    const { w } = await open('cluster', { board, now: () => NOW });
    await until(() => expect(w.findAll('tr[data-node]')).toHaveLength(4));
    expect(w.findAll('[data-test="node-name"]').map((n) => n.text())).toEqual(['Dana’s laptop', 'Lab rack A', 'bob@build7', 'CI runner']);
    expect(w.get('[data-test="cluster-master"]').text()).toBe('master Lab rack A');
    const bob = w.get('tr[data-node="node-c4e0"]');
    expect(bob.get('[data-test="last-heard"]').text()).toMatch(/^last heard 1\d s ago$/);
    expect(bob.text()).not.toContain('just now');
    // a node never heard from says so
    const never = namedBoard();
    never.clusterView = never.clusterView.map((n) => (n.nodeId === 'node-c4e0' ? { ...n, reachable: false, lastHeartbeat: 0 } : n));
    wrapper?.unmount();
    const again = await open('cluster', { board: never, now: () => NOW });
    await until(() => expect(again.w.get('tr[data-node="node-c4e0"] [data-test="last-heard"]').text()).toBe('never heard'));
  });
});

describe('history', () => {
  function withSystemRows() {
    const board = namedBoard();
    const base = { nodeIP: '192.168.1.11', serverHost: '', comment: '', user: 'dana', nodeId: 'node-b19c', result: 'ok' as const };
    board.history.unshift(
      { ...base, id: 203, timestamp: NOW_SEC - 10, operation: 'servers-import', details: { added: 3, updated: 1, removed: 0 } },
      { ...base, id: 202, timestamp: NOW_SEC - 20, operation: 'user-register' },
      { ...base, id: 201, timestamp: NOW_SEC - 30, operation: 'cluster-register', nodeName: 'Old name kept in the row' },
      { ...base, id: 200, timestamp: NOW_SEC - 40, operation: 'grant', serverHost: 'web-01', user: 'erin', nodeId: 'node-gone', nodeIP: '10.9.9.9' },
    );
    return board;
  }

  it('hides system rows unless asked, and offers every operation including grant', async () => {
    const { w, api } = await open('history', { board: withSystemRows() });
    await until(() => expect(w.findAll('tr[data-id]').length).toBeGreaterThan(0));
    expect(api.calls.find((c) => c.method === 'history')?.args[0]).toMatchObject({ system: false });
    const ops = () => w.findAll('tr[data-id]').map((r) => r.findAll('td')[2]!.text());
    expect(ops()).not.toContain('user-register');
    expect(ops()).not.toContain('cluster-register');
    expect(ops()).toContain('grant');
    await w.get('[data-test="history-system"]').setValue(true);
    await until(() => expect(ops()).toContain('user-register'));
    expect(api.calls.at(-1)?.args[0]).not.toHaveProperty('system');
    const options = w.findAll('select[name="operation"] option').map((o) => o.attributes('value'));
    for (const op of ['reserve', 'release', 'extend', 'queue', 'unqueue', 'grant', 'expire', 'maintenance', 'server-add', 'server-update', 'server-remove', 'servers-import', 'user-register', 'cluster-register', 'serving']) {
      expect(options).toContain(op);
    }
  });

  it('names the node of every row (its name, else the name the view knows, else the address) and gives an import its own column', async () => {
    const { w } = await open('history', { board: withSystemRows() });
    await until(() => expect(w.find('tr[data-id="203"]').exists()).toBe(true));
    const row = (id: number) => w.get(`tr[data-id="${id}"]`);
    expect(row(203).get('[data-test="history-node"]').text()).toBe('Lab rack A');
    expect(row(203).get('[data-test="history-changes"]').text()).toBe('3 added, 1 updated, 0 removed');
    expect(row(203).findAll('td')[3]!.text()).toBe('—');
    expect(row(200).get('[data-test="history-node"]').text()).toBe('10.9.9.9'); // a node the view no longer knows
    for (const r of w.findAll('tr[data-id]')) if (r.attributes('data-id')! < '200') expect(r.get('[data-test="history-node"]').text()).not.toMatch(/^192\.168\./);
    expect(w.get('thead').text()).toMatch(/Time \(.+\)/);
    await w.get('[data-test="history-system"]').setValue(true);
    await until(() => expect(w.find('tr[data-id="201"]').exists()).toBe(true));
    expect(row(201).get('[data-test="history-node"]').text()).toBe('Old name kept in the row');
  });

  it('pluralises the count', async () => {
    const board = namedBoard();
    board.history = board.history.slice(0, 1);
    const { w } = await open('history', { board });
    await until(() => expect(w.get('[data-test="history-span"]').text()).toBe('1–1 of 1 entry'));
  });
});

describe('admin', () => {
  it('import refuses a bare list and unknown fields, like the node; counts are pluralised', async () => {
    const { w } = await open('admin');
    await until(() => expect(w.findAll('tr[data-host]')).toHaveLength(6));
    expect(w.get('#inv-title').text()).toBe('Inventory (6 servers)');
    const ta = w.get('form.import textarea');
    const err = () => w.get('[data-test="import-error"]').text();
    await ta.setValue('[{"host": "a"}]');
    expect(err()).toMatch(/not a bare list/);
    await ta.setValue('{"serversList": [{"host": "a", "hostname": "typo"}]}');
    expect(err()).toBe('Entry 1 (a): unknown field "hostname" (known: host, app, ip, env, comment, maintenance).');
    await ta.setValue('{"serversList": [{"host": "a"}], "extra": 1}');
    expect(err()).toMatch(/Unknown field "extra"/);
    await ta.setValue('{"serversList": [{"host": "only-host"}]}');
    expect(w.text()).toContain('1 server ready to import.');
  });

  it('the maintenance dialog refuses a reason over 200 characters (the input also stops at 200)', async () => {
    const { w, api } = await open('admin');
    await until(() => expect(w.findAll('tr[data-host]')).toHaveLength(6));
    await w.get('tr[data-host="web-01"] input[role="switch"]').setValue(true);
    const input = w.get('[data-test="maintenance-reason"]');
    expect(input.attributes('maxlength')).toBe('200');
    expect(input.attributes('placeholder')).toMatch(/^e\.g\. /);
    await input.setValue('r'.repeat(201));
    await w.get('[role="dialog"] .btn-primary').trigger('click');
    await until(() => expect(w.get('[role="dialog"] [role="alert"]').text()).toBe('The reason is 201 characters; at most 200.'));
    expect(api.calls.some((c) => c.method === 'setMaintenance')).toBe(false);
  });
});
