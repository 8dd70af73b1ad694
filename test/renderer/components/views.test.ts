// Cluster, history, admin and the desktop first-run screen, over the fake node.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import type { FakeApiOptions } from '../../../renderer/src/api/fake-api.js';
import App from '../../../renderer/src/App.vue';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, rig, SETTINGS, smallBoard, until } from '../helpers.js';

let wrapper: VueWrapper | null = null;
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
  document.cookie = 'peerboard.user=; path=/; max-age=0';
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

describe('cluster view', () => {
  it('lists every node by name with role badge, user, last heard and voter; ids, addresses, terms and match indexes behind details', async () => {
    const { w } = await open('cluster');
    await until(() => expect(w.findAll('tr[data-node]')).toHaveLength(4));
    const roles = w.findAll('tr[data-node] [data-role]').map((b) => b.text());
    expect(roles).toEqual(['master', 'slave', 'slave', 'observer']);
    const bob = () => w.get('tr[data-node="node-c4e0"]');
    expect(bob().get('[data-test="node-name"]').text()).toBe('bob');
    expect(bob().text()).toContain('just now');
    for (const hidden of ['node-c4e0', '192.168.1.12:8777', '118']) expect(bob().text()).not.toContain(hidden);
    expect(w.find('[data-test="cluster-counters"]').exists()).toBe(false);
    const toggle = w.get('[data-test="cluster-details"]');
    expect(toggle.attributes('aria-pressed')).toBe('false');
    await toggle.trigger('click');
    expect(toggle.attributes('aria-pressed')).toBe('true');
    expect(bob().get('[data-test="node-id"]').text()).toBe('node-c4e0');
    expect(bob().text()).toContain('192.168.1.12:8777');
    expect(bob().text()).toContain('118');
    expect(w.get('[data-test="cluster-counters"]').text()).toMatch(/term \d+ · committed \d+, applied \d+/);
    expect(w.get('tr[data-node="node-d2b8"]').text()).toContain('No');
    expect(w.get('tr[data-node="node-a7f3"]').text()).toContain('(this node)');
  });

  it('promotes a node only after confirmation; the badges follow the events', async () => {
    const { w, api } = await open('cluster');
    await until(() => expect(w.findAll('tr[data-node]')).toHaveLength(4));
    expect(w.get('tr[data-node="node-a7f3"]').find('button').exists()).toBe(false); // the master
    expect(w.get('tr[data-node="node-d2b8"]').find('button').exists()).toBe(false); // not a voter
    await w.get('tr[data-node="node-b19c"] button').trigger('click');
    const dialog = w.get('[role="dialog"]');
    expect(dialog.text()).toContain('alice (192.168.1.11:8777)');
    expect(api.calls.some((c) => c.method === 'promote')).toBe(false);
    await dialog.findAll('button').find((b) => b.text() === 'Promote')!.trigger('click');
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false));
    expect(api.calls.find((c) => c.method === 'promote')?.args).toEqual(['node-b19c']);
    await until(() => expect(w.get('tr[data-node="node-b19c"] [data-role]').text()).toBe('master'));
    expect(w.get('header [data-role]').text()).toBe('slave');
  });

  it('marks a node the master reports unreachable, says when it was last heard, and offers no Promote', async () => {
    const board = smallBoard(demoBoard(NOW));
    // bob crashed 5 minutes ago: the master remembers when it last heard him
    board.clusterView = board.clusterView.map((n) => (n.nodeId === 'node-c4e0' ? { ...n, reachable: false, lastHeartbeat: NOW - 300_000, term: 0, matchIndex: 0 } : { ...n, reachable: true }));
    const { w } = await open('cluster', { board, now: () => NOW });
    await until(() => expect(w.findAll('tr[data-node]')).toHaveLength(4));
    const bob = w.get('tr[data-node="node-c4e0"]');
    expect(bob.find('[data-test="unreachable"]').exists()).toBe(true);
    expect(bob.get('[data-test="last-heard"]').text()).toBe('last heard 5 min ago');
    expect(bob.text()).not.toContain('never');
    await w.get('[data-test="cluster-details"]').trigger('click');
    expect(w.get('tr[data-node="node-c4e0"]').findAll('td').filter((td) => td.text() === '—')).toHaveLength(2); // term and match index unknown, not "0"
    expect(bob.find('button').exists()).toBe(false);
    // the others are reachable: no badge, and a voter can be promoted
    expect(w.findAll('[data-test="unreachable"]')).toHaveLength(1);
    expect(w.get('tr[data-node="node-b19c"]').find('button').exists()).toBe(true);
  });

  it('keeps the dialog open with the error when the promotion is refused', async () => {
    const { w, api } = await open('cluster');
    await until(() => expect(w.findAll('tr[data-node]')).toHaveLength(4));
    await w.get('tr[data-node="node-c4e0"] button').trigger('click');
    api.failNext('promote', { code: 'FORBIDDEN', message: 'promote needs admin rights; use the admin token' });
    await w.get('[role="dialog"] .btn-primary').trigger('click');
    await until(() => expect(w.get('[role="dialog"] [role="alert"]').text()).toContain('admin rights'));
  });
});

