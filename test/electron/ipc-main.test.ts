// IpcMainManager: a handler per channel, the sender check on every call, argument validation per
// channel, calls reaching the node, and errors returned as values.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebContents, fakeEvent, shell, state } from './fake-electron.js';
import { FAKE_LOAN_IN, FAKE_LOAN_OUT, FakeNode } from './fake-node.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());
vi.mock('electron-store', async () => (await import('./fake-electron.js')).electronStoreModule());

const { INVOKE_CHANNELS } = await import('../../electron/ipc-contract.js');
const { IpcMainManager } = await import('../../electron/ipc-main.js');
const { createAppUrlPolicy } = await import('../../electron/security.js');
const { createSettingsStore } = await import('../../electron/settings.js');
const { silentLogger } = await import('../../node-core/src/log.js');
const { PeerboardError } = await import('../../node-core/src/errors.js');

type Channel = (typeof INVOKE_CHANNELS)[number];
const APP_URL = 'file:///opt/peerboard/dist/renderer/index.html';
const NOW_MS = 1_700_000_000_000;

function setup() {
  state.ipcMain.handlers.clear();
  const node = new FakeNode({ now: () => NOW_MS });
  // check 1 and notification target 1 exist, for the monitoring channels' good calls
  node.seed({ type: 'check-add', check: { name: 'api', type: 'tcp', target: '127.0.0.1:9', intervalSec: 60, timeoutMs: 1000, retries: 0, enabled: false } });
  node.seed({ type: 'notify-add', target: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'hook-secret' } });
  const contents = new FakeWebContents(`${APP_URL}#/board`);
  const win = { isDestroyed: () => false, webContents: contents };
  const settings = createSettingsStore({ cwd: mkdtempSync(join(tmpdir(), 'pb-ipc-')) });
  const saved: unknown[] = [];
  let nodeRunning = true;
  const manager = new IpcMainManager({
    ipcMain: state.ipcMain as never,
    getWindow: () => win as never,
    policy: createAppUrlPolicy({ rendererIndexUrl: APP_URL }),
    node: () => {
      if (!nodeRunning) throw new PeerboardError('SERVICE_UNAVAILABLE', 'the node is not running');
      return node.asHandle();
    },
    settings,
    onSettingsSaved: async (s) => {
      saved.push(s);
    },
    generateKey: () => 'k'.repeat(32),
    shell,
    logger: silentLogger(),
    now: () => NOW_MS,
  }).register();
  /** a call as the main window's own frame would make it */
  const call = (channel: Channel, ...args: unknown[]) =>
    state.ipcMain.handlers.get(channel)!(fakeEvent({ sender: contents, senderFrame: contents.mainFrame }), ...args) as Promise<{ ok: boolean; value?: any; error?: any }>;
  return { node, contents, manager, call, saved, settings, stopNode: () => (nodeRunning = false) };
}

