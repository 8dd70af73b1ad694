// The PeerApi contract run through the desktop app's real IPC handlers (IpcMainManager, with the sender
// check) on a real node. Only Electron's transport is stood in for: each call is what ipcMain.handle
// would receive from the main window. (The preload's own run is in test/desktop, by the desktop helper.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { PeerApi, PeerEvent } from '../../node-core/src/api/peer-api.js';
import { TestCluster } from '../cluster/cluster-helpers.js';
import { peerApiContract, verdictCommand } from './peer-api.contract.js';

vi.mock('electron', async () => (await import('../electron/fake-electron.js')).electronModule());
vi.mock('electron-store', async () => (await import('../electron/fake-electron.js')).electronStoreModule());

const { FakeWebContents, fakeEvent, shell, state } = await import('../electron/fake-electron.js');
const { IpcMainManager } = await import('../../electron/ipc-main.js');
const { createAppUrlPolicy } = await import('../../electron/security.js');
const { createSettingsStore } = await import('../../electron/settings.js');
const { silentLogger } = await import('../../node-core/src/log.js');

const APP_URL = 'file:///opt/peerboard/dist/renderer/index.html';

peerApiContract('IPC handlers (ipc-main) -> real node', async () => {
  const c = await TestCluster.create();
  const t = await c.add('n1');
  await c.settled();
  state.ipcMain.handlers.clear();
  const contents = new FakeWebContents(`${APP_URL}#/board`);
  const win = { isDestroyed: () => false, webContents: contents };
  const manager = new IpcMainManager({
    ipcMain: state.ipcMain as never,
    getWindow: () => win as never,
    policy: createAppUrlPolicy({ rendererIndexUrl: APP_URL }),
    node: () => t.node,
    settings: createSettingsStore({ cwd: mkdtempSync(join(tmpdir(), 'pb-ipc-contract-')) }),
    onSettingsSaved: async () => undefined,
    generateKey: () => 'k'.repeat(43),
    shell,
    logger: silentLogger(),
  }).register();
  const invoke = (channel: string, ...args: unknown[]) =>
    state.ipcMain.handlers.get(channel)!(fakeEvent({ sender: contents, senderFrame: contents.mainFrame }), ...args) as never;
  const api: PeerApi = {
    getState: () => invoke('board:get-state'),
    reserve: (req) => invoke('board:reserve-server', req),
    release: (req) => invoke('board:release-server', req),
    extend: (req) => invoke('board:extend-reservation', req),
    queue: (req) => invoke('board:queue-server', req),
    leaveQueue: (req) => invoke('board:leave-queue', req),
    addServer: (server) => invoke('inventory:add-server', server),
    updateServer: (host, patch) => invoke('inventory:update-server', host, patch),
    removeServer: (host) => invoke('inventory:remove-server', host),
    importServers: (data) => invoke('inventory:import-servers', data),
    setMaintenance: (host, on) => invoke('inventory:set-maintenance', host, on),
    history: (filter) => invoke('history:list-requests', filter),
    promote: (nodeId) => invoke('cluster:promote-node', nodeId),
    invite: () => invoke('cluster:get-invite'),
    listChecks: () => invoke('monitor:list-checks'),
    addCheck: (input) => invoke('monitor:add-check', input),
    updateCheck: (id, patch) => invoke('monitor:update-check', id, patch),
    removeCheck: (id) => invoke('monitor:remove-check', id),
    checkSeries: (id, hours) => invoke('monitor:get-series', id, hours),
    listAlerts: (limit) => (limit === undefined ? invoke('monitor:list-alerts') : invoke('monitor:list-alerts', limit)),
    listNotifications: () => invoke('monitor:list-notifications'),
    addNotification: (input) => invoke('monitor:add-notification', input),
    removeNotification: (id) => invoke('monitor:remove-notification', id),
    loans: () => invoke('loans:get-loans'),
    recallLoan: (id) => invoke('loans:recall-loan', id),
    returnLoan: (id) => invoke('loans:return-loan', id),
    // the main process forwards node events to the window (node-host); here, straight from the node
    subscribe(listener: (e: PeerEvent) => void) {
      t.node.events.on('event', listener);
      return () => t.node.events.off('event', listener);
    },
  };
  return {
    api,
    commitVerdict: async (id, prev, next) => void (await t.node.submit(verdictCommand(id, prev, next), { user: 'system' })),
    startLoan: async (cmd) => void (await t.node.submit(cmd, { user: 'system' })),
    close: async () => {
      manager.dispose();
      await c.close();
    },
  };
});