describe('history view', () => {
  it('shows the newest entries, filters and pages', async () => {
    const { w, api } = await open('history', { board: demoBoard(NOW) });
    await until(() => expect(w.findAll('tr[data-id]')).toHaveLength(25));
    expect(w.get('[data-test="history-span"]').text()).toBe('1–25 of 40 entries');
    expect(w.findAll('tr[data-id]')[0]?.attributes('data-id')).toBe('120');
    await w.findAll('.pager button').find((b) => b.text() === 'Older')!.trigger('click');
    await until(() => expect(w.get('[data-test="history-span"]').text()).toBe('26–40 of 40 entries'));
    await w.get('input[name="user"]').setValue('bob');
    await w.get('select[name="operation"]').setValue('release');
    await w.get('form[role="search"]').trigger('submit');
    await until(() => expect(api.calls.at(-1)?.args[0]).toEqual({ limit: 25, offset: 0, user: 'bob', operation: 'release' }));
    await until(() => expect(w.findAll('tr[data-id]').length).toBeGreaterThan(0));
    for (const r of w.findAll('tr[data-id]')) expect(r.text()).toMatch(/bob.*release/);
    await w.get('input[name="host"]').setValue('no-such-host');
    await w.get('form[role="search"]').trigger('submit');
    await until(() => expect(w.text()).toContain('Nothing matches these filters.'));
  });
});

