// The desktop PeerApi for the shared contract suite (test/contract/peer-api.contract.ts): the BUILT
// preload (dist/electron/preload.cjs) run in this process with a stand-in 'electron' whose ipcRenderer
// reaches the REAL ipc-main handlers, which talk to a real node. Only Electron's IPC transport is
// replaced; arguments and results are structured-cloned both ways as Electron's IPC does.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent } from 'electron';
import type { NodeHandle } from '../../node-core/src/api/node-handle.js';
import type { PeerEvent } from '../../node-core/src/api/peer-api.js';
import { silentLogger } from '../../node-core/src/log.js';
import { PUSH_EVENT_CHANNEL, type DesktopApi } from '../../electron/ipc-contract.js';
import { IpcMainManager } from '../../electron/ipc-main.js';
import { createAppUrlPolicy } from '../../electron/security.js';
import { PRELOAD, RENDERER_INDEX, ensurePreloadBuilt } from './desktop-build.js';
import { memorySettings } from './memory-settings.js';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

/**
 * A DesktopApi over `node`, as window.peerboard is in the app. `user` is the app's user (the admin
 * calls act as it). close() removes the handlers and the event listener.
 */
export function createDesktopPeerApi(node: NodeHandle, opts: { user?: string } = {}): { api: DesktopApi; close(): void } {
  ensurePreloadBuilt();
  const handlers = new Map<string, Handler>();
  const rendererListeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const frame = { url: pathToFileURL(RENDERER_INDEX).href, processId: 1, frameToken: 'main' };
  const win = { isDestroyed: () => false, webContents: { id: 1, mainFrame: frame } };
  const ipc = new IpcMainManager({
    ipcMain: { handle: (c: string, fn: Handler) => void handlers.set(c, fn), removeHandler: (c: string) => void handlers.delete(c) } as never,
    getWindow: () => win as never,
    policy: createAppUrlPolicy({ rendererIndexUrl: frame.url }),
    node: () => node,
    settings: memorySettings({ user: opts.user ?? 'admin', onboarded: true }),
    onSettingsSaved: async () => undefined,
    generateKey: () => 'k'.repeat(43),
    shell: { openExternal: async () => undefined },
    logger: silentLogger(),
  }).register();

  const electron = {
    contextBridge: {
      exposeInMainWorld: (_key: string, value: unknown) => {
        exposed = value as DesktopApi;
      },
    },
    ipcRenderer: {
      async invoke(channel: string, ...args: unknown[]) {
        const fn = handlers.get(channel);
        if (!fn) throw new Error(`No handler registered for '${channel}'`);
        const event = { sender: { id: 1 }, senderFrame: frame } as unknown as IpcMainInvokeEvent;
        return structuredClone(await fn(event, ...structuredClone(args)));
      },
      on(channel: string, fn: (event: unknown, payload: unknown) => void) {
        if (!rendererListeners.has(channel)) rendererListeners.set(channel, new Set());
        rendererListeners.get(channel)!.add(fn);
      },
      removeListener(channel: string, fn: (event: unknown, payload: unknown) => void) {
        rendererListeners.get(channel)?.delete(fn);
      },
    },
  };
  let exposed: DesktopApi | null = null;
  const module = { exports: {} };
  const requireElectron = (name: string) => {
    if (name !== 'electron') throw new Error(`a sandboxed preload may require only electron, not ${name}`);
    return electron;
  };
  new Function('require', 'module', 'exports', readFileSync(PRELOAD, 'utf8'))(requireElectron, module, module.exports);
  if (!exposed) throw new Error('the preload exposed nothing');

  // webContents.send, as NodeHost forwards every node event
  const forward = (e: PeerEvent) => {
    const payload = structuredClone(e);
    for (const fn of rendererListeners.get(PUSH_EVENT_CHANNEL) ?? []) fn({}, payload);
  };
  node.events.on('event', forward);
  return {
    api: exposed,
    close() {
      node.events.off('event', forward);
      ipc.dispose();
    },
  };
}