/** One valid argument list per channel, each good on the fake's starting board (web-1 held by alice, carol waiting; web-2 free). */
const GOOD: Record<Channel, unknown[]> = {
  'board:get-state': [],
  'board:reserve-server': [{ host: 'web-2', user: 'alice', durationSec: 3600, comment: 'tests', idempotencyKey: 'k1' }],
  'board:release-server': [{ host: 'web-1', user: 'alice' }],
  'board:extend-reservation': [{ host: 'web-1', user: 'alice', until: 1_700_009_000 }],
  'board:queue-server': [{ host: 'web-1', user: 'bob', durationSec: 600 }],
  'board:leave-queue': [{ host: 'web-1', user: 'carol' }],
  'inventory:add-server': [{ host: 'db-1', app: 'Mid', env: 'preprod' }],
  'inventory:update-server': ['web-1', { comment: 'new disk' }],
  'inventory:remove-server': ['web-2'],
  'inventory:import-servers': [{ serversList: [{ host: 'a' }, { host: 'b' }], replace: false }],
  'inventory:set-maintenance': ['web-1', true],
  'history:list-requests': [{ user: 'alice', limit: 20 }],
  'cluster:promote-node': ['n2'],
  'settings:get-settings': [],
  'settings:save-settings': [{ clusterId: 'team-a' }],
  'settings:generate-key': [],
  'settings:join-team': [{ invite: `pb1:team-j:${'j'.repeat(43)}@10.0.0.5:8779`, user: 'erin' }],
  'cluster:get-invite': [],
  'app:open-external': ['https://example.com/docs'],
  'monitor:list-checks': [],
  'monitor:add-check': [{ name: 'web', type: 'http', target: 'http://127.0.0.1:9/health', intervalSec: 30, timeoutMs: 2000, retries: 1, expectStatus: [200, 204], headers: { 'x-token': 'secret' } }],
  'monitor:update-check': [1, { name: 'api-2', intervalSec: 120 }],
  'monitor:remove-check': [1],
  // a node that is no location keeps no results: the fake answers with its own error (see below)
  'monitor:get-series': [1, 24],
  'monitor:list-alerts': [10],
  'monitor:list-notifications': [],
  'monitor:add-notification': [{ type: 'slack', url: 'http://127.0.0.1:9/slack', name: 'ops' }],
  'monitor:remove-notification': [1],
  'loans:get-loans': [],
  'loans:recall-loan': [FAKE_LOAN_OUT],
  'loans:return-loan': [FAKE_LOAN_IN],
};

/** One bad argument list per channel, with the field the error must name. */
const BAD: Record<Channel, [unknown[], string]> = {
  'board:get-state': [['extra'], 'arguments'],
  'board:reserve-server': [[{ host: 'web-1', user: 'alice' }], 'durationSec'],
  'board:release-server': [[{ host: 42, user: 'alice' }], 'host'],
  'board:extend-reservation': [[{ host: 'web-1', user: 'alice', until: 'tomorrow' }], 'until'],
  'board:queue-server': [[{ host: 'web-1', user: 'bob', durationSec: -5 }], 'durationSec'],
  'board:leave-queue': [[{ host: 'web-1', user: 'bob', sneaky: true }], 'sneaky'],
  'inventory:add-server': [[{ app: 'no host' }], 'host'],
  'inventory:update-server': [['web-1', { host: 'renamed' }], 'host'],
  'inventory:remove-server': [[''], 'host'],
  'inventory:import-servers': [[{ serversList: 'all of them' }], 'serversList'],
  'inventory:set-maintenance': [['web-1', 'yes'], 'on'],
  'history:list-requests': [[{ limit: 100000 }], 'limit'],
  'cluster:promote-node': [[], 'arguments'],
  'settings:get-settings': [[{}], 'arguments'],
  'settings:save-settings': [[{ apiPort: 70000 }], 'apiPort'],
  'settings:generate-key': [[1, 2], 'arguments'],
  'settings:join-team': [[{ invite: 'pb1:t:short', user: 'erin' }], 'invalid invite'],
  'cluster:get-invite': [['extra'], 'arguments'],
  'app:open-external': [[{ url: 'https://x' }], 'url'],
  'monitor:list-checks': [['extra'], 'arguments'],
  'monitor:add-check': [[{ name: 'x', type: 'smtp', target: 'a:1' }], 'type'],
  'monitor:update-check': [[0, { name: 'x' }], 'id'],
  'monitor:remove-check': [['1'], 'id'],
  'monitor:get-series': [[1, 100_000], 'hours'],
  'monitor:list-alerts': [[10_000], 'limit'],
  'monitor:list-notifications': [[1], 'arguments'],
  'monitor:add-notification': [[{ type: 'webhook', url: 'file:///etc/passwd' }], 'url'],
  'monitor:remove-notification': [[-1], 'id'],
  'loans:get-loans': [['extra'], 'arguments'],
  'loans:recall-loan': [['x'.repeat(201)], 'id'],
  'loans:return-loan': [['../admin'], 'id'],
};