describe('admin view', () => {
  it('adds a server, rejecting a bad host first', async () => {
    const { w, api } = await open('admin');
    await until(() => expect(w.findAll('tr[data-host]')).toHaveLength(6));
    const form = w.get('form.server-form');
    await form.get('input[name="host"]').setValue('bad host!');
    await form.trigger('submit');
    expect(form.get('[role="alert"]').text()).toMatch(/^Host:/);
    expect(api.calls.some((c) => c.method === 'addServer')).toBe(false);
    await form.get('input[name="host"]').setValue('new-07');
    await form.get('input[name="ip"]').setValue('10.1.1.7');
    await form.get('input[name="env"]').setValue('qa');
    await form.trigger('submit');
    await until(() => expect(w.findAll('tr[data-host]')).toHaveLength(7));
    expect(api.calls.find((c) => c.method === 'addServer')?.args[0]).toEqual({ host: 'new-07', app: '', ip: '10.1.1.7', env: 'qa', comment: '' });
  });

  it('import: bad JSON and bad fields are explained; a good file is sent', async () => {
    const { w, api } = await open('admin');
    await until(() => expect(w.findAll('tr[data-host]')).toHaveLength(6));
    const ta = w.get('form.import textarea');
    const err = () => w.get('[data-test="import-error"]').text();
    await ta.setValue('{"serversList": [');
    expect(err()).toMatch(/^Not valid JSON/);
    await ta.setValue('{"servers": []}');
    expect(err()).toMatch(/serversList/);
    await ta.setValue('{"serversList": [{"host": "a"}, {"host": 5}]}');
    expect(err()).toBe('Entry 2: "host" must be a non-empty string.');
    await ta.setValue('{"serversList": [{"host": "a", "env": 3}]}');
    expect(err()).toBe('Entry 1 (a): "env" must be a string.');
    expect(w.get('form.import button[type="submit"]').attributes('disabled')).toBeDefined();
    await ta.setValue(JSON.stringify({ lastUpdate: 1, serversList: [{ host: 'imp-1', app: 'Mid', ip: '192.168.0.10', env: 'preprod', available: true, action: 'Available', since: 0, comment: '' }, { host: 'imp-2' }] }));
    expect(w.text()).toContain('2 servers ready to import.');
    await w.get('form.import').trigger('submit');
    await until(() => expect(w.findAll('tr[data-host]')).toHaveLength(8));
    expect(api.calls.find((c) => c.method === 'importServers')?.args[0]).toEqual({
      serversList: [{ host: 'imp-1', app: 'Mid', ip: '192.168.0.10', env: 'preprod', comment: '' }, { host: 'imp-2' }],
    });
  });

  it('switches maintenance, edits and removes (after confirming)', async () => {
    const { w, api } = await open('admin');
    await until(() => expect(w.findAll('tr[data-host]')).toHaveLength(6));
    await w.get('tr[data-host="web-01"] input[role="switch"]').setValue(true);
    // switching on asks why first; the switch stays off until confirmed
    const ask = w.get('[role="dialog"]');
    expect(ask.text()).toContain('Put web-01 in maintenance?');
    expect((w.get('tr[data-host="web-01"] input[role="switch"]').element as HTMLInputElement).checked).toBe(false);
    expect(api.calls.some((c) => c.method === 'setMaintenance')).toBe(false);
    await ask.get('[data-test="maintenance-reason"]').setValue('  kernel upgrade ');
    await ask.findAll('button').find((b) => b.text() === 'Start maintenance')!.trigger('click');
    await until(() => expect(api.calls.find((c) => c.method === 'setMaintenance')?.args).toEqual(['web-01', true, 'kernel upgrade']));
    await until(() => expect(w.get('tr[data-host="web-01"] [data-status]').text()).toBe('Maintenance'));
    await until(() => expect(w.get('tr[data-host="web-01"] [data-test="maintenance-why"]').text()).toBe('kernel upgrade (dana)'));
    // off needs no reason
    await w.get('tr[data-host="web-01"] input[role="switch"]').setValue(false);
    await until(() => expect(api.calls.filter((c) => c.method === 'setMaintenance').at(-1)?.args).toEqual(['web-01', false]));

    await w.get('tr[data-host="api-05"]').findAll('button').find((b) => b.text() === 'Edit')!.trigger('click');
    const dialog = w.get('[role="dialog"]');
    expect((dialog.get('input[name="host"]').element as HTMLInputElement).disabled).toBe(true);
    await dialog.get('input[name="app"]').setValue('Gateway');
    await dialog.get('form').trigger('submit');
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false));
    expect(api.calls.find((c) => c.method === 'updateServer')?.args).toEqual(['api-05', { app: 'Gateway', ip: '10.0.0.5', env: 'dev', comment: '' }]);

    // the board refuses to remove a held server ("release it first"): it stays
    await w.get('tr[data-host="mid-02"]').findAll('button').find((b) => b.text() === 'Remove')!.trigger('click');
    expect(w.get('[role="dialog"]').text()).toContain('alice holds it now, and the board refuses to remove a held server: release it first');
    await w.get('[role="dialog"] .btn-danger').trigger('click');
    await until(() => expect(api.calls.find((c) => c.method === 'removeServer')?.args).toEqual(['mid-02']));
    expect(w.find('tr[data-host="mid-02"]').exists()).toBe(true);
    await until(() => expect(w.text()).toContain('release it first'));
    if (w.find('[role="dialog"]').exists()) await w.get('[role="dialog"]').trigger('keydown', { key: 'Escape' });
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false));

    await w.get('tr[data-host="api-05"]').findAll('button').find((b) => b.text() === 'Remove')!.trigger('click');
    await w.get('[role="dialog"] .btn-danger').trigger('click');
    await until(() => expect(w.find('tr[data-host="api-05"]').exists()).toBe(false));
    expect(api.calls.filter((c) => c.method === 'removeServer').map((c) => c.args)).toEqual([['mid-02'], ['api-05']]);
  });
});

