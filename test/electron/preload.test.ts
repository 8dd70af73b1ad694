// The preload: exactly one function per IPC channel (plus kind), built on ipcRenderer.invoke, no
// ipcRenderer exposed, subscribe/unsubscribe on 'peer:event', and a runtime import of 'electron' only.
import { readFileSync } from 'node:fs';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ipcRenderer, state } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());

const { INVOKE_CHANNELS } = await import('../../electron/ipc-contract.js');
type Api = Record<string, unknown> & { subscribe(fn: (e: unknown) => void): () => void };

/** each api function, the arguments to call it with, and the channel + args it must invoke */
const CALLS: Array<[string, unknown[], string]> = [
  ['getState', [], 'board:get-state'],
  ['reserve', [{ host: 'h', user: 'u', durationSec: 60 }], 'board:reserve-server'],
  ['release', [{ host: 'h', user: 'u' }], 'board:release-server'],
  ['extend', [{ host: 'h', user: 'u', durationSec: 60 }], 'board:extend-reservation'],
  ['queue', [{ host: 'h', user: 'u', durationSec: 60 }], 'board:queue-server'],
  ['leaveQueue', [{ host: 'h', user: 'u' }], 'board:leave-queue'],
  ['addServer', [{ host: 'h' }], 'inventory:add-server'],
  ['updateServer', ['h', { app: 'a' }], 'inventory:update-server'],
  ['removeServer', ['h'], 'inventory:remove-server'],
  ['importServers', [{ serversList: [] }], 'inventory:import-servers'],
  ['setMaintenance', ['h', true], 'inventory:set-maintenance'],
  ['history', [{ limit: 5 }], 'history:list-requests'],
  ['promote', ['n2'], 'cluster:promote-node'],
  ['getSettings', [], 'settings:get-settings'],
  ['saveSettings', [{ user: 'x' }], 'settings:save-settings'],
  ['generateKey', [], 'settings:generate-key'],
  ['joinTeam', [{ invite: 'pb1:t:kkkkkkkkkkkkkkkk', user: 'u' }], 'settings:join-team'],
  ['invite', [], 'cluster:get-invite'],
  ['openExternal', ['https://x.example'], 'app:open-external'],
  ['listChecks', [], 'monitor:list-checks'],
  ['addCheck', [{ name: 'c', type: 'tcp', target: '127.0.0.1:9', intervalSec: 60, timeoutMs: 1000, retries: 0 }], 'monitor:add-check'],
  ['updateCheck', [3, { name: 'd' }], 'monitor:update-check'],
  ['removeCheck', [3], 'monitor:remove-check'],
  ['checkSeries', [3, 24], 'monitor:get-series'],
  ['listAlerts', [10], 'monitor:list-alerts'],
  ['listNotifications', [], 'monitor:list-notifications'],
  ['addNotification', [{ type: 'webhook', url: 'http://127.0.0.1:9/' }], 'monitor:add-notification'],
  ['removeNotification', [2], 'monitor:remove-notification'],
  ['loans', [], 'loans:get-loans'],
  ['recallLoan', ['m1:w1:1700000000000'], 'loans:recall-loan'],
  ['returnLoan', ['m1:w1:1700000000000'], 'loans:return-loan'],
];

describe('preload', () => {
  let api: Api;
  beforeAll(async () => {
    await import('../../electron/preload.js');
    api = state.exposed.get('peerboard') as Api;
  });
  beforeEach(() => ipcRenderer.invoke.mockClear());

  it('exposes only window.peerboard, with one function per channel plus subscribe and kind', () => {
    expect([...state.exposed.keys()]).toEqual(['peerboard']);
    expect(api.kind).toBe('desktop');
    const fns = Object.keys(api).filter((k) => typeof api[k] === 'function');
    expect(fns.sort()).toEqual([...CALLS.map((c) => c[0]), 'subscribe'].sort());
    expect(Object.keys(api).sort()).toEqual([...fns, 'kind'].sort());
    expect(new Set(CALLS.map((c) => c[2]))).toEqual(new Set(INVOKE_CHANNELS));
  });

  it('never exposes ipcRenderer or its methods', () => {
    for (const value of Object.values(api)) {
      expect(value).not.toBe(ipcRenderer);
      expect([ipcRenderer.invoke, ipcRenderer.on, ipcRenderer.removeListener]).not.toContain(value);
    }
    expect(api).not.toHaveProperty('ipcRenderer');
    expect(api).not.toHaveProperty('invoke');
    expect(api).not.toHaveProperty('send');
  });

  it.each(CALLS)('%s invokes its channel with its arguments and returns the Result', async (name, args, channel) => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: name });
    const r = await (api[name] as (...a: unknown[]) => Promise<unknown>)(...args);
    expect(ipcRenderer.invoke).toHaveBeenCalledWith(channel, ...args);
    expect(r).toEqual({ ok: true, value: name });
  });

  it('turns a failed invoke into an error value instead of a rejection', async () => {
    ipcRenderer.invoke.mockRejectedValueOnce(new Error("No handler registered for 'board:get-state'"));
    const r = await (api.getState as () => Promise<unknown>)();
    expect(r).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR' } });
  });

  it('subscribe delivers peer:event payloads (not the IPC event) until unsubscribed', () => {
    const got: unknown[] = [];
    const off = api.subscribe((e) => got.push(e));
    const ev = { type: 'role', role: 'master', ip: '127.0.0.1', nodeId: 'n1', term: 2 };
    state.rendererListeners.emit('peer:event', { sender: 'ipc-event' }, ev);
    off();
    state.rendererListeners.emit('peer:event', { sender: 'ipc-event' }, { type: 'change', index: 2, request: null });
    expect(got).toEqual([ev]);
    expect(state.rendererListeners.listenerCount('peer:event')).toBe(0);
  });

  it('requires nothing but electron at run time (a sandboxed preload cannot load other files)', () => {
    const src = readFileSync(new URL('../../electron/preload.ts', import.meta.url), 'utf8');
    const runtimeImports = [...src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
    expect(runtimeImports).toEqual(['electron']);
    expect(src).toMatch(/satisfies DesktopApi/);
  });
});