describe('IpcMainManager', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
    shell.openExternal.mockClear();
  });

  it('registers a handler for every channel of the contract, and dispose removes them', () => {
    expect([...state.ipcMain.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    t.manager.dispose();
    expect(state.ipcMain.handlers.size).toBe(0);
  });

  it('refuses calls from another window, a subframe, a foreign page or a vanished frame', async () => {
    const handler = state.ipcMain.handlers.get('board:get-state')!;
    const other = new FakeWebContents(APP_URL);
    const foreignPage = { ...t.contents.mainFrame, url: 'https://evil.example/index.html' };
    const otherFile = { ...t.contents.mainFrame, url: 'file:///tmp/evil.html' };
    const subframe = { ...t.contents.mainFrame, frameToken: 'child-frame' };
    const cases = [
      fakeEvent({ sender: other, senderFrame: other.mainFrame }),
      fakeEvent({ sender: t.contents, senderFrame: foreignPage }),
      fakeEvent({ sender: t.contents, senderFrame: otherFile }),
      fakeEvent({ sender: t.contents, senderFrame: subframe }),
      fakeEvent({ sender: t.contents, senderFrame: null }),
    ];
    for (const event of cases) {
      const r = (await handler(event)) as { ok: boolean; error: { code: string } };
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe('FORBIDDEN');
    }
    // a refused mutating call never reaches the node
    await state.ipcMain.handlers.get('board:reserve-server')!(cases[1], GOOD['board:reserve-server'][0]);
    expect(t.node.submits).toHaveLength(0);
  });

  it('accepts the dev server origin only when it is configured', async () => {
    state.ipcMain.handlers.clear();
    const contents = new FakeWebContents('http://localhost:5173/');
    const make = (dev?: string) =>
      new IpcMainManager({
        ipcMain: state.ipcMain as never,
        getWindow: () => ({ isDestroyed: () => false, webContents: contents }) as never,
        policy: createAppUrlPolicy({ rendererIndexUrl: APP_URL, devServerUrl: dev }),
        node: () => t.node.asHandle(),
        settings: t.settings,
        onSettingsSaved: async () => undefined,
        generateKey: () => 'x',
        shell,
        logger: silentLogger(),
      });
    const ev = fakeEvent({ sender: contents, senderFrame: contents.mainFrame });
    expect((await make().call('board:get-state', ev as never, [])).ok).toBe(false);
    expect((await make('http://localhost:5173').call('board:get-state', ev as never, [])).ok).toBe(true);
  });

  it.each(INVOKE_CHANNELS.map((c) => [c]))('%s: bad arguments give BAD_REQUEST naming the field', async (channel) => {
    const [args, field] = BAD[channel];
    const r = await t.call(channel, ...args);
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('BAD_REQUEST');
    expect(r.error.message).toContain(field);
    expect(t.node.submits).toHaveLength(0);
  });

  it.each(INVOKE_CHANNELS.filter((c) => c !== 'monitor:get-series').map((c) => [c]))('%s: good arguments give an ok Result', async (channel) => {
    const r = await t.call(channel, ...GOOD[channel]);
    expect(r).toMatchObject({ ok: true });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON crosses IPC
  });

  it('turns a reservation into a reserve command carrying the duration and the idempotency key; the board sets the end', async () => {
    const r = await t.call('board:reserve-server', GOOD['board:reserve-server'][0]);
    expect(t.node.submits[0]).toEqual({
      cmd: { type: 'reserve', host: 'web-2', user: 'alice', durationSec: 3600, comment: 'tests' },
      opts: { user: 'alice', reqId: 'k1' },
    });
    expect(r.value).toMatchObject({ host: 'web-2', holder: 'alice', until: NOW_MS / 1000 + 3600 });
  });

  it('extends by a preset from the current end of the hold, not from now (issue 11 regression)', async () => {
    // alice holds web-1 until NOW + 30 min; the Extend button's +15 min preset used to become
    // "now + 15 min", earlier than the current end, and the board refused it
    const before = t.node.server('web-1')!.until!;
    expect(before).toBe(NOW_MS / 1000 + 1800);
    const r = await t.call('board:extend-reservation', { host: 'web-1', user: 'alice', durationSec: 900 });
    expect(r).toMatchObject({ ok: true, value: { host: 'web-1', holder: 'alice', until: before + 900 } });
    expect(t.node.submits.at(-1)!.cmd).toEqual({ type: 'extend', host: 'web-1', user: 'alice', durationSec: 900 });
  });

  it('refuses a release or extend by someone who does not hold the server with the board\'s FORBIDDEN', async () => {
    expect((await t.call('board:release-server', { host: 'web-1', user: 'bob' })).error).toMatchObject({ code: 'FORBIDDEN' });
    expect((await t.call('board:extend-reservation', { host: 'web-1', user: 'bob', durationSec: 60 })).error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it.each([
    ['a duration over the board\'s 30 days', 'board:reserve-server', { host: 'web-2', user: 'alice', durationSec: 31 * 86400 }, 'durationSec'],
    ['an extension over 30 days', 'board:extend-reservation', { host: 'web-1', user: 'alice', durationSec: 30 * 86400 + 1 }, 'durationSec'],
    ['a queue shorter than a minute', 'board:queue-server', { host: 'web-1', user: 'bob', durationSec: 59 }, 'durationSec'],
    ['a host with a space', 'board:reserve-server', { host: 'web 1', user: 'alice', durationSec: 60 }, 'host'],
    ['a host of 129 characters', 'inventory:add-server', { host: 'h'.repeat(129) }, 'host'],
    ['a comment over 1000 characters', 'board:reserve-server', { host: 'web-2', user: 'alice', durationSec: 60, comment: 'c'.repeat(1001) }, 'comment'],
    ['a user with a bidi override', 'board:reserve-server', { host: 'web-2', user: 'ali\u202Ece', durationSec: 60 }, 'user'],
    ['an idempotency key with a space', 'board:release-server', { host: 'web-1', user: 'alice', idempotencyKey: 'a b' }, 'idempotencyKey'],
  ] as const)('refuses %s before it reaches the node', async (_what, channel, arg, field) => {
    const r = await t.call(channel, arg);
    expect(r.error).toMatchObject({ code: 'BAD_REQUEST' });
    expect(r.error.message).toContain(field);
    expect(t.node.submits).toHaveLength(0);
  });

  it('maps every board and inventory call to its command', async () => {
    for (const c of ['board:release-server', 'board:extend-reservation', 'board:queue-server', 'board:leave-queue', 'inventory:add-server', 'inventory:update-server', 'inventory:remove-server', 'inventory:import-servers', 'inventory:set-maintenance'] as const) {
      await t.call(c, ...GOOD[c]);
    }
    expect(t.node.submits.map((s) => s.cmd)).toEqual([
      { type: 'release', host: 'web-1', user: 'alice' },
      { type: 'extend', host: 'web-1', user: 'alice', until: 1_700_009_000 },
      { type: 'queue', host: 'web-1', user: 'bob', durationSec: 600 },
      { type: 'unqueue', host: 'web-1', user: 'carol' },
      { type: 'server-add', server: { host: 'db-1', app: 'Mid', env: 'preprod' } },
      { type: 'server-update', host: 'web-1', patch: { comment: 'new disk' } },
      { type: 'server-remove', host: 'web-2' },
      { type: 'servers-import', servers: [{ host: 'a' }, { host: 'b' }], replace: false },
      { type: 'maintenance', host: 'web-1', on: true },
    ]);
    // inventory changes are made as the desktop's own user
    expect(t.node.submits[4]!.opts.user).toBe(t.settings.get().user);
  });

  it('set-maintenance carries an optional reason of at most 200 characters', async () => {
    expect(await t.call('inventory:set-maintenance', 'web-1', true, 'kernel upgrade')).toMatchObject({ ok: true });
    expect(t.node.submits.map((s) => s.cmd)).toEqual([{ type: 'maintenance', host: 'web-1', on: true, reason: 'kernel upgrade' }]);
    for (const bad of ['r'.repeat(201), 42]) {
      const r = await t.call('inventory:set-maintenance', 'web-1', true, bad);
      expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(r.error.message).toContain('reason');
    }
    expect(t.node.submits).toHaveLength(1);
  });

  it('returns the new row for add-server, the count for import, the leader for promote', async () => {
    expect((await t.call('inventory:add-server', { host: 'db-9' })).value).toMatchObject({ host: 'db-9' });
    expect((await t.call('inventory:import-servers', GOOD['inventory:import-servers'][0])).value).toEqual({ count: 2 });
    expect((await t.call('cluster:promote-node', 'n2')).value).toEqual({ leaderId: 'n2' });
    expect(t.node.promotes).toEqual([{ nodeId: 'n2' }]);
  });

  it('returns the node errors as values with their code', async () => {
    t.node.failNext = new PeerboardError('CONFLICT', 'web-1 is held by bob');
    const r = await t.call('board:reserve-server', GOOD['board:reserve-server'][0]);
    expect(r).toEqual({ ok: false, error: { code: 'CONFLICT', message: 'web-1 is held by bob', details: {} } });
    t.node.failNext = new Error('disk on fire');
    const r2 = await t.call('board:release-server', GOOD['board:release-server'][0]);
    // an unexpected exception is logged in the main process; its message does not cross to the page
    expect(r2.error).toMatchObject({ code: 'INTERNAL_ERROR', message: 'internal error while handling the request; see the node log' });
    expect((await t.call('board:reserve-server', { host: 'nope', user: 'a', durationSec: 5 })).error.code).toBe('NOT_FOUND');
  });

  it('says SERVICE_UNAVAILABLE when the node is not running', async () => {
    t.stopNode();
    const r = await t.call('board:get-state');
    expect(r.error.code).toBe('SERVICE_UNAVAILABLE');
    // settings still work without a node (the first-run screen needs them)
    expect((await t.call('settings:get-settings')).ok).toBe(true);
  });

  it('saves settings, hands them on for the restart and reports a restart failure', async () => {
    const r = await t.call('settings:save-settings', { clusterId: 'team-a', onboarded: true });
    expect(r.value).toMatchObject({ clusterId: 'team-a', onboarded: true });
    expect(t.saved).toEqual([r.value]);
    expect((await t.call('settings:get-settings')).value.clusterId).toBe('team-a');
    expect((await t.call('settings:save-settings', { colour: 'red' })).error).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('opens only http and https links, through the shell', async () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'not a url']) {
      const r = await t.call('app:open-external', url);
      expect(r.error.code).toBe('BAD_REQUEST');
    }
    expect(shell.openExternal).not.toHaveBeenCalled();
    expect((await t.call('app:open-external', 'http://wiki.local/page')).ok).toBe(true);
    expect(shell.openExternal).toHaveBeenCalledWith('http://wiki.local/page');
  });

  it('generates a key and never throws on absurd input', async () => {
    expect((await t.call('settings:generate-key')).value).toEqual({ clusterKey: 'k'.repeat(32), invite: `pb1:peerboard:${'k'.repeat(32)}` });
    const huge = { host: 'x'.repeat(100_000), user: 'a', durationSec: 1 };
    expect((await t.call('board:reserve-server', huge)).error.code).toBe('BAD_REQUEST');
    expect((await t.call('inventory:import-servers', { serversList: Array.from({ length: 10_001 }, (_, i) => ({ host: `h${i}` })) })).error.code).toBe('BAD_REQUEST');
    expect((await t.call('board:release-server', null)).error.code).toBe('BAD_REQUEST');
  });
});

describe('IpcMainManager: monitoring', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('adds a check as the desktop user through the board, and lists it with verdict UNKNOWN and header values hidden', async () => {
    const r = await t.call('monitor:add-check', ...GOOD['monitor:add-check']);
    expect(r.value).toMatchObject({ id: 2, name: 'web', verdict: 'UNKNOWN', headers: { 'x-token': '(hidden)' }, createdBy: t.settings.get().user });
    expect(t.node.submits).toEqual([{ cmd: { type: 'check-add', check: expect.objectContaining({ name: 'web' }) }, opts: { user: t.settings.get().user } }]);
    const list = await t.call('monitor:list-checks');
    expect(list.value.map((c: { id: number; verdict: string }) => [c.id, c.verdict])).toEqual([
      [1, 'UNKNOWN'],
      [2, 'UNKNOWN'],
    ]);
    expect(JSON.stringify(list)).not.toContain('secret');
  });

  it('never shows a notification secret', async () => {
    const r = await t.call('monitor:list-notifications');
    expect(r.value).toEqual([expect.objectContaining({ id: 1, hasSecret: true })]);
    expect(JSON.stringify(r)).not.toContain('hook-secret');
  });

  it('the series of a node that runs no checks is NOT_FOUND saying why; of an unknown check NOT_FOUND', async () => {
    expect((await t.call('monitor:get-series', 1, 24)).error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('runs no checks') });
    expect((await t.call('monitor:get-series', 99, 24)).error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no check with id 99') });
  });

  it('alerts come newest first; a committed verdict change is listed', async () => {
    t.node.seed({ type: 'verdict', checkId: 1, previous: 'UNKNOWN', verdict: 'DOWN', locations: [] });
    const r = await t.call('monitor:list-alerts');
    expect(r.value).toEqual([expect.objectContaining({ change: expect.objectContaining({ checkId: 1, verdict: 'DOWN', previous: 'UNKNOWN' }) })]);
  });

  it.each([
    ['a name of 100,000 characters', { name: 'n'.repeat(100_000) }, 'name'],
    ['a header value with CRLF', { headers: { 'x-a': 'b\r\nx-injected: 1' } }, 'headers'],
    ['10,000 expected statuses', { expectStatus: Array.from({ length: 10_000 }, () => 200) }, 'expectStatus'],
    ['an unknown field', { script: 'rm -rf /' }, 'script'],
  ])('refuses %s before it reaches the node', async (_what, extra, field) => {
    const check = { ...(GOOD['monitor:add-check'][0] as object), ...extra };
    const r = await t.call('monitor:add-check', check);
    expect(r.error).toMatchObject({ code: 'BAD_REQUEST' });
    expect(r.error.message).toContain(field);
    expect(t.node.submits).toHaveLength(0);
  });

  it('refuses a monitoring call from a foreign frame; without a node says SERVICE_UNAVAILABLE', async () => {
    const other = new FakeWebContents(APP_URL);
    const r = (await state.ipcMain.handlers.get('monitor:add-check')!(fakeEvent({ sender: other, senderFrame: other.mainFrame }), GOOD['monitor:add-check'][0])) as { ok: boolean; error: { code: string } };
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(t.node.submits).toHaveLength(0);
    t.stopNode();
    expect((await t.call('monitor:list-checks')).error.code).toBe('SERVICE_UNAVAILABLE');
    expect((await t.call('monitor:add-check', GOOD['monitor:add-check'][0])).error.code).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('IpcMainManager: teams and invites', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('join-team with an invite saves its team, key and peers, marks onboarded, not open, and restarts the node', async () => {
    await t.call('settings:save-settings', { openCluster: true });
    const key = 'j'.repeat(43);
    const r = await t.call('settings:join-team', { invite: `  pb1:team-j:${key}@10.0.0.5:8779\n`, user: ' erin ' });
    expect(r.ok).toBe(true);
    expect(r.value).toMatchObject({ clusterId: 'team-j', clusterKey: key, staticPeers: ['10.0.0.5:8779'], openCluster: false, onboarded: true, user: 'erin' });
    expect(t.saved).toEqual([expect.objectContaining({ openCluster: true }), r.value]);
  });

  it('join-team accepts an older bare key, keeping the team name', async () => {
    const r = await t.call('settings:join-team', { invite: 'an-old-team-key-1234', user: 'erin' });
    expect(r.value).toMatchObject({ clusterId: 'peerboard', clusterKey: 'an-old-team-key-1234', onboarded: true });
  });

  it.each([
    ['a cut-off invite', 'pb1:team:short', /invalid invite: the key must be 16 to 256/],
    ['an unknown version', `pb9:team:${'k'.repeat(43)}`, /version "pb9" is not known/],
    ['a short key', 'short', /paste the whole invite/],
    ['a key with spaces', 'not a key but words', /paste the whole invite/],
  ])('join-team refuses %s with BAD_REQUEST and saves nothing', async (_what, invite, message) => {
    const r = await t.call('settings:join-team', { invite, user: 'erin' });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('BAD_REQUEST');
    expect(r.error.message).toMatch(message);
    expect(t.saved).toEqual([]);
    expect((await t.call('settings:get-settings')).value.onboarded).toBe(false);
  });

  it('an open team with a key is refused (openCluster and clusterKey exclude each other)', async () => {
    const r = await t.call('settings:save-settings', { openCluster: true, clusterKey: 'k'.repeat(20) });
    expect(r.error).toMatchObject({ code: 'BAD_REQUEST' });
    expect(r.error.message).toMatch(/openCluster: an open team has no key/);
    expect((await t.call('settings:save-settings', { openCluster: true, clusterKey: '' })).value).toMatchObject({ openCluster: true, clusterKey: '' });
  });

  it('get-invite answers the node invite; without a node it says SERVICE_UNAVAILABLE', async () => {
    expect((await t.call('cluster:get-invite')).value).toEqual(t.node.inviteInfo);
    t.stopNode();
    expect((await t.call('cluster:get-invite')).error.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('loans: recall ends a lent loan through the board as the app user; the wrong direction, an unknown id or no loans are refused', async () => {
    await t.call('settings:save-settings', { user: 'dana' });
    const view = (await t.call('loans:get-loans')).value;
    expect(view.active.map((l: { id: string; direction: string }) => [l.id, l.direction]).sort()).toEqual([
      [FAKE_LOAN_IN, 'in'],
      [FAKE_LOAN_OUT, 'out'],
    ]);
    expect((await t.call('loans:return-loan', FAKE_LOAN_OUT)).error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await t.call('loans:recall-loan', FAKE_LOAN_IN)).error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await t.call('loans:recall-loan', 'n1:nobody:1')).error).toMatchObject({ code: 'NOT_FOUND' });
    expect(t.node.submits).toHaveLength(0);
    expect((await t.call('loans:recall-loan', FAKE_LOAN_OUT)).value).toEqual({ id: FAKE_LOAN_OUT });
    expect(t.node.submits.map((x) => [x.cmd, x.opts.user])).toEqual([[{ type: 'loan-end', id: FAKE_LOAN_OUT, reason: 'recalled' }, 'dana']]);
    const after = (await t.call('loans:get-loans')).value;
    expect(after.recent[0]).toMatchObject({ id: FAKE_LOAN_OUT, state: 'ended', endReason: 'recalled' });
    // a second recall of the ended loan says so instead of committing again
    expect((await t.call('loans:recall-loan', FAKE_LOAN_OUT)).error.message).toMatch(/already ended \(recalled\)/);
    (t.node as unknown as { loans: unknown }).loans = undefined;
    expect((await t.call('loans:get-loans')).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