describe('first run (desktop)', () => {
  it('create a team: shows the INVITE to share (not the bare key), then saves the key with the name', async () => {
    const { w, api } = await open('board', { board: demoBoard(NOW), settings: { ...SETTINGS } });
    await until(() => expect(w.find('.first-run').exists()).toBe(true));
    expect(w.find('[role="dialog"]').exists()).toBe(false); // no name prompt over the first run
    await w.get('[data-test="choose-create"]').trigger('click');
    await until(() => expect(w.find('[data-test="team-invite"]').exists()).toBe(true));
    const invite = (w.get('[data-test="team-invite"]').element as HTMLInputElement).value;
    const m = /^pb1:team:([A-Za-z0-9_-]{43})$/.exec(invite);
    expect(m).not.toBeNull();
    expect(w.find('[data-test="team-key"]').exists()).toBe(false);
    const writes: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t: string) => void writes.push(t) }, configurable: true });
    await w.get('[data-test="copy-invite"]').trigger('click');
    await until(() => expect(writes).toEqual([invite]));
    await w.get('.first-run input[autocomplete="name"]').setValue('dana');
    await w.get('.first-run form').trigger('submit');
    await until(() => expect(w.find('.first-run').exists()).toBe(false));
    expect(api.settings).toMatchObject({ user: 'dana', clusterKey: m![1], openCluster: false, onboarded: true });
    await until(() => expect(w.findAll('tr.row').length).toBeGreaterThan(0));
  });

  it('join a team: refuses a malformed paste and a missing name, then joins with the pasted invite', async () => {
    const { w, api } = await open('board', { board: demoBoard(NOW), settings: { ...SETTINGS } });
    await until(() => expect(w.find('.first-run').exists()).toBe(true));
    await w.get('[data-test="choose-join"]').trigger('click');
    const form = w.get('.first-run form');
    await form.get('textarea').setValue('short key');
    await form.trigger('submit');
    expect(w.get('[data-test="first-run-error"]').text()).toMatch(/whole invite/);
    const key = 'Zm9vYmFyYmF6cXV4cXV1eF9rZXktMDEyMzQ1Njc4OQ';
    await form.get('textarea').setValue(`  pb1:lab-team:${key}@10.0.0.5:8779\n`);
    await form.trigger('submit');
    await until(() => expect(w.get('[data-test="first-run-error"]').text()).toMatch(/Enter a name/));
    expect(api.calls.some((c) => c.method === 'joinTeam' || c.method === 'saveSettings')).toBe(false);
    await form.get('input[autocomplete="name"]').setValue('erin');
    await form.trigger('submit');
    await until(() => expect(api.settings?.onboarded).toBe(true));
    expect(api.calls.find((c) => c.method === 'joinTeam')?.args).toEqual([{ invite: `pb1:lab-team:${key}@10.0.0.5:8779`, user: 'erin' }]);
    expect(api.settings).toMatchObject({ clusterId: 'lab-team', clusterKey: key, staticPeers: ['10.0.0.5:8779'], openCluster: false, user: 'erin' });
  });

  it('join a team: an older bare key is still accepted; the app refusing an invite shows its message', async () => {
    const { w, api } = await open('board', { board: demoBoard(NOW), settings: { ...SETTINGS, user: 'erin' } });
    await until(() => expect(w.find('.first-run').exists()).toBe(true));
    await w.get('[data-test="choose-join"]').trigger('click');
    const form = w.get('.first-run form');
    api.failNext('joinTeam', { code: 'BAD_REQUEST', message: 'invalid invite: the key must be 16 to 256 base64url characters (got 5 characters); was the invite cut off?' });
    await form.get('textarea').setValue('pb1:team:short');
    await form.trigger('submit');
    await until(() => expect(w.get('[data-test="first-run-error"]').text()).toMatch(/was the invite cut off/));
    expect(api.settings?.onboarded).toBe(false);
    await form.get('textarea').setValue('an-old-team-key-0123456789');
    await form.trigger('submit');
    await until(() => expect(api.settings?.onboarded).toBe(true));
    expect(api.settings).toMatchObject({ clusterKey: 'an-old-team-key-0123456789', clusterId: 'team' });
  });

  it('an open team is an explicit choice with a red warning, saved as openCluster with no key', async () => {
    const { w, api } = await open('board', { board: demoBoard(NOW), settings: { ...SETTINGS, clusterKey: '' } });
    await until(() => expect(w.find('.first-run').exists()).toBe(true));
    expect(w.get('[data-test="choose-open"]').text()).toMatch(/Open team \(no key\)[\s\S]*Anyone on the network can change the board/);
    await w.get('[data-test="choose-open"]').trigger('click');
    expect(w.get('[data-test="open-warning"]').text()).toMatch(/Open team: anyone on this network can change the board/);
    await w.get('.first-run input[autocomplete="name"]').setValue('fay');
    await w.get('.first-run form').trigger('submit');
    await until(() => expect(api.settings?.onboarded).toBe(true));
    expect(api.settings).toMatchObject({ user: 'fay', clusterKey: '', openCluster: true });
  });

  it('is not shown once onboarded', async () => {
    const { w } = await open('board', { board: demoBoard(NOW), settings: { ...SETTINGS, user: 'dana', onboarded: true } });
    await until(() => expect(w.findAll('tr.row').length).toBeGreaterThan(0));
    expect(w.find('.first-run').exists()).toBe(false);
    expect(w.get('header').text()).toContain('dana');
  });
});

