// The preload: exposes window.peerboard (a DesktopApi), one named function per IPC channel, and
// nothing else (never ipcRenderer). Sandboxed, so it requires only 'electron'; the contract is types only.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { PeerEvent } from '../node-core/src/api/peer-api.js';
import type { DesktopApi, InvokeChannel, InvokeChannels, PUSH_EVENT_CHANNEL } from './ipc-contract.js';

/** 'peer:event', checked against the contract's constant (which cannot be required from here). */
const EVENT_CHANNEL: typeof PUSH_EVENT_CHANNEL = 'peer:event';

/** ipcRenderer.invoke, typed by the contract; a failed invoke is an error value too. */
async function invoke<C extends InvokeChannel>(channel: C, ...args: InvokeChannels[C][0]): Promise<InvokeChannels[C][1]> {
  try {
    return (await ipcRenderer.invoke(channel, ...args)) as InvokeChannels[C][1];
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: { code: 'INTERNAL_ERROR', message: `${channel}: ${message}` } };
  }
}

const api = {
  kind: 'desktop',
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
  setMaintenance: (host, on, reason) => (reason === undefined ? invoke('inventory:set-maintenance', host, on) : invoke('inventory:set-maintenance', host, on, reason)),
  history: (filter) => invoke('history:list-requests', filter),
  promote: (nodeId) => invoke('cluster:promote-node', nodeId),
  getSettings: () => invoke('settings:get-settings'),
  saveSettings: (patch) => invoke('settings:save-settings', patch),
  generateKey: () => invoke('settings:generate-key'),
  joinTeam: (req) => invoke('settings:join-team', req),
  invite: () => invoke('cluster:get-invite'),
  openExternal: (url) => invoke('app:open-external', url),
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
  subscribe(listener: (event: PeerEvent) => void): () => void {
    const onEvent = (_event: IpcRendererEvent, payload: PeerEvent): void => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, onEvent);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, onEvent);
    };
  },
} satisfies DesktopApi;

contextBridge.exposeInMainWorld('peerboard', api);