describe('cluster view: the team invite', () => {
  it('shows the invite to copy', async () => {
    const { w, api } = await open('cluster');
    await until(() => expect(w.find('[data-test="cluster-invite"]').exists()).toBe(true));
    expect((w.get('[data-test="cluster-invite-text"]').element as HTMLInputElement).value).toBe(api.inviteInfo.invite);
    expect(w.find('[data-test="open-banner"]').exists()).toBe(false);
    const writes: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t: string) => void writes.push(t) }, configurable: true });
    await w.get('[data-test="cluster-invite-copy"]').trigger('click');
    await until(() => expect(writes).toEqual([api.inviteInfo.invite]));
  });

  it('in an open team: a red banner, no invite', async () => {
    history.replaceState(null, '', '#cluster');
    const r = rig({ board: smallBoard(demoBoard(NOW)) });
    r.api.inviteInfo = { clusterId: 'team', open: true, invite: null, peers: [] };
    wrapper = mountIn(r, App);
    const w = wrapper;
    await until(() => expect(w.find('[data-test="open-banner"]').exists()).toBe(true));
    expect(w.get('[data-test="open-banner"]').text()).toMatch(/^Open team: anyone on this network can change the board/);
    expect(w.get('[data-test="open-banner"]').attributes('role')).toBe('alert');
    expect(w.find('[data-test="cluster-invite"]').exists()).toBe(false);
  });

  it('a user without admin rights sees a note instead; an invite event (a node that founded its team) loads it', async () => {
    history.replaceState(null, '', '#cluster');
    const r = rig({ board: smallBoard(demoBoard(NOW)) });
    r.api.failNext('invite', { code: 'FORBIDDEN', message: 'this operation needs admin rights; use the admin token' });
    wrapper = mountIn(r, App);
    const w = wrapper;
    await until(() => expect(w.find('[data-test="cluster-invite-note"]').text()).toMatch(/Only an admin can see the team invite/));
    r.api.emit({ type: 'invite', invite: r.api.inviteInfo.invite! });
    await until(() => expect(w.find('[data-test="cluster-invite"]').exists()).toBe(true));
  });
});

describe('access token (web mode)', () => {
  it('an UNAUTHORIZED node asks for the token, keeps it and retries', async () => {
    const r = rig({ board: smallBoard(demoBoard(NOW)) });
    r.api.failNext('getState', { code: 'UNAUTHORIZED', message: 'this node requires a token: send "Authorization: Bearer <token>"' });
    history.replaceState(null, '', '#board');
    wrapper = mountIn(r, App);
    const w = wrapper;
    await until(() => expect(w.find('[data-test="load-error"]').exists()).toBe(true));
    expect(w.get('[data-test="load-error"]').text()).toContain('requires a token');
    await w.get('[data-test="load-error"] input[type="password"]').setValue(' t0ken ');
    await w.get('[data-test="load-error"] form').trigger('submit');
    expect(localStorage.getItem('peerboard.token')).toBe('t0ken');
    await until(() => expect(w.findAll('tr.row')).toHaveLength(6));
    expect(w.find('[data-test="load-error"]').exists()).toBe(false);
  });
});
